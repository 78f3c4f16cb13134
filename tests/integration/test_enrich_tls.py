"""TLS certificate enrichment against TLS servers on loopback with certificates made here."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from enrich_servers import Issued, Nsd, TlsServer, edges, free_port, issue, outcomes, run_job
from support import load, rows

from graphpivot.enrich.prepare import JobRequest
from graphpivot.enrich.resolver import make_resolver
from graphpivot.enrich.runner import Limits
from graphpivot.enrich.tls_enricher import TlsEnricher
from graphpivot.model import entity
from graphpivot.store.base import GraphStore

NOW = dt.datetime.now(dt.UTC)
ZONE = """$TTL 300
example.com. IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
secure.example.com. IN A 127.0.0.1
old.example.com. IN A 127.0.0.1
"""


@dataclass
class Lab:
    """The servers and the certificates they serve."""

    resolver_port: int
    ca: Issued
    good: Issued
    expired: Issued
    selfsigned: Issued
    tls: TlsServer
    silent: TlsServer
    plain: TlsServer
    closed: int

    @property
    def ports(self) -> tuple[int, ...]:
        return (self.tls.port, self.closed, self.silent.port, self.plain.port)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    certs = tmp_path_factory.mktemp("certs")
    ca = issue(certs, "graphpivot test CA", sans=[], ca=True)
    good = issue(
        certs,
        "secure.example.com",
        issuer=ca,
        sans=[x509.DNSName("secure.example.com"), x509.DNSName("*.cdn.example.com"),
              x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    expired = issue(
        certs, "old.example.com", issuer=ca, sans=[x509.DNSName("old.example.com")],
        not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=30),
    )
    selfsigned = issue(certs, "selfsigned.example.com", sans=[x509.DNSName("selfsigned.example.com")])
    nsd = Nsd(tmp_path_factory.mktemp("nsd-tls"), {"example.com": ZONE}).start()
    servers = (
        TlsServer(default=selfsigned, by_name={"secure.example.com": good, "old.example.com": expired}).start(),
        TlsServer(mode="silent").start(),
        TlsServer(mode="plain").start(),
    )
    yield Lab(nsd.port, ca, good, expired, selfsigned, *servers, closed=free_port())
    for server in servers:
        server.stop()
    nsd.stop()


def test_certificates_served_are_recorded_with_outcomes(store: GraphStore, lab: Lab) -> None:
    load(store, [entity("Domain", "secure.example.com"), entity("Domain", "old.example.com")], source="seed")
    enricher = TlsEnricher(timeout=0.5, resolver=make_resolver([("127.0.0.1", lab.resolver_port)], timeout=1),
                           allow_private=True)
    request = JobRequest(
        explicit=["secure.example.com", "old.example.com", "127.0.0.1"],
        active=True,
        allow_private=True,
        ports=lab.ports,
    )
    the_plan, summary, _ = run_job(store, enricher, request, limits=Limits(concurrency=4, retries=0))
    assert len(the_plan.targets) == 3 * 4  # two names and an address, each on four ports

    sha = {name: hashlib.sha256(c.der).hexdigest() for name, c in
           (("good", lab.good), ("expired", lab.expired), ("self", lab.selfsigned))}
    served = {(e["src"], e["dst"]) for lbl in ("Domain", "IP") for e in edges(store, "SERVES_CERT", lbl, "Certificate")}
    assert served == {
        ("secure.example.com", sha["good"]), ("old.example.com", sha["expired"]), ("127.0.0.1", sha["self"])
    }
    ports = rows(store, "MATCH ()-[s:SERVES_CERT]->() RETURN s.ports AS p")
    assert all(r["p"] == [lab.tls.port] for r in ports)
    sans = {(e["src"], e["dst"]) for lbl in ("Domain", "IP") for e in edges(store, "SAN", "Certificate", lbl)}
    assert sans == {
        (sha["good"], "secure.example.com"), (sha["good"], "cdn.example.com"), (sha["good"], "127.0.0.1"),
        (sha["expired"], "old.example.com"), (sha["self"], "selfsigned.example.com"),
    }
    certs = {r["key"]: r for r in rows(
        store, "MATCH (c:Certificate) RETURN c.key AS key, c.sha1 AS sha1, c.subject_cn AS cn, c.issuer AS issuer, "
               "c.not_after AS not_after, c.self_signed AS self_signed, c.serial AS serial")}
    assert set(certs) == set(sha.values())
    for issued in (lab.good, lab.expired, lab.selfsigned):
        got = certs[hashlib.sha256(issued.der).hexdigest()]
        assert got == {
            "key": hashlib.sha256(issued.der).hexdigest(),
            "sha1": issued.cert.fingerprint(hashes.SHA1()).hex(),
            "cn": issued.cert.subject.rfc4514_string().removeprefix("CN="),
            "issuer": issued.cert.issuer.rfc4514_string(),
            "not_after": int(issued.cert.not_valid_after_utc.timestamp()),
            "self_signed": issued is lab.selfsigned,
            "serial": format(issued.cert.serial_number, "x"),
        }
    # One outcome per target and port, each with its reason; the job went on past every failure.
    recorded = outcomes(store, "tls")
    want = {}
    for kind, host, on_tls in (("Domain", "secure.example.com", "ok"), ("Domain", "old.example.com", "expired"),
                               ("IP", "127.0.0.1", "self_signed")):
        for port, outcome in zip(lab.ports, (on_tls, "refused", "timeout", "tls_error"), strict=True):
            want[f"{kind}:{host}:{port}"] = outcome
    assert {k: v["outcome"] for k, v in recorded.items()} == want
    assert all(v["reason"] for v in recorded.values())
    assert summary.failed == 9 and summary.exit_code == 1
    assert {"secure.example.com", "old.example.com", None} <= set(lab.tls.server_names)  # SNI sent for names


def test_private_addresses_need_allow_private(store: GraphStore, lab: Lab) -> None:
    load(store, [entity("Domain", "secure.example.com"), entity("IP", "127.0.0.1")], source="seed")
    enricher = TlsEnricher(timeout=0.5, resolver=make_resolver([("127.0.0.1", lab.resolver_port)], timeout=1),
                           allow_private=False)
    before = lab.tls.connections
    the_plan, _, _ = run_job(store, enricher, JobRequest(targets=["all"], active=True, ports=(lab.tls.port,)))
    assert [t.key for t in the_plan.skipped["private or reserved (needs --allow-private)"]] == ["127.0.0.1"]
    got = outcomes(store, "tls")[f"Domain:secure.example.com:{lab.tls.port}"]
    assert got["outcome"] == "reserved" and "127.0.0.1" in got["reason"]
    assert lab.tls.connections == before  # nothing connected
    assert not rows(store, "MATCH (c:Certificate) RETURN c.key AS k")
