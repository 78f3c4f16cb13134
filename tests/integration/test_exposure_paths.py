"""Issue #10 on both engines: every evidence path at its strength, every context rule, and an expansion
that tells siblings from hubs, on a small planted-truth enterprise loaded through the real loaders
(MISP, STIX, IOC list) and the ingest path (telemetry edges as the Zeek loader writes them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.misp import read_misp
from graphpivot.loaders.intel.stix import read_stix
from support import load

from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import Finding, Options
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.vocabulary import Strength
from graphpivot.model import Edge, Record, Skipped, entity
from graphpivot.reference.install import install_all
from graphpivot.store.base import GraphStore

T0 = 1_780_000_000
DAY = 86400
HOSTS = [f"10.3.0.{n}" for n in range(1, 41)]  # 40 active hosts: prevalence rules apply
CERT = "ab" * 32
JA3S = "ja3s:" + "5e" * 16


def seen(first: int = T0, days: int = 2, **extra: object) -> dict[str, object]:
    return {"first_seen": first, "last_seen": first + days * DAY, "count": 3, **extra}


def misp_event(tmp: Path) -> Path:
    attrs = [
        {"type": "domain", "value": "c2-sni.example", "to_ids": True},
        {"type": "ip-dst", "value": "203.0.113.60", "to_ids": True},
        {"type": "x509-fingerprint-sha256", "value": CERT, "to_ids": True},
        {"type": "domain", "value": "context-only.example", "to_ids": False, "comment": "the victim's site"},
        {"type": "url", "value": "https://www.google.com/url?q=https://evil-landing.example/", "to_ids": True},
        {"type": "domain", "value": "actor-main.example", "to_ids": True},
        {"type": "domain", "value": "actor-shared.example", "to_ids": True},
        {"type": "domain", "value": "actor-cdn.example", "to_ids": True},
        {"type": "domain", "value": "api.ipify.org", "to_ids": True},
        {"type": "domain", "value": "everyone.example", "to_ids": True},
    ]
    url_object = {"name": "url", "meta-category": "network", "uuid": "5a1b2c3d-0000-4000-8000-00000000000a",
                  "Attribute": [
                      {"type": "url", "object_relation": "url", "value": "http://paste-site.example/raw/abc",
                       "to_ids": True},
                      {"type": "hostname", "object_relation": "host", "value": "paste-site.example", "to_ids": True},
                  ]}
    event = {"Event": {"uuid": "5a1b2c3d-0000-4000-8000-000000000001", "info": "planted", "date": "2026-05-01",
                       "timestamp": str(T0 - 10 * DAY), "Attribute": [
                           {**a, "uuid": f"5a1b2c3d-0000-4000-8000-{n:012d}", "category": "Network activity"}
                           for n, a in enumerate(attrs, start=100)], "Object": [url_object]}}
    path = tmp / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def stix_bundle(tmp: Path) -> Path:
    bundle = {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000002",
         "created": "2026-05-01T00:00:00Z", "modified": "2026-05-01T00:00:00Z", "pattern_type": "stix",
         "pattern": "[domain-name:value = 'stix-c2.example']", "valid_from": "2026-05-01T00:00:00Z"},
        {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-000000000003",
         "value": "observed-only.example"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-0000000004",
         "created": "2026-05-01T00:00:00Z", "modified": "2026-05-01T00:00:00Z",
         "first_observed": "2026-05-01T00:00:00Z", "last_observed": "2026-05-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["domain-name--00000000-0000-4000-8000-000000000003"]},
    ]}
    path = tmp / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def ioc_lists(tmp: Path) -> list[Path]:
    folder = tmp / "trails" / "suspicious"
    folder.mkdir(parents=True)
    suspicious = folder / "ipinfo.txt"
    suspicious.write_text("# IP lookup services\nlookup-service.example\n", encoding="utf-8")
    plain = tmp / "trails" / "mixed.txt"
    plain.write_text("ioc-list-c2.example\n" + "d41d8cd98f00b204e9800998ecf8427e\n" + "bad@actor.example\n"
                     + "198.51.100.0/24\n", encoding="utf-8")
    return [suspicious, plain]


def telemetry() -> Iterator[Record]:
    """Every host resolves a few common names; one host per planted case touches its infrastructure."""
    def q(host: str, name: str, **kw: object) -> Edge:
        return Edge("QUERIED", "Host", host, "Domain", name, seen(sources=["zeek"], **kw))

    def flow(host: str, ip: str) -> Edge:
        return Edge("CONNECTED_TO", "Host", host, "IP", ip, seen(sources=["zeek"], bytes_out=900))

    def sni(host: str, name: str) -> Edge:
        return Edge("CONNECTED_TO", "Host", host, "Domain", name, seen(sources=["zeek"], bytes_out=900))

    for n, host in enumerate(HOSTS):
        yield q(host, "intranet-update.example")
        if n < 20:
            yield q(host, "everyone.example")  # half the fleet: a name inside a MISP event everyone uses
        if n < 12:
            yield q(host, "www.google.com")
    h = HOSTS
    # Evidence paths (point 6).
    yield Edge("SERVES_CERT", "IP", "198.18.1.50", "Certificate", CERT, seen(ports=[443]))
    yield flow(h[0], "198.18.1.50")  # a TLS session presented the indicator certificate
    yield Edge("RESOLVES_TO", "Domain", "quiet-node.example", "IP", "203.0.113.60", seen())
    yield q(h[1], "quiet-node.example")  # the DNS answer carried the indicator IP; no flow logged
    yield q(h[2], "paste-site.example")  # DNS only, to the site of an indicator URL
    yield sni(h[3], "paste-site.example")  # TLS SNI only, to the site of an indicator URL
    yield entity("Report", "fp-table:c2", source="fp-table")  # a server-fingerprint table (JA3S of a C2 kit)
    yield entity("Fingerprint", JA3S, indicator=True)
    yield Edge("MENTIONS", "Report", "fp-table:c2", "Fingerprint", JA3S, {"first_seen": T0})
    yield Edge("HAS_FINGERPRINT", "IP", "198.18.1.70", "Fingerprint", JA3S, seen(ports=[443]))
    yield flow(h[4], "198.18.1.70")  # the server answered with the indicator JA3S
    yield sni(h[5], "c2-sni.example")  # exact domain, seen only as TLS SNI
    # Context (point 4).
    yield q(h[6], "context-only.example")
    yield q(h[7], "observed-only.example")
    yield q(h[7], "stix-c2.example")
    yield q(h[8], "lookup-service.example")
    yield q(h[9], "api.ipify.org")
    # Expansion (point 5): a dedicated IP with a sibling, a hub IP, a CDN range, a context seed.
    for name in ("actor-main.example", "actor-sibling.example", "actor-third.example"):
        yield Edge("RESOLVES_TO", "Domain", name, "IP", "198.18.5.5", seen())
    yield q(h[10], "actor-sibling.example")
    for n in range(40):
        yield Edge("RESOLVES_TO", "Domain", f"shop-{n}.example", "IP", "198.18.9.9", seen())
    yield Edge("RESOLVES_TO", "Domain", "actor-shared.example", "IP", "198.18.9.9", seen())
    yield q(h[11], "shop-7.example")
    for name in ("actor-cdn.example", "innocent-cf.example"):
        yield Edge("RESOLVES_TO", "Domain", name, "IP", "104.16.0.1", seen())
    yield q(h[12], "innocent-cf.example")
    for name in ("context-only.example", "context-sibling.example"):
        yield Edge("RESOLVES_TO", "Domain", name, "IP", "198.18.7.7", seen())
    yield q(h[13], "context-sibling.example")
    # URL seeds no telemetry logged (a URL seen only in a report): its site and its registered domain.
    yield q(h[14], "cdn.actor-site.example")
    yield q(h[15], "actor-site.example")
    yield q(h[16], "mail.actor-site.example")
    yield q(h[17], "docs.google.com")
    for host in HOSTS:
        yield entity("Host", host)


@pytest.fixture(scope="module")
def planted(module_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    tmp = tmp_path_factory.mktemp("planted")
    install_all(module_store)
    load(module_store, read_misp(misp_event(tmp), "misp", observed_at=T0), source="misp")
    load(module_store, read_stix(stix_bundle(tmp), "stix", observed_at=T0), source="stix")
    for path in ioc_lists(tmp):
        load(module_store, read_ioc_list(path, "trails", observed_at=T0), source="trails")
    load(module_store, telemetry(), source="zeek")
    return module_store


def findings(store: GraphStore, expand: bool = False) -> dict[tuple[str, str], Finding]:
    result = Exposure(Runner(store), Options(expand=expand)).run([], all_indicators=True)
    return {(f.host, f.indicator): f for f in result.findings}


@pytest.fixture(scope="module")
def plain(planted: GraphStore) -> dict[tuple[str, str], Finding]:
    return findings(planted)


@pytest.fixture(scope="module")
def expanded(planted: GraphStore) -> dict[tuple[str, str], Finding]:
    return findings(planted, expand=True)


def grade_of(got: dict[tuple[str, str], Finding], host: str, indicator: str) -> tuple[str, str]:
    f = got[(host, indicator)]
    return f.evidence, f.strength.label


# ---------------------------------------------------------------- point 6: every evidence path


def test_tls_session_presenting_an_indicator_certificate_is_strong(plain: dict[tuple[str, str], Finding]) -> None:
    f = plain[(HOSTS[0], CERT)]
    assert (f.evidence, f.strength) == ("server-certificate", Strength.STRONG)
    assert f.path[-2:] == ["-SERVES_CERT->", f"Certificate:{CERT}"]


def test_dns_answer_carrying_an_indicator_ip_is_weaker_than_a_connection(
    plain: dict[tuple[str, str], Finding],
) -> None:
    f = plain[(HOSTS[1], "203.0.113.60")]
    assert (f.evidence, f.strength) == ("dns-answer", Strength.MEDIUM)
    assert "-RESOLVES_TO->" in f.path and Strength.MEDIUM < Strength.STRONG


def test_dns_only_and_sni_only_touches_of_an_indicator_urls_site(plain: dict[tuple[str, str], Finding]) -> None:
    url = "http://paste-site.example/raw/abc"
    assert grade_of(plain, HOSTS[2], url) == ("url-host", "medium")
    sni = plain[(HOSTS[3], url)]
    assert (sni.evidence, sni.strength.label) == ("url-host", "medium") and sni.path[1] == "-CONNECTED_TO->"


def test_server_fingerprint_and_sni_only_exact_domain(plain: dict[tuple[str, str], Finding]) -> None:
    assert grade_of(plain, HOSTS[4], JA3S) == ("server-fingerprint", "medium")
    assert grade_of(plain, HOSTS[5], "c2-sni.example") == ("exact-domain", "strong")


def test_url_seed_absent_from_the_graph_finds_its_site_and_registered_domain(planted: GraphStore) -> None:
    seed, docs = "hxxp://cdn[.]actor-site[.]example/p.bin", "https://docs.google.com/document/d/1x/edit"
    result = Exposure(Runner(planted), Options()).run([seed, docs])
    got = {(f.host, f.indicator): f for f in result.findings}
    url = "http://cdn.actor-site.example/p.bin"
    assert not planted.read("MATCH (u:URL {key: $k}) RETURN u", {"k": url})  # matched from the text alone
    assert grade_of(got, HOSTS[14], url) == ("url-host", "medium")
    for host, name in ((HOSTS[15], "actor-site.example"), (HOSTS[16], "mail.actor-site.example")):
        f = got[(host, url)]
        assert (f.evidence, f.strength, f.touched) == ("url-domain", Strength.WEAK, [name])
    assert {f.host for f in result.findings if f.indicator == url} == set(HOSTS[14:17])
    # A document on a popular service: its site, weak; never every user of the provider's other names.
    docs_hits = [f for f in result.findings if f.indicator == docs]
    assert [(f.host, f.evidence, f.strength) for f in docs_hits] == [(HOSTS[17], "web-service", Strength.WEAK)]


# ---------------------------------------------------------------- point 4: context is not an indicator


def test_misp_to_ids_false_is_context(plain: dict[tuple[str, str], Finding]) -> None:
    f = plain[(HOSTS[6], "context-only.example")]
    assert f.strength == Strength.WEAK and any("context" in r for r in f.reasons)


def test_url_object_host_attribute_is_context(planted: GraphStore, plain: dict[tuple[str, str], Finding]) -> None:
    rows = planted.read("MATCH (:Report)-[m:MENTIONS]->(d:Domain {key: 'paste-site.example'}) RETURN m.to_ids AS t")
    assert [r["t"] for r in rows] == [False]
    assert plain[(HOSTS[2], "paste-site.example")].strength == Strength.WEAK  # the host itself: context
    assert plain[(HOSTS[2], "http://paste-site.example/raw/abc")].strength == Strength.MEDIUM  # the URL's site


def test_stix_observed_data_no_pattern_names_is_context(plain: dict[tuple[str, str], Finding]) -> None:
    assert plain[(HOSTS[7], "observed-only.example")].strength == Strength.WEAK
    assert grade_of(plain, HOSTS[7], "stix-c2.example") == ("exact-domain", "strong")


def test_suspicious_folder_is_context_without_a_tag(plain: dict[tuple[str, str], Finding]) -> None:
    f = plain[(HOSTS[8], "lookup-service.example")]
    assert f.strength == Strength.WEAK and any("suspicious" in r for r in f.reasons)
    assert plain[(HOSTS[8], "lookup-service.example")].strength < Strength.LOW


def test_warninglist_hit_is_weak_and_names_the_list(plain: dict[tuple[str, str], Finding]) -> None:
    f = plain[(HOSTS[9], "api.ipify.org")]
    # Malicious intel names an IP-lookup service on a warninglist: weak, and a list-only service is not raised.
    assert (f.evidence, f.strength) == ("web-service", Strength.WEAK)
    assert any("whats-my-ip" in r or "findip-host" in r for r in f.reasons)


def test_popular_search_engine_url_is_weak_for_everyone(plain: dict[tuple[str, str], Finding]) -> None:
    url = "https://www.google.com/url?q=https://evil-landing.example/"
    hits = [f for (_, ind), f in plain.items() if ind == url]
    assert len(hits) == 12 and {f.strength for f in hits} == {Strength.WEAK}


def test_high_prevalence_name_in_an_event_is_weak(plain: dict[tuple[str, str], Finding]) -> None:
    hits = [f for (_, ind), f in plain.items() if ind == "everyone.example"]
    assert len(hits) == 20 and {f.strength for f in hits} == {Strength.WEAK}
    assert any("20 of 40" in r for r in hits[0].reasons)


def test_ioc_list_counts_hashes_emails_and_cidrs_as_skipped(tmp_path: Path) -> None:
    _, plain_list = ioc_lists(tmp_path)
    records = list(read_ioc_list(plain_list, "trails", observed_at=T0))
    skipped = sorted(r.what for r in records if isinstance(r, Skipped))
    assert skipped == ["ioc CIDR ranges", "ioc MD5 hashes", "ioc e-mail addresses"]
    assert not [r for r in records if type(r).__name__ == "Reject"]


# ---------------------------------------------------------------- point 5: siblings, hubs, seeds


def test_expansion_ranks_siblings_at_pivot_and_hubs_weak(expanded: dict[tuple[str, str], Finding]) -> None:
    sibling = expanded[(HOSTS[10], "actor-main.example")]
    assert (sibling.evidence, sibling.strength) == ("infrastructure", Strength.PIVOT)
    shop = expanded.get((HOSTS[11], "actor-shared.example"))
    assert shop is None or shop.strength == Strength.WEAK  # 41 names on one IP: a hub
    # Through a CDN address (on the Cloudflare warninglist, and the noise list): never a sibling.
    cdn = expanded.get((HOSTS[12], "actor-cdn.example"))
    assert cdn is None or (cdn.strength == Strength.WEAK and any("cloudflare" in r for r in cdn.reasons))
    ranked = sorted(expanded.values(), key=Finding.sort_key)
    weak = [f for f in ranked if f.evidence == "infrastructure" and f.strength == Strength.WEAK]
    assert all(ranked.index(sibling) < ranked.index(f) for f in weak)


def test_context_never_seeds_an_expansion(expanded: dict[tuple[str, str], Finding]) -> None:
    assert not [f for (host, _), f in expanded.items() if host == HOSTS[13] and f.pivot is not None]
