"""DNS enrichment: A, AAAA, CNAME, NS, MX, TXT and SOA for names, PTR for addresses (dnspython).

A loader whose source is a resolver: :class:`DnsEnricher` asks the configured
resolvers and :func:`response_records` turns every RRset of an answer into
the model's records: ``RESOLVES_TO``, ``CNAME``, ``NS``, ``MX``, ``PTR``,
``SOA_EMAIL`` (the SOA RNAME as an Email) and TXT strings on the Domain.
Data the model cannot take (a malformed name, an RNAME that is no e-mail
address) becomes a :class:`~graphpivot.model.Reject` naming the target.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import dns.message
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename
import dns.rrset

from graphpivot.canonical import InvalidValue
from graphpivot.enrich.base import Lookup, Target
from graphpivot.enrich.resolver import Answer, describe, query
from graphpivot.model import Edge, Node, Record, Reject, entity

DOMAIN_TYPES = ("A", "AAAA", "CNAME", "NS", "MX", "TXT", "SOA")
_EDGE_BY_TYPE = {"A": "RESOLVES_TO", "AAAA": "RESOLVES_TO", "CNAME": "CNAME", "NS": "NS", "MX": "MX"}


def _name(value: dns.name.Name) -> str:
    return value.to_text(omit_final_dot=True)


def rname_email(rname: dns.name.Name) -> str:
    """The SOA RNAME as an address: its first label (escaped dots kept) is the local part."""
    if len(rname.labels) < 3:
        raise InvalidValue(f"SOA RNAME {rname} is not a mailbox")
    local = rname.labels[0].decode("utf-8", "replace")
    return f"{local}@{_name(dns.name.Name(rname.labels[1:]))}"


def _rrset_records(rrset: dns.rrset.RRset, source: str, observed_at: int, ptr_ip: str | None) -> Iterator[Record]:
    owner = _name(rrset.name)
    rdtype = dns.rdatatype.to_text(rrset.rdtype)
    seen = {"first_seen": observed_at, "last_seen": observed_at}
    for rdata in rrset:
        try:
            if rdtype in ("A", "AAAA"):
                yield Edge("RESOLVES_TO", "Domain", entity("Domain", owner).key, "IP", entity("IP", rdata.address).key)
            elif rdtype in ("CNAME", "NS", "MX"):
                target = rdata.exchange if rdtype == "MX" else rdata.target
                if rdtype == "MX" and target == dns.name.root:
                    continue  # null MX (RFC 7505): the domain takes no mail
                dst = entity("Domain", _name(target))
                yield Edge(_EDGE_BY_TYPE[rdtype], "Domain", entity("Domain", owner).key, "Domain", dst.key)
            elif rdtype == "TXT":
                text = b"".join(rdata.strings).decode("utf-8", "replace")
                yield entity("Domain", owner, txt=[text], **seen)
            elif rdtype == "SOA":
                email = entity("Email", rname_email(rdata.rname))
                yield Edge("SOA_EMAIL", "Domain", entity("Domain", owner).key, "Email", email.key)
            elif rdtype == "PTR" and ptr_ip is not None:
                yield Edge("PTR", "IP", ptr_ip, "Domain", entity("Domain", _name(rdata.target)).key)
        except InvalidValue as exc:
            yield Reject(source, None, f"{rdtype} record of {owner}: {exc}", rdata.to_text())


def response_records(
    response: dns.message.Message, qtype: str, *, source: str, observed_at: int, ptr_ip: str | None = None
) -> Iterator[Record]:
    """Records from an answer's RRsets; for an SOA query that found none, the zone's SOA in authority."""
    for rrset in response.answer:
        yield from _rrset_records(rrset, source, observed_at, ptr_ip)
    if qtype == "SOA" and not response.answer:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA:
                yield from _rrset_records(rrset, source, observed_at, ptr_ip)


def summarise(answers: dict[str, Answer], found: Counter[str]) -> tuple[str, str]:
    """One outcome for a target from its queries' statuses."""
    failed = {qtype: a for qtype, a in answers.items() if a.status not in ("ok", "nodata")}
    nx = next((a for a in answers.values() if a.status == "nxdomain"), None)
    if nx is not None:
        return "nxdomain", nx.reason
    if not failed:
        if not found:
            return "nodata", "the name exists but has none of the queried records"
        return "ok", ", ".join(f"{t} {n}" for t, n in sorted(found.items()))
    statuses = {a.status for a in failed.values()}
    if len(failed) == len(answers) and len(statuses) == 1:
        first = next(iter(failed.values()))
        return first.status, first.reason
    detail = "; ".join(f"{qtype}: {a.status}" for qtype, a in failed.items())
    return "partial", f"{detail} ({', '.join(f'{t} {n}' for t, n in sorted(found.items())) or 'nothing found'})"


class DnsEnricher:
    """Resolves names (every record type above) and addresses (PTR) through one resolver list."""

    job: str = "dns"
    labels: tuple[str, ...] = ("Domain", "IP")
    touches_targets = True
    history = False

    def __init__(self, resolver: dns.resolver.Resolver) -> None:
        self.resolver = resolver

    def describe(self) -> str:
        return f"DNS queries ({', '.join(DOMAIN_TYPES)}; PTR for IPs) to resolver(s) {describe(self.resolver)}"

    def lookup(self, target: Target, observed_at: int) -> Lookup:
        source = f"dns:{target.ref}"
        if target.label == "IP":
            qtypes: tuple[tuple[str, str], ...] = (("PTR", dns.reversename.from_address(target.key).to_text()),)
            ptr_ip: str | None = target.key
        else:
            qtypes = tuple((qtype, target.key) for qtype in DOMAIN_TYPES)
            ptr_ip = None
        records: list[Record] = [Node(target.label, target.key, {"first_seen": observed_at, "last_seen": observed_at})]
        answers: dict[str, Answer] = {}
        found: set[tuple[str, ...]] = set()
        for qtype, qname in qtypes:
            answer = query(self.resolver, qname, qtype)
            answers[qtype] = answer
            if answer.response is not None:
                for record in response_records(
                    answer.response, qtype, source=source, observed_at=observed_at, ptr_ip=ptr_ip
                ):
                    records.append(record)
                    if isinstance(record, Edge):
                        found.add((record.type, record.src_key, record.dst_key))
                    elif isinstance(record, Node) and record.props.get("txt"):
                        found.add(("TXT", record.key, *record.props["txt"]))
            if answer.status in ("nxdomain", "timeout"):
                break  # the name does not exist, or the servers are not answering: spare the rest
        outcome, reason = summarise(answers, Counter(kind for kind, *_ in found))
        return Lookup(target, outcome, reason, records)
