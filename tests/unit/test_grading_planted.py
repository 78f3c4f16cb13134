"""Grading on a small planted truth: each false-positive kind stays weak, each true kind keeps its rank.

Pure: observations are built by hand the way the exposure run fills them in (reference data and
prevalence included), so every rule of graphpivot.hunt.grading is seen on its own. No names here are
special: the rules read degrees, lists, prevalence and intel verdicts, never a name.
"""

from __future__ import annotations

from typing import Any

from graphpivot.hunt.grading import grade
from graphpivot.hunt.intel import Intel, intel_from_rows
from graphpivot.hunt.model import Observation, Options, Pivot
from graphpivot.hunt.vocabulary import Strength

OPTIONS = Options()
POPULATION = 100
MALICIOUS = Intel("Domain", "x", reports={"intel:1"})


def obs(evidence: str, **kw: Any) -> Observation:
    base: dict[str, Any] = {"host": "10.0.0.5", "indicator": "evil.example", "indicator_kind": "Domain",
                            "evidence": evidence, "hunt": "exposure-domain", "rel": "QUERIED",
                            "touched": "evil.example", "first_seen": 100, "last_seen": 200, "prevalence": 1}
    return Observation(**{**base, **kw})


def strength(o: Observation, intel: Intel = MALICIOUS, population: int = POPULATION) -> Strength:
    return grade(o, intel, population=population, options=OPTIONS).strength


def test_the_words_read_in_order() -> None:
    words = [s.label for s in sorted(Strength)]
    assert words == ["weak", "low", "pivot", "medium", "strong", "very strong"]
    assert Strength.parse("pivot") is Strength.PIVOT
    assert Strength.MEDIUM.lowered() is Strength.LOW and Strength.LOW.lowered() is Strength.WEAK


def test_dedicated_ip_is_strong_and_a_hub_ip_weak() -> None:
    vps = obs("exact-ip", indicator_kind="IP", rel="CONNECTED_TO", touched="198.18.0.1", degree=1)
    hub = obs("exact-ip", indicator_kind="IP", rel="CONNECTED_TO", touched="198.18.0.2", degree=300)
    assert strength(vps) == Strength.STRONG
    hub_grade = grade(hub, MALICIOUS, population=POPULATION, options=OPTIONS)
    assert hub_grade.strength == Strength.WEAK and any("shared hosting: 300" in r for r in hub_grade.reasons)


def test_siblings_rank_at_pivot_and_hub_reached_stay_weak() -> None:
    sibling = obs("infrastructure", touched="sibling.example",
                  pivot=Pivot("seed.example", 1, ("198.18.0.3",), ("IP",), 3))
    through_hub = obs("infrastructure", touched="shop.example",
                      pivot=Pivot("seed.example", 1, ("198.18.0.4",), ("IP",), 40))
    through_list = obs("infrastructure", touched="other.example", hub_via="104.16.0.1 (on warninglist cloudflare)",
                       pivot=Pivot("seed.example", 1, ("104.16.0.1",), ("IP",), 2))
    assert strength(sibling) == Strength.PIVOT
    assert strength(through_hub) == Strength.WEAK
    listed = grade(through_list, MALICIOUS, population=POPULATION, options=OPTIONS)
    assert listed.strength == Strength.WEAK and "cloudflare" in listed.reasons[0]
    # Ranking, not only confidence: a pivot sibling outranks a weak hub-reached name even with a worse confidence.
    assert Strength.PIVOT > Strength.LOW > Strength.WEAK
    assert Strength.MEDIUM > Strength.PIVOT  # a name under an indicator outranks a sibling


def test_popular_service_named_as_context_stays_weak_even_when_rare() -> None:
    context = intel_from_rows([{"kind": "Domain", "key": "share.example", "flagged": True, "report": "misp:1",
                                "report_tags": [], "to_ids": False}])[("Domain", "share.example")]
    assert context.context
    touch = obs("exact-domain", touched="share.example", service="file-share", prevalence=1, bytes_out=50_000_000)
    g = grade(touch, context, population=POPULATION, options=OPTIONS)
    assert g.strength == Strength.WEAK and any("not raised" in r for r in g.reasons)
    # The same touch on malicious intel: a rare user (or a big upload) of a web service is worth a look.
    assert strength(touch) == Strength.LOW


def test_warninglist_meanings() -> None:
    popular = obs("url-host", indicator_kind="URL", touched="www.search.example", lists=("tranco10k",),
                  meanings=frozenset({"benign-popular"}))
    g = grade(popular, MALICIOUS, population=POPULATION, options=OPTIONS)
    assert g.strength == Strength.WEAK and "tranco10k" in " ".join(g.reasons)
    exact_url = obs("exact-url", indicator_kind="URL", rel="REQUESTED", touched="http://www.search.example/x",
                    lists=("tranco10k",), meanings=frozenset({"benign-popular"}))
    assert strength(exact_url) == Strength.VERY_STRONG
    service = obs("exact-domain", touched="api.lookup.example", lists=("whats-my-ip",),
                  meanings=frozenset({"abusable-service"}))
    assert grade(service, MALICIOUS, population=POPULATION, options=OPTIONS).evidence == "web-service"
    dyndns = obs("exact-domain", touched="abc.dyn.example", lists=("dynamic-dns",),
                 meanings=frozenset({"suspicious-context"}))
    noted = grade(dyndns, MALICIOUS, population=POPULATION, options=OPTIONS)
    assert noted.strength == Strength.STRONG and any("dynamic-dns" in r for r in noted.reasons)


def test_high_prevalence_lowers_names_not_urls() -> None:
    common = obs("exact-domain", touched="everyone.example", prevalence=45)
    g = grade(common, MALICIOUS, population=POPULATION, options=OPTIONS)
    assert g.strength == Strength.WEAK and any("45 of 100" in r and "20%" in r for r in g.reasons)
    assert strength(obs("exact-url", rel="REQUESTED", touched="http://everyone.example/a", prevalence=45)) == \
        Strength.VERY_STRONG
    site = obs("subdomain", touched="a.everyone.example", hops=1, prevalence=1, site_prevalence=60,
               registered_domain="everyone.example")
    assert strength(site) == Strength.WEAK
    shared_client = obs("client-fingerprint", rel="USED_CLIENT", touched="ja3:" + "1" * 32, prevalence=70)
    assert strength(shared_client) == Strength.WEAK
    # Below the population floor nothing is common or rare: a lab of 5 hosts is not an enterprise.
    assert strength(common, population=5) == Strength.STRONG


def test_every_evidence_path_has_its_strength() -> None:
    assert strength(obs("server-certificate", indicator_kind="Certificate", rel="CONNECTED_TO",
                        touched="198.18.0.9")) == Strength.STRONG
    answer = obs("dns-answer", indicator_kind="IP", touched="quiet.example", degree=2)
    assert strength(answer) == Strength.MEDIUM
    assert strength(obs("dns-answer", indicator_kind="IP", touched="shop.example", degree=30)) == Strength.WEAK
    server_fp = obs("server-fingerprint", indicator_kind="Fingerprint", rel="CONNECTED_TO", touched="198.18.0.9",
                    degree=2)
    assert strength(server_fp) == Strength.MEDIUM
    assert strength(obs("server-fingerprint", indicator_kind="Fingerprint", rel="CONNECTED_TO",
                        touched="198.18.0.9", degree=80)) == Strength.WEAK


def test_context_never_makes_a_finding_strong() -> None:
    rows = [{"kind": "Domain", "key": "ctx.example", "flagged": False, "report": "stix:b", "report_tags": []}]
    observed = intel_from_rows(rows)[("Domain", "ctx.example")]
    assert observed.context and "without calling it an indicator" in observed.context_why[0]
    assert strength(obs("exact-domain", touched="ctx.example"), observed) == Strength.WEAK
    assert strength(obs("subdomain", hops=1, touched="a.ctx.example"), observed) == Strength.LOW
    # One indicator mention is enough to make it an indicator.
    both = intel_from_rows([*rows, {"kind": "Domain", "key": "ctx.example", "flagged": True, "report": "misp:2",
                                    "report_tags": [], "to_ids": True}])[("Domain", "ctx.example")]
    assert not both.context
