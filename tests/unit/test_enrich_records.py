"""Pure parts of the enrichment jobs: record building, outcomes, targets, options."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

import dns.message
import dns.name
import pytest
from cryptography import x509
from enrich_servers import issue
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.cli.enrich import parse_age
from graphpivot.enrich.base import Target
from graphpivot.enrich.dns_enricher import response_records, rname_email, summarise
from graphpivot.enrich.rdap_enricher import LookupFailedError, parse_registration
from graphpivot.enrich.resolver import Answer, parse_resolver
from graphpivot.enrich.selection import plan, reserved, targets_from_rows
from graphpivot.enrich.tls_enricher import CertFacts, chain_records, judge
from graphpivot.model import Edge, Node, Reject


@pytest.mark.parametrize(
    ("ref", "target"),
    [
        ("example.com", Target("Domain", "example.com")),
        ("example.com:443", Target("Domain", "example.com", 443)),
        ("192.0.2.1:8443", Target("IP", "192.0.2.1", 8443)),
        ("[2001:db8::1]:443", Target("IP", "2001:db8::1", 443)),
        ("2001:db8::1", Target("IP", "2001:db8::1")),
    ],
)
def test_target_ref_round_trips(ref: str, target: Target) -> None:
    assert target.ref == ref
    assert Target.from_ref(target.label, ref) == target


def test_parse_resolver_and_age() -> None:
    assert parse_resolver("192.0.2.53") == ("192.0.2.53", 53)
    assert parse_resolver("127.0.0.1:5300") == ("127.0.0.1", 5300)
    assert parse_resolver("[2001:db8::53]:5353") == ("2001:db8::53", 5353)
    assert [parse_age(t) for t in ("0", "90", "30m", "12h", "7d", "2w")] == [0, 90, 1800, 43200, 604800, 1209600]


def test_soa_rname_is_an_email_with_escaped_dots_kept() -> None:
    assert rname_email(dns.name.from_text("hostmaster.example.com.")) == "hostmaster@example.com"
    assert rname_email(dns.name.from_text(r"john\.doe.example.com.")) == "john.doe@example.com"


def test_response_records_and_rejects() -> None:
    response = dns.message.from_text(
        "id 1\nopcode QUERY\nrcode NOERROR\nflags QR AA\n;QUESTION\nexample.com. IN MX\n;ANSWER\n"
        "example.com. 300 IN MX 10 mail.example.com.\nexample.com. 300 IN MX 0 .\n"
        "example.com. 300 IN MX 20 bad_name!.example.com.\n"
    )
    records = list(response_records(response, "MX", source="dns:example.com", observed_at=1))
    assert [(r.type, r.dst_key) for r in records if isinstance(r, Edge)] == [("MX", "mail.example.com")]
    rejects = [r for r in records if isinstance(r, Reject)]
    assert len(rejects) == 1 and rejects[0].file == "dns:example.com" and "bad_name" in rejects[0].raw
    nodata = dns.message.from_text(
        "id 1\nopcode QUERY\nrcode NOERROR\nflags QR AA\n;QUESTION\nwww.example.com. IN SOA\n;AUTHORITY\n"
        "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5\n"
    )
    (soa,) = response_records(nodata, "SOA", source="x", observed_at=1)
    assert isinstance(soa, Edge) and (soa.src_key, soa.dst_key) == ("example.com", "hostmaster@example.com")


def test_dns_outcome_summary() -> None:
    ok, nodata = Answer("ok", ""), Answer("nodata", "")
    assert summarise({"A": ok, "MX": nodata}, Counter({"RESOLVES_TO": 2}))[0] == "ok"
    assert summarise({"A": nodata}, Counter())[0] == "nodata"
    assert summarise({"A": Answer("nxdomain", "gone")}, Counter()) == ("nxdomain", "gone")
    outcome, reason = summarise({"A": ok, "MX": Answer("servfail", "x")}, Counter({"A": 1}))
    assert outcome == "partial" and "MX: servfail" in reason


def test_rdap_bodies_that_are_not_networks_are_malformed() -> None:
    for body in (b"{not json", b"[1, 2]", b'{"errorCode": 404}', b"\xff\xfe"):
        with pytest.raises(LookupFailedError) as failure:
            parse_registration("74.125.225.229", body)
        assert failure.value.outcome == "malformed", body


def test_certificate_chain_records(tmp_path: Path) -> None:
    ca = issue(tmp_path, "root", sans=[], ca=True)
    leaf = issue(tmp_path, "leaf.example.com", issuer=ca, sans=[x509.DNSName("*.leaf.example.com"),
                                                                 x509.DNSName("not a name")])
    holder = Target("Domain", "leaf.example.com", 443)
    records, facts = chain_records([leaf.der, ca.der, b"junk"], holder, 443, 1_700_000_000)
    leaf_sha, ca_sha = hashlib.sha256(leaf.der).hexdigest(), hashlib.sha256(ca.der).hexdigest()
    edges = {(r.type, r.src_key, r.dst_key) for r in records if isinstance(r, Edge)}
    assert edges == {("SERVES_CERT", "leaf.example.com", leaf_sha), ("SAN", leaf_sha, "leaf.example.com"),
                     ("ISSUED_BY", leaf_sha, ca_sha)}
    assert {r.key for r in records if isinstance(r, Node)} == {leaf_sha, ca_sha}
    assert sorted(r.reason.split(":")[0] for r in records if isinstance(r, Reject)) == [
        "SAN 'not a name'", "certificate 2 of the chain"]
    assert facts is not None and facts.sha256 == leaf_sha and not facts.self_signed


def test_certificate_judgement() -> None:
    now = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())
    fine = CertFacts("ab" * 32, "x", now - 10, now + 10, False)
    assert judge(fine, now)[0] == "ok"
    outcome, reason = judge(CertFacts("ab" * 32, "x", now - 20, now - 10, True), now)
    assert outcome == "expired" and "self-signed" in reason
    assert judge(CertFacts("ab" * 32, "x", now + 10, now + 20, False), now)[0] == "not_yet_valid"


def test_selection_rows_and_plan_filters() -> None:
    rows = [{"domain": "Example.COM.", "via_ip": "192.0.2.1"}, {"domain": None, "via_ip": "x"}, {"domain": "10.0.0.1"}]
    assert targets_from_rows(rows, ("Domain", "IP"), "domain") == [Target("Domain", "example.com"),
                                                                   Target("IP", "10.0.0.1")]
    assert targets_from_rows([{"kind": "IP", "key": "192.0.2.1"}], ("Domain",), None) == []
    assert reserved(Target("Domain", "nas.home.arpa")) and not reserved(Target("Domain", "example.com"))
    candidates = [Target("Domain", d) for d in ("a.example.com", "b.example.com", "c.example.com", "x.local")]
    result = plan(candidates, indicators=None, fresh={"Domain:a.example.com"}, allow_private=False, limit=1)
    assert [t.key for t in result.targets] == ["b.example.com"]
    assert {r: [t.key for t in ts] for r, ts in result.skipped.items()} == {
        "enriched within --max-age": ["a.example.com"],
        "over --limit": ["c.example.com"],
        "private or reserved (needs --allow-private)": ["x.local"],
    }


def test_tls_refuses_to_run_without_active() -> None:
    result = CliRunner().invoke(app, ["enrich", "tls", "--target", "example.com", "--yes"])
    assert result.exit_code == 2 and "--active" in result.output


def test_dns_needs_an_explicit_resolver() -> None:
    result = CliRunner().invoke(app, ["enrich", "dns", "--target", "example.com"], env={"GRAPHPIVOT_RESOLVERS": ""})
    assert result.exit_code == 2 and "--resolver" in result.output
