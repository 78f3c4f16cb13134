"""DNS enrichment against a real NSD on loopback (behind a logging forwarder), on both engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from enrich_servers import DnsForwarder, Nsd, edges, outcomes, run_job
from support import load, rows

from graphpivot.enrich.dns_enricher import DnsEnricher
from graphpivot.enrich.prepare import JobRequest
from graphpivot.enrich.resolver import make_resolver
from graphpivot.enrich.runner import EXIT_PARTIAL, Limits
from graphpivot.model import Edge, entity
from graphpivot.store.base import GraphStore

SOA = {
    "example.com": ("ns1.example.com", "hostmaster.example.com"),
    "example.org": ("ns1.bad.example.org", "dns-admin.example.org"),
}
# What the test zones serve: owner -> [(type, value)]. The expectations below are computed from this table.
SERVED: dict[str, list[tuple[str, str]]] = {
    "example.com": [
        ("NS", "ns1.example.com"),
        ("NS", "ns2.example.net"),
        ("A", "192.0.2.10"),
        ("AAAA", "2001:db8::10"),
        ("MX", "10 mail.example.com"),
        ("MX", "20 mx.example.net"),
        ("TXT", '"v=spf1 -all"'),
        ("TXT", '"two " "strings"'),
    ],
    "www.example.com": [("CNAME", "example.com")],
    "ns1.example.com": [("A", "192.0.2.53")],
    "mail.example.com": [("A", "192.0.2.25"), ("A", "192.0.2.26")],
    "shop.example.com": [("CNAME", "store.example.net")],
    "slow.example.com": [("A", "192.0.2.99")],
    "example.org": [("NS", "ns1.bad.example.org"), ("A", "192.0.2.77")],
    "bad.example.org": [("A", "192.0.2.66")],
    "c2.bad.example.org": [("A", "192.0.2.67")],
    "ns1.bad.example.org": [("A", "192.0.2.68")],
}
PTR = {"192.0.2.10": "example.com", "192.0.2.53": "ns1.example.com", "192.0.2.66": "bad.example.org"}
REVERSE_ZONE = "2.0.192.in-addr.arpa"
SLOW = "slow.example.com"
FAILING = {  # target -> outcome the servers produce for it
    "missing.example.com": "nxdomain",
    SLOW: "timeout",
    "host.broken.example": "servfail",
    "broken.example": "servfail",
    "nowhere.example": "refused",
    "IP:192.0.2.25": "nxdomain",
}


def zone_text(zone: str) -> str:
    mname, rname = SOA[zone]
    lines = ["$TTL 300", f"{zone}. IN SOA {mname}. {rname}. 1 3600 600 86400 300"]
    for owner, records in SERVED.items():
        if owner == zone or owner.endswith("." + zone):
            for rtype, value in records:
                dot = "." if rtype in ("NS", "CNAME", "MX") else ""
                lines.append(f"{owner}. IN {rtype} {value}{dot}")
    return "\n".join(lines) + "\n"


def reverse_text() -> str:
    lines = ["$TTL 300", f"{REVERSE_ZONE}. IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300"]
    lines += [f"{ip.rsplit('.', 1)[1]}.{REVERSE_ZONE}. IN PTR {name}." for ip, name in PTR.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def dns_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsForwarder]:
    """NSD with the test zones (and a zone whose file is broken: SERVFAIL), behind a logging forwarder."""
    zones = {
        "example.com": zone_text("example.com"),
        "example.org": zone_text("example.org"),
        REVERSE_ZONE: reverse_text(),
        "broken.example": "this is not a zone file {\n",
    }
    nsd = Nsd(tmp_path_factory.mktemp("nsd"), zones).start()
    forwarder = DnsForwarder(("127.0.0.1", nsd.port), drop=lambda name: name == SLOW).start()
    yield forwarder
    forwarder.stop()
    nsd.stop()


@pytest.fixture
def resolver_for(dns_servers: DnsForwarder):  # type: ignore[no-untyped-def]
    dns_servers.questions.clear()
    return make_resolver([("127.0.0.1", dns_servers.port)], timeout=0.4)


# ---------------------------------------------------------------- expectations from SERVED


def chain(name: str) -> list[str]:
    """The name and the in-zone names its CNAMEs lead to (what an authoritative server chases)."""
    names = [name]
    while True:
        cname = [v for t, v in SERVED.get(names[-1], []) if t == "CNAME"]
        if not cname or cname[0] not in SERVED:
            return names
        names.append(cname[0])


def expected_edges(domains: list[str], ips: list[str]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for domain in domains:
        for name in chain(domain):
            zone = next(z for z in SOA if name == z or name.endswith("." + z))
            _, rname = SOA[zone]
            local, _, host = rname.partition(".")
            found.add(("SOA_EMAIL", zone, f"{local}@{host}"))
            for rtype, value in SERVED.get(name, []):
                if rtype in ("A", "AAAA"):
                    found.add(("RESOLVES_TO", name, value))
                elif rtype in ("CNAME", "NS"):
                    found.add((rtype, name, value))
                elif rtype == "MX":
                    found.add(("MX", name, value.split()[1]))
    for ip in ips:
        if ip in PTR:
            found.add(("PTR", ip, PTR[ip]))
    return found


def graph_edges(store: GraphStore) -> set[tuple[str, str, str]]:
    found = set()
    for rel, src, dst in (
        ("RESOLVES_TO", "Domain", "IP"),
        ("CNAME", "Domain", "Domain"),
        ("NS", "Domain", "Domain"),
        ("MX", "Domain", "Domain"),
        ("SOA_EMAIL", "Domain", "Email"),
        ("PTR", "IP", "Domain"),
    ):
        found |= {(rel, e["src"], e["dst"]) for e in edges(store, rel, src, dst)}
    return found


def seed(store: GraphStore, domains: list[str], ips: list[str], *extra: object) -> None:
    load(store, [*(entity("Domain", d) for d in domains), *(entity("IP", i) for i in ips), *extra], source="seed")


# ---------------------------------------------------------------- tests


def test_graph_holds_exactly_the_records_served(store: GraphStore, resolver_for) -> None:  # type: ignore[no-untyped-def]
    good = ["example.com", "www.example.com", "mail.example.com", "shop.example.com"]
    failing = [t for t in FAILING if not t.startswith("IP:")]
    ips = ["192.0.2.10", "192.0.2.25"]
    seed(store, good + failing, ips)
    every = "MATCH (n) WHERE n.kind IN ['Domain', 'IP'] RETURN n.kind AS kind, n.key AS key"
    selected = {(r["kind"], r["key"]) for r in rows(store, every)}

    the_plan, summary, log = run_job(
        store, DnsEnricher(resolver_for), JobRequest(targets=["all"], allow_private=True), now=1_700_000_000
    )

    assert {(t.label, t.key) for t in the_plan.targets} == selected
    assert graph_edges(store) == expected_edges(good, ips)
    txt = rows(store, "MATCH (d:Domain {key: 'example.com'}) RETURN d.txt AS txt")[0]["txt"]
    assert sorted(txt) == ["two strings", "v=spf1 -all"]
    # Every edge the job wrote is one observation at the run's time, sourced to the job.
    for rel, src, dst in (("RESOLVES_TO", "Domain", "IP"), ("NS", "Domain", "Domain"), ("PTR", "IP", "Domain")):
        for edge in edges(store, rel, src, dst):
            assert (edge["count"], edge["first_seen"], edge["last_seen"], edge["sources"]) == (
                1, 1_700_000_000, 1_700_000_000, ["enrich:dns"]
            ), edge
    # Every target has its outcome and a reason; failures are recorded, the job went on.
    recorded = outcomes(store, "dns")
    for label, key in selected:
        want = FAILING.get(key) or FAILING.get(f"{label}:{key}") or "ok"
        got = recorded[f"{label}:{key}"]
        assert (got["outcome"], bool(got["reason"]), got["checked_at"]) == (want, True, 1_700_000_000), key
    assert "SERVFAIL" in recorded["Domain:broken.example"]["reason"]
    assert "REFUSED" in recorded["Domain:nowhere.example"]["reason"]
    assert recorded[f"Domain:{SLOW}"]["attempts"] == 2  # one retry after the timeout
    assert summary.exit_code == EXIT_PARTIAL and summary.failed == 4  # NXDOMAIN is an answer, not a failure
    failed_lines = [e for e in log if e["event"] == "target" and e["outcome"] != "ok"]
    assert {e["target"] for e in failed_lines} == {k.removeprefix("IP:") for k in FAILING}


def test_passive_job_sends_nothing_toward_indicator_infrastructure(
    store: GraphStore, dns_servers: DnsForwarder, resolver_for  # type: ignore[no-untyped-def]
) -> None:
    seed(
        store,
        ["example.com", "www.example.com", "c2.bad.example.org", "victim.example.net"],
        [],
        entity("Domain", "bad.example.org", indicator=True),
        entity("IP", "192.0.2.66", indicator=True),
        Edge("NS", "Domain", "victim.example.net", "Domain", "ns1.bad.example.org"),
    )
    adversary = ("bad.example.org", "victim.example.net", "66.2.0.192.in-addr.arpa")

    def touched() -> set[str]:
        return {n for n in dns_servers.names() if any(n == a or n.endswith("." + a) for a in adversary)}

    the_plan, _, _ = run_job(store, DnsEnricher(resolver_for), JobRequest(targets=["all"], allow_private=True))
    skipped = {t.key for t in the_plan.skipped["indicator infrastructure (needs --active)"]}
    assert skipped == {
        "bad.example.org", "c2.bad.example.org", "ns1.bad.example.org", "victim.example.net", "192.0.2.66"
    }
    assert "example.com" in dns_servers.names()  # the job did run
    assert touched() == set()
    assert not rows(store, "MATCH (e:Enrichment) WHERE e.target = 'bad.example.org' RETURN e.key AS k")

    dns_servers.questions.clear()
    run_job(store, DnsEnricher(resolver_for), JobRequest(targets=["all"], allow_private=True, active=True))
    assert touched() == {"bad.example.org", "c2.bad.example.org", "ns1.bad.example.org", "victim.example.net",
                         "66.2.0.192.in-addr.arpa"}


def test_max_age_skips_answered_targets_and_retries_failures(store: GraphStore, resolver_for) -> None:  # type: ignore[no-untyped-def]
    seed(store, ["example.com", "missing.example.com", SLOW], [])
    request = JobRequest(explicit=["example.com", "missing.example.com", SLOW], max_age=3600)
    limits = Limits(concurrency=2, retries=0)
    run_job(store, DnsEnricher(resolver_for), request, limits=limits, now=1_700_000_000)
    again, _, _ = run_job(store, DnsEnricher(resolver_for), request, limits=limits, now=1_700_000_600)
    assert [t.key for t in again.targets] == [SLOW]  # the timeout is tried again; NXDOMAIN is an answer
    assert {t.key for t in again.skipped["enriched within --max-age"]} == {"example.com", "missing.example.com"}
    later, _, _ = run_job(store, DnsEnricher(resolver_for), request, limits=limits, now=1_700_000_000 + 7200)
    assert len(later.targets) == 3
    # Two runs observed example.com's address: the edge counts two observations, last at the latest run.
    resolved = edges(store, "RESOLVES_TO", "Domain", "IP")
    edge = [e for e in resolved if (e["src"], e["dst"]) == ("example.com", "192.0.2.10")]
    assert (edge[0]["count"], edge[0]["first_seen"], edge[0]["last_seen"]) == (2, 1_700_000_000, 1_700_007_200)


def test_private_and_special_names_are_refused_unless_allowed(store: GraphStore, resolver_for) -> None:  # type: ignore[no-untyped-def]
    seed(store, ["printer.corp.internal", "example.com"], ["10.1.2.3", "192.0.2.10"])
    the_plan, _, _ = run_job(store, DnsEnricher(resolver_for), JobRequest(targets=["all"]))
    refused = {t.key for t in the_plan.skipped["private or reserved (needs --allow-private)"]}
    assert refused == {"printer.corp.internal", "corp.internal", "10.1.2.3", "192.0.2.10"}
    assert [t.key for t in the_plan.targets] == ["example.com"]
