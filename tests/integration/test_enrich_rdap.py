"""RDAP enrichment: recorded real RDAP responses replayed over HTTP on loopback, origin ASN from NSD."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from enrich_servers import Nsd, RdapServer, edges, free_port, outcomes, run_job
from support import load, rows

from graphpivot.enrich.prepare import JobRequest
from graphpivot.enrich.rdap_enricher import RdapEnricher
from graphpivot.enrich.resolver import make_resolver
from graphpivot.enrich.runner import EXIT_PARTIAL, Limits
from graphpivot.model import entity
from graphpivot.store.base import GraphStore

RECORDED = json.loads((Path(__file__).parents[1] / "data" / "rdap" / "responses.json").read_text(encoding="utf-8"))
REGISTRY_BY_WHOIS = {"whois.arin.net": "arin", "whois.ripe.net": "ripencc", "whois.lacnic.net": "lacnic",
                     "whois.afrinic.net": "afrinic", "whois.apnic.net": "apnic"}
SAME_NETWORK = {"74.125.1.1": "74.125.225.229", "196.11.241.7": "196.11.240.215"}  # extra addresses, no own record
FAILING = {
    "8.8.4.4": ("body", b'{"handle": "NET-8-8-4-0-1", "startAddress": '),  # cut short
    "8.8.8.8": ("body", b'{"errorCode": 400, "title": "not an ip network"}'),
    "9.9.9.9": ("status", 503),
    "1.0.0.1": ("sleep", 1.5),
}
EXPECTED_OUTCOME = {"8.8.4.4": "malformed", "8.8.8.8": "malformed", "9.9.9.9": "http_error", "1.0.0.1": "timeout",
                    "4.4.4.4": "not_found"}


def _plain(text: str) -> str:
    text = text.split("/", maxsplit=1)[0]
    return ".".join(str(int(p)) for p in text.split(".")) if "." in text else text


def expected_registration(address: str) -> dict[str, Any]:
    """From the recorded JSON alone: the CIDR holding the address, name, org, country, registry."""
    response = RECORDED[SAME_NETWORK.get(address, address)]["response"]
    start, end = (ipaddress.ip_address(_plain(response[k])) for k in ("startAddress", "endAddress"))
    ip = ipaddress.ip_address(address)
    cidr = next(str(n) for n in ipaddress.summarize_address_range(start, end) if ip in n)
    entities = response.get("entities", [])

    def fn(ent: dict[str, Any]) -> str:
        return next(item[3] for item in ent["vcardArray"][1] if item[0] == "fn")

    def kind(ent: dict[str, Any]) -> str:
        return next((item[3] for item in ent["vcardArray"][1] if item[0] == "kind"), "")

    registrant = [fn(e) for e in entities if "registrant" in e.get("roles", [])]
    orgs = [fn(e) for e in entities if kind(e) == "org"]
    return {
        "cidr": cidr,
        "name": response.get("name"),
        "org": (registrant + orgs + [None])[0],
        "country": response.get("country"),
        "registry": REGISTRY_BY_WHOIS[response["port43"]],
    }


def origin_owner(address: str) -> str:
    ip = ipaddress.ip_address(address)
    nibbles = ip.reverse_pointer.rsplit(".", 2)[0]
    return f"{nibbles}.origin.asn.cymru.com" if ip.version == 4 else f"{nibbles}.origin6.asn.cymru.com"


@pytest.fixture(scope="module")
def asn_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """NSD serving the recorded origin-ASN data as Cymru-style TXT records."""
    zones: dict[str, list[str]] = {"origin.asn.cymru.com": [], "origin6.asn.cymru.com": []}
    for address, record in RECORDED.items():
        asn = record["asn_data"]
        owner = origin_owner(address)
        line = f'{owner}. IN TXT "{asn["asn"]} | {asn["asn_cidr"]} | {asn["asn_country_code"]} | ' \
               f'{asn["asn_registry"]} | {asn["asn_date"]}"'
        zones[owner.split(".", owner.count(".") - 3)[-1]].append(line)
    texts = {
        zone: f"$TTL 300\n{zone}. IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300\n" + "\n".join(lines) + "\n"
        for zone, lines in zones.items()
    }
    nsd = Nsd(tmp_path_factory.mktemp("nsd-asn"), texts).start()
    yield nsd.port
    nsd.stop()


@pytest.fixture
def rdap() -> Iterator[RdapServer]:
    server = RdapServer([r["response"] for r in RECORDED.values()], special=dict(FAILING)).start()
    yield server
    server.stop()


def test_rdap_records_netblock_org_country_registry_and_origin(
    store: GraphStore, rdap: RdapServer, asn_dns: int
) -> None:
    addresses = [*RECORDED, *SAME_NETWORK, *FAILING, "4.4.4.4"]
    load(store, [entity("IP", a) for a in addresses], source="seed")
    enricher = RdapEnricher(rdap.url, timeout=0.5, resolver=make_resolver([("127.0.0.1", asn_dns)], timeout=1))
    _, summary, _ = run_job(
        store, enricher, JobRequest(targets=["all"]), limits=Limits(concurrency=1, retries=1, backoff=0.05)
    )

    blocks = {r["key"]: r for r in rows(store, "MATCH (b:Netblock) RETURN b.key AS key, b.name AS name, b.org AS org, "
                                               "b.country AS country, b.registry AS registry")}
    in_block = {(e["src"], e["dst"]) for e in edges(store, "IN_NETBLOCK", "IP", "Netblock")}
    announced = {(e["src"], e["dst"]) for e in edges(store, "ANNOUNCED_BY", "Netblock", "ASN")}
    for address in [*RECORDED, *SAME_NETWORK]:
        want = expected_registration(address)
        assert (address, want["cidr"]) in in_block
        assert {k: blocks[want["cidr"]][k] for k in ("name", "org", "country", "registry")} == {
            k: want[k] for k in ("name", "org", "country", "registry")
        }, address
    for address, record in RECORDED.items():
        asn = record["asn_data"]
        assert (address, asn["asn_cidr"]) in in_block
        assert (asn["asn_cidr"], asn["asn"]) in announced
        got = rows(store, "MATCH (a:ASN {key: $k}) RETURN a.number AS n, a.country AS c, a.registry AS r", k=asn["asn"])
        assert got == [{"n": int(asn["asn"]), "c": asn["asn_country_code"], "r": asn["asn_registry"]}]
    # Exactly these memberships: one registered block per address, plus the announced prefix where there is one.
    expected_pairs = {(a, expected_registration(a)["cidr"]) for a in [*RECORDED, *SAME_NETWORK]}
    expected_pairs |= {(a, r["asn_data"]["asn_cidr"]) for a, r in RECORDED.items()}
    expected_pairs |= {("196.11.241.7", RECORDED["196.11.240.215"]["asn_data"]["asn_cidr"])}  # inside that prefix
    assert in_block == expected_pairs

    # One HTTP request served every address of a network; failures were retried once.
    assert sum(n for a, n in rdap.hits.items() if a.startswith("74.125.")) == 1
    assert sum(n for a, n in rdap.hits.items() if a.startswith("196.11.")) == 1
    assert rdap.hits["9.9.9.9"] == 2 and rdap.hits["1.0.0.1"] == 2 and rdap.hits["8.8.4.4"] == 1
    recorded = outcomes(store, "rdap")
    for address in addresses:
        got = recorded[f"IP:{address}"]
        assert got["outcome"] == EXPECTED_OUTCOME.get(address, "ok") and got["reason"], (address, got)
    assert "[cached]" in recorded["IP:74.125.225.229"]["reason"]
    assert "HTTP 503" in recorded["IP:9.9.9.9"]["reason"]
    assert summary.exit_code == EXIT_PARTIAL


def test_refused_connection_is_an_outcome(store: GraphStore) -> None:
    load(store, [entity("IP", "74.125.225.229")], source="seed")
    closed = f"http://127.0.0.1:{free_port()}"
    _, summary, _ = run_job(
        store, RdapEnricher(closed, timeout=1, resolver=None), JobRequest(explicit=["74.125.225.229"]),
        limits=Limits(retries=0),
    )
    got = outcomes(store, "rdap")["IP:74.125.225.229"]
    assert got["outcome"] == "refused" and "refused" in got["reason"]
    assert summary.exit_code == 2  # nothing answered: failure
