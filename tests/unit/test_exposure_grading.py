"""Pure parts of exposure: intel folding, grading, evidence paths, seeds, blind-spot arithmetic, report text."""

from __future__ import annotations

from typing import Any

import pytest

from graphpivot.browser import cypher_literal
from graphpivot.hunt.blindspots import gaps_in, host_blind_spots, merge_spans, time_coverage, unchecked_indicators
from graphpivot.hunt.evidence import evidence_path
from graphpivot.hunt.exposure import parse_seed
from graphpivot.hunt.grading import grade
from graphpivot.hunt.intel import Intel, intel_from_rows
from graphpivot.hunt.model import ExposureError, Observation, Options, Pivot
from graphpivot.hunt.report import code, plain
from graphpivot.hunt.runner import QueryRun
from graphpivot.hunt.vocabulary import EVIDENCE_STRENGTH, Strength

OPTIONS = Options()


def obs(evidence: str, **kw: Any) -> Observation:
    base: dict[str, Any] = {
        "host": "10.0.0.5",
        "indicator": "evil.example",
        "indicator_kind": "Domain",
        "evidence": evidence,
        "hunt": "exposure-domain",
        "rel": "QUERIED",
        "touched": "evil.example",
        "first_seen": 100,
        "last_seen": 200,
    }
    return Observation(**{**base, **kw})


def row(**kw: Any) -> dict[str, Any]:
    base = {"kind": "Domain", "key": "evil.example", "flagged": True, "node_sources": ["feed"], "report": "f:1",
            "report_source": "feed", "report_tags": [], "valid_from": None, "valid_until": None,
            "confidence": None, "context": None, "threats": []}
    return {**base, **kw}


def test_strength_order_follows_the_design() -> None:
    order = ["exact-url", "exact-domain", "subdomain", "infrastructure", "web-service"]
    assert [EVIDENCE_STRENGTH[e] for e in order] == sorted((EVIDENCE_STRENGTH[e] for e in order), reverse=True)
    assert EVIDENCE_STRENGTH["client-fingerprint"] == EVIDENCE_STRENGTH["exact-url"]
    assert EVIDENCE_STRENGTH["exact-ip"] == EVIDENCE_STRENGTH["exact-domain"]
    assert Strength.parse("very-strong") is Strength.VERY_STRONG
    assert Strength.parse("Very strong") is Strength.VERY_STRONG
    with pytest.raises(ValueError, match="unknown strength 'huge'"):
        Strength.parse("huge")


def test_intel_window_is_the_hull_and_an_open_mention_opens_it() -> None:
    closed = intel_from_rows([row(valid_from=10, valid_until=20), row(report="f:2", valid_from=5, valid_until=15)])
    item = closed[("Domain", "evil.example")]
    assert (item.valid_from, item.valid_until) == (5, 20)
    assert item.reports == {"f:1", "f:2"}
    opened = intel_from_rows([row(valid_from=10, valid_until=20), row(report="f:2", valid_from=None, valid_until=30)])
    item = opened[("Domain", "evil.example")]
    assert (item.valid_from, item.valid_until) == (None, 30)
    assert item.overlaps(0, 1) and not item.overlaps(31, 40)
    assert item.clip(0, 100) == (0, 30)


def test_suspicious_only_when_every_report_says_so() -> None:
    by_tag = intel_from_rows([row(report_tags=["suspicious"])])[("Domain", "evil.example")]
    by_context = intel_from_rows([row(context=["category: suspicious"])])[("Domain", "evil.example")]
    mixed = intel_from_rows([row(report_tags=["suspicious"]), row(report="f:2", report_tags=["malware"])])
    no_report = intel_from_rows([row(report=None)])[("Domain", "evil.example")]
    assert by_tag.suspicious and by_context.suspicious
    assert not mixed[("Domain", "evil.example")].suspicious
    assert not no_report.suspicious and no_report.reports == set() and no_report.sources == {"feed"}


def test_grades_follow_the_evidence_and_the_intel() -> None:
    malicious, suspicious = Intel("Domain", "x"), Intel("Domain", "x", suspicious=True)
    assert grade(obs("exact-url"), malicious, population=0, options=OPTIONS).strength == Strength.VERY_STRONG
    assert grade(obs("exact-domain"), malicious, population=0, options=OPTIONS).strength == Strength.STRONG
    assert grade(obs("subdomain", hops=1), malicious, population=0, options=OPTIONS).strength == Strength.MEDIUM
    # The IP-lookup service case: an exact match on a 'suspicious' (service) indicator is weak.
    lookup = grade(obs("exact-domain"), suspicious, population=0, options=OPTIONS)
    assert lookup.strength == Strength.WEAK and "suspicious" in lookup.reasons[0]
    # A name under a suspicious provider (dynamic DNS) loses one grade.
    assert grade(obs("subdomain", hops=1), suspicious, population=0, options=OPTIONS).strength == Strength.LOW
    # A web-service domain alone is weak, whatever the match.
    paste = grade(obs("url-host", service="pastebin"), malicious, population=0, options=OPTIONS)
    assert (paste.evidence, paste.strength) == ("web-service", Strength.WEAK)


def test_rarity_needs_a_population_and_uploads_raise_weak_evidence() -> None:
    item = Intel("URL", "https://paste.example/raw/x")
    lone_host = obs("url-host", service="paste", users=1)
    assert grade(lone_host, item, population=1, options=OPTIONS).strength == Strength.WEAK
    # Issue #10: another page of the paste site is not the paste URL: rarity does not raise it ...
    assert grade(lone_host, item, population=500, options=OPTIONS).strength == Strength.WEAK
    # ... but a rare user of a web service intel names is worth a look.
    rare = grade(obs("exact-domain", service="paste", users=1), item, population=500, options=OPTIONS)
    assert rare.strength == Strength.LOW and any("rare" in r for r in rare.reasons)
    upload = grade(obs("url-host", service="paste", users=90, bytes_out=50_000_000), item, population=500,
                   options=OPTIONS)
    assert upload.strength == Strength.LOW and any("upload" in r for r in upload.reasons)


def test_confidence_drops_with_pivot_degree_stage_and_intel_confidence() -> None:
    item = Intel("Domain", "seed.example")

    def reached(degree: int, stage: int = 1) -> float:
        pivot = Pivot("seed.example", stage, ("203.0.113.9",), ("IP",), degree)
        return grade(obs("infrastructure", pivot=pivot), item, population=0, options=OPTIONS).confidence

    assert reached(1) > reached(4) > reached(50) > reached(200)
    assert reached(4, stage=2) < reached(4)
    assert grade(obs("exact-ip", degree=150), item, population=0, options=OPTIONS).confidence < grade(
        obs("exact-ip", degree=1), item, population=0, options=OPTIONS
    ).confidence
    doubtful = Intel("Domain", "x", confidence=40)
    assert grade(obs("exact-domain"), doubtful, population=0, options=OPTIONS).confidence == pytest.approx(0.85 * 0.4)


def test_evidence_paths_name_every_hop() -> None:
    sub = obs("subdomain", touched="a.b.evil.example", hops=2)
    assert evidence_path(sub) == [
        "Host:10.0.0.5", "-QUERIED->", "Domain:a.b.evil.example", "-SUBDOMAIN_OF->", "Domain:b.evil.example",
        "-SUBDOMAIN_OF->", "Domain:evil.example",
    ]
    by_ip = obs("url-host", rel="REQUESTED", url="http://198.51.100.3/x", touched="198.51.100.3",
                indicator="http://198.51.100.3/gate.php", indicator_kind="URL")
    assert evidence_path(by_ip) == [
        "Host:10.0.0.5", "-REQUESTED->", "URL:http://198.51.100.3/x", "-ON_HOST->", "IP:198.51.100.3",
        "<-ON_HOST-", "URL:http://198.51.100.3/gate.php",
    ]
    pivot = Pivot("evil.example", 1, ("203.0.113.9",), ("IP",), 4)
    shared = obs("infrastructure", touched="other.example", pivot=pivot)
    assert evidence_path(shared)[-2:] == ["-[IP 203.0.113.9]-", "Domain:evil.example"]
    tied = Pivot("evil.example", 1, ("ns1.dns.example", "203.0.113.9"), ("NS", "IP"), 4)
    assert evidence_path(obs("infrastructure", touched="other.example", pivot=tied))[-2:] == [
        "-[via one of: IP 203.0.113.9, NS ns1.dns.example]-", "Domain:evil.example"]
    two = Pivot("evil.example", 2, ("203.0.113.9", "198.51.100.1"), ("IP", "IP"), 9)
    assert evidence_path(obs("infrastructure", touched="far.example", pivot=two))[-3:] == [
        "-[IP 198.51.100.1]-", "-[IP 203.0.113.9]-", "Domain:evil.example"]
    own_ip = obs("infrastructure", rel="CONNECTED_TO", touched="203.0.113.9", pivot=pivot)
    assert evidence_path(own_ip)[-3:] == ["IP:203.0.113.9", "<-RESOLVES_TO-", "Domain:evil.example"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hxxp://Evil[.]example/a", ("URL", "http://evil.example/a")),
        ("198.51.100.7:443", ("IP", "198.51.100.7")),
        ("WWW.Evil.Example.", ("Domain", "www.evil.example")),
        ("JA3:E7D705A3286E19EA42F587B344EE6865", ("Fingerprint", "ja3:e7d705a3286e19ea42f587b344ee6865")),
    ],
)
def test_seeds_are_classified_and_canonical(text: str, expected: tuple[str, str]) -> None:
    assert parse_seed(text) == expected


@pytest.mark.parametrize("text", ["bad..name.example", "ja3:nothex", ""])
def test_bad_seeds_are_clear_errors(text: str) -> None:
    with pytest.raises(ExposureError, match="seed"):
        parse_seed(text)


def test_span_arithmetic() -> None:
    assert merge_spans([(5, 6), (1, 2), (3, 3), (9, 12), (10, 11), (4, 4)]) == [(1, 6), (9, 12)]
    assert merge_spans([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]
    assert gaps_in([(1, 6), (9, 12)], (0, 15)) == [(0, 0), (7, 8), (13, 15)]
    assert gaps_in([], (0, 3)) == [(0, 3)]
    coverage, sources = time_coverage(
        [{"channel": "dns", "source": "zeek", "first_bucket": 1, "last_bucket": 2},
         {"channel": "dns", "source": "bind", "first_bucket": 3, "last_bucket": 3},
         {"channel": "tls", "source": "zeek", "first_bucket": 5, "last_bucket": 5}],
        bucket=10,
    )
    assert coverage == {"dns": [(10, 39)], "tls": [(50, 59)]}
    assert sources == {"dns": ["bind", "zeek"], "tls": ["zeek"]}


def test_host_and_indicator_blind_spots() -> None:
    rows = [{"host": "a", "dns": 2, "http": 0, "flow": 1, "tls": 0}, {"host": "b", "dns": 0, "http": 0, "flow": 0,
                                                                    "tls": 0}]
    silent, without = host_blind_spots(rows)
    assert silent == ["b"] and without["http"] == ["a", "b"] and without["dns"] == ["b"]
    intel = {
        ("URL", "http://x.example/a"): Intel("URL", "http://x.example/a"),
        ("Domain", "old.example"): Intel("Domain", "old.example", valid_from=0, valid_until=5),
        ("Domain", "new.example"): Intel("Domain", "new.example"),
    }
    reasons = {u.key: u.reason for u in unchecked_indicators(intel, {"dns": [(100, 200)]})}
    assert "HTTP/proxy" in reasons["http://x.example/a"]
    assert "outside every telemetry" in reasons["old.example"]
    assert "new.example" not in reasons


def test_markdown_cells_cannot_break_the_table_or_inject_markup() -> None:
    assert code("a|b`c") == "`a\\|b'c`"
    assert plain("<script>*x*|") == "\\<script\\>\\*x\\*\\|"


def test_browser_link_carries_cypher_and_parameters() -> None:
    assert cypher_literal({"a b": ["x'y", 1, True, None]}) == '{`a b`: ["x\'y", 1, true, null]}'
    link = QueryRun("exposure-domain", "neo4j", "MATCH (n) RETURN n", {"indicators": ["evil.example"]}).browser_url(
        "http://127.0.0.1:7474/browser/"
    )
    assert link.startswith("http://127.0.0.1:7474/browser/?cmd=edit&arg=%3Aparam%20indicators%20%3D%3E%20%5B%22evil.example")
    assert "MATCH%20%28n%29%20RETURN%20n" in link
