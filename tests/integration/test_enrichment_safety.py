"""Enrichment safety (#12 item 4): what passive jobs keep away from, the one address classifier, and RDAP's limits.

Passive jobs must never send a packet toward the adversary: every host of an indicator URL, every name under an
indicator domain and every address in an indicator range is indicator infrastructure. The address guard judges
IPv6 forms that carry IPv4 (mapped, compatible, NAT64, 6to4, Teredo) by the IPv4 address they reach. RDAP talks
https only (http only to a loopback test server), follows no redirect to another scheme, and refuses answers that
are too large or too deep, against a real HTTP server on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from enrich_servers import RdapServer
from support import load

from graphpivot.addresses import is_public
from graphpivot.enrich.base import Target
from graphpivot.enrich.rdap_enricher import MAX_RDAP_BYTES, MAX_RDAP_DEPTH, RdapEnricher, check_base_url
from graphpivot.enrich.selection import SKIP_INDICATOR, SKIP_PRIVATE, IndicatorInfrastructure, plan
from graphpivot.model import Edge, entity
from graphpivot.store.base import GraphStore

INDICATOR_INFRASTRUCTURE = {
    ("Domain", "cdn.url-host.example"),  # host of an indicator URL
    ("IP", "198.51.100.7"),  # address host of an indicator URL
    ("Domain", "deep.a.bad.example"),  # under an indicator domain
    ("IP", "203.0.113.50"),  # inside an indicator netblock
    ("Domain", "victim.example.net"),  # delegated to a name server under an indicator domain
}
HARMLESS = {("Domain", "url-host.example"), ("Domain", "good.example"), ("IP", "203.0.114.1"),
            ("IP", "198.51.100.8")}


@pytest.fixture
def seeded(store: GraphStore) -> GraphStore:
    load(store, [
        entity("URL", "http://cdn.url-host.example/payload.bin", indicator=True),
        entity("URL", "http://198.51.100.7/gate.php", indicator=True),
        entity("Domain", "bad.example", indicator=True),
        entity("Netblock", "203.0.113.0/24", indicator=True),
        *(entity(label, key) for label, key in INDICATOR_INFRASTRUCTURE | HARMLESS),
        Edge("NS", "Domain", "victim.example.net", "Domain", "ns1.bad.example"),
    ], source="seed")
    return store


def test_passive_plan_keeps_away_from_every_part_of_indicator_infrastructure(seeded: GraphStore) -> None:
    indicators = IndicatorInfrastructure(seeded)
    candidates = [Target(label, key) for label, key in INDICATOR_INFRASTRUCTURE | HARMLESS]
    passive = plan(candidates, indicators=indicators, fresh=set(), allow_private=True)
    assert {(t.label, t.key) for t in passive.skipped[SKIP_INDICATOR]} == INDICATOR_INFRASTRUCTURE
    assert {(t.label, t.key) for t in passive.targets} == HARMLESS
    active = plan(candidates, indicators=None, fresh=set(), allow_private=True)
    assert {(t.label, t.key) for t in active.targets} == INDICATOR_INFRASTRUCTURE | HARMLESS


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True),
    ("10.0.0.1", False),
    ("::ffff:10.0.0.1", False),  # IPv4-mapped
    ("::ffff:8.8.8.8", True),
    ("::10.0.0.1", False),  # IPv4-compatible
    ("64:ff9b::a00:1", False),  # NAT64 to 10.0.0.1
    ("64:ff9b::808:808", True),  # NAT64 to 8.8.8.8
    ("64:ff9b:1::a00:1", False),  # local-use NAT64 prefix (RFC 8215)
    ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
    ("2002:c000:0201::1", False),  # 6to4 of 192.0.2.1 (documentation)
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo: client 10.0.0.1 (obfuscated)
    ("2606:4700:4700::1111", True),
    ("ff02::1", False),  # multicast
    ("224.0.0.1", False),
    ("127.0.0.1", False),
    ("::1", False),
])
def test_one_classifier_judges_embedded_ipv4_by_what_it_reaches(address: str, public: bool) -> None:
    assert is_public(address) is public


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "2002:a00:1::1", "::ffff:192.168.1.1"])
def test_passive_and_active_jobs_refuse_private_targets_hidden_in_ipv6(address: str) -> None:
    result = plan([Target("IP", address)], indicators=None, fresh=set(), allow_private=False)
    assert [t.key for t in result.skipped[SKIP_PRIVATE]] == [address]


@pytest.mark.parametrize("base", ["file:///etc/passwd", "ftp://rdap.example/", "http://rdap.example/",
                                  "http://10.0.0.1/", "gopher://127.0.0.1/", "https://"])
def test_rdap_base_url_must_be_https_or_a_loopback_test_server(base: str) -> None:
    with pytest.raises(ValueError, match="must be https"):
        check_base_url(base)


def test_rdap_base_url_accepts_https_and_loopback_http() -> None:
    assert check_base_url("https://rdap.example/") == "https://rdap.example/"
    assert check_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"


@pytest.fixture
def rdap() -> Iterator[RdapServer]:
    server = RdapServer(responses=[]).start()
    yield server
    server.stop()


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x", "https://127.0.0.1:1/ip/x"])
def test_rdap_follows_no_redirect_to_another_scheme(rdap: RdapServer, location: str) -> None:
    rdap.special["192.0.2.1"] = ("redirect", location)
    found = RdapEnricher(rdap.url, timeout=5, resolver=None).lookup(Target("IP", "192.0.2.1"), 1_700_000_000)
    assert found.outcome == "bad_request"
    assert ("refused" in found.reason or "not allowed" in found.reason), found.reason
    assert rdap.hits["192.0.2.1"] == 1  # the redirect was never followed


def test_rdap_refuses_answers_too_large_or_too_deep(rdap: RdapServer) -> None:
    rdap.special["192.0.2.2"] = ("body", b'{"pad": "' + b"x" * MAX_RDAP_BYTES + b'"}')
    deep = {"objectClassName": "ip network"}
    for _ in range(MAX_RDAP_DEPTH + 5):
        deep = {"entities": [deep]}
    rdap.special["192.0.2.3"] = ("body", json.dumps(deep).encode())
    rdap.special["192.0.2.4"] = ("body", b"[" * 100_000)
    enricher = RdapEnricher(rdap.url, timeout=5, resolver=None)
    large = enricher.lookup(Target("IP", "192.0.2.2"), 1_700_000_000)
    assert (large.outcome, f"larger than {MAX_RDAP_BYTES} bytes" in large.reason) == ("malformed", True)
    for address in ("192.0.2.3", "192.0.2.4"):
        nested = enricher.lookup(Target("IP", address), 1_700_000_000)
        assert nested.outcome == "malformed" and "nested deeper" in nested.reason, nested.reason


def test_default_rdap_service_is_ipwhois_bootstrap() -> None:
    from ipwhois.rdap import BOOTSTRAP_URL

    from graphpivot.enrich.base import DEFAULT_RDAP_URL

    assert DEFAULT_RDAP_URL == BOOTSTRAP_URL and check_base_url(DEFAULT_RDAP_URL) == DEFAULT_RDAP_URL
