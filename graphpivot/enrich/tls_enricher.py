"""TLS certificates served by a host:port (standard ``ssl`` to fetch, ``cryptography`` to parse).

Connecting is active: it touches the target itself. The handshake sends SNI for
names, accepts any certificate (an expired or self-signed one is evidence, not
an error) and takes the leaf, plus the chain where the runtime exposes it
(``get_unverified_chain``, Python 3.13+). Certificates are keyed by SHA-256;
``SERVES_CERT {ports}`` links the name or address to its leaf, ``SAN`` the
leaf to every name and address it covers (a wildcard ``*.example.com`` to
``example.com``), ``ISSUED_BY`` each chain certificate to the next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import dns.resolver
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from graphpivot import canonical as c
from graphpivot.enrich.base import Lookup, Target
from graphpivot.enrich.resolver import describe, query
from graphpivot.model import Edge, Node, Record, Reject, entity


@dataclass(frozen=True)
class CertFacts:
    """What the outcome needs from the leaf."""

    sha256: str
    subject_cn: str | None
    not_before: int
    not_after: int
    self_signed: bool


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _common_name(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_node(cert: x509.Certificate, der: bytes, observed_at: int) -> tuple[Node, CertFacts]:
    facts = CertFacts(
        sha256=hashlib.sha256(der).hexdigest(),
        subject_cn=_common_name(cert.subject),
        not_before=_epoch(cert.not_valid_before_utc),
        not_after=_epoch(cert.not_valid_after_utc),
        self_signed=_self_signed(cert),
    )
    node = entity(
        "Certificate",
        facts.sha256,
        sha1=cert.fingerprint(hashes.SHA1()).hex(),
        serial=format(cert.serial_number, "x"),
        subject_cn=facts.subject_cn,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=facts.not_before,
        not_after=facts.not_after,
        self_signed=facts.self_signed,
        first_seen=observed_at,
        last_seen=observed_at,
    )
    return node, facts


def _san_records(cert: x509.Certificate, cert_key: str, source: str) -> Iterator[Record]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return
    except ValueError as exc:
        yield Reject(source, None, f"unreadable subjectAltName: {exc}")
        return
    for name in sans.get_values_for_type(x509.DNSName):
        try:
            domain = entity("Domain", name.removeprefix("*."))
        except c.InvalidValue as exc:
            yield Reject(source, None, f"SAN {name!r}: {exc}", name)
            continue
        yield Edge("SAN", "Certificate", cert_key, "Domain", domain.key)
    for address in sans.get_values_for_type(x509.IPAddress):
        yield Edge("SAN", "Certificate", cert_key, "IP", entity("IP", str(address)).key)


def chain_records(
    chain: list[bytes], holder: Target, port: int, observed_at: int
) -> tuple[list[Record], CertFacts | None]:
    """Records for a served chain (leaf first) and the leaf's facts; unparseable certificates are rejected."""
    source = f"tls:{holder.ref}"
    records: list[Record] = []
    parsed: list[tuple[x509.Certificate, Node]] = []
    leaf: CertFacts | None = None
    for position, der in enumerate(chain):
        try:
            cert = x509.load_der_x509_certificate(der)
            node, facts = certificate_node(cert, der, observed_at)
        except (ValueError, c.InvalidValue) as exc:
            records.append(Reject(source, position, f"certificate {position} of the chain: {exc}"))
            if position == 0:
                return records, None
            break
        records.append(node)
        parsed.append((cert, node))
        if position == 0:
            leaf = facts
            records.append(Edge("SERVES_CERT", holder.label, holder.key, "Certificate", node.key, {"ports": [port]}))
            records.extend(_san_records(cert, node.key, source))
    for (child, child_node), (parent, parent_node) in itertools.pairwise(parsed):
        if child.issuer == parent.subject and child_node.key != parent_node.key:
            records.append(Edge("ISSUED_BY", "Certificate", child_node.key, "Certificate", parent_node.key))
    return records, leaf


def judge(leaf: CertFacts, now: int) -> tuple[str, str]:
    """Outcome for a served leaf: expired, not yet valid, self-signed or ok, with the facts as reason."""
    problems = []
    if leaf.not_after < now:
        problems.append(("expired", f"expired {dt.datetime.fromtimestamp(leaf.not_after, dt.UTC):%Y-%m-%d}"))
    if leaf.not_before > now:
        start = dt.datetime.fromtimestamp(leaf.not_before, dt.UTC)
        problems.append(("not_yet_valid", f"valid only from {start:%Y-%m-%d}"))
    if leaf.self_signed:
        problems.append(("self_signed", "self-signed"))
    described = f"CN={leaf.subject_cn or '-'} sha256 {leaf.sha256[:16]}"
    if not problems:
        return "ok", described
    return problems[0][0], f"{described}: {', '.join(text for _, text in problems)}"


def fetch_chain(address: str, port: int, server_name: str | None, timeout: float) -> list[bytes]:
    """Handshake without verification and return the served certificates, leaf first."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")  # old servers too: we read their certificate, nothing more
    with (
        socket.create_connection((address, port), timeout=timeout) as sock,
        context.wrap_socket(sock, server_hostname=server_name) as tls,
    ):
        getter = getattr(tls, "get_unverified_chain", None)
        chain = [bytes(der) for der in (getter() or [])] if getter is not None else []
        if not chain:
            leaf = tls.getpeercert(binary_form=True)
            chain = [leaf] if leaf else []
    return chain


class TlsEnricher:
    """Certificates from host:port targets; names are resolved through the job's resolvers."""

    job: str = "tls"
    labels: tuple[str, ...] = ("Domain", "IP")
    touches_targets = True
    history = False

    def __init__(self, *, timeout: float, resolver: dns.resolver.Resolver | None, allow_private: bool) -> None:
        self.timeout = timeout
        self.resolver = resolver
        self.allow_private = allow_private

    def describe(self) -> str:
        names = f"names resolved via {describe(self.resolver)}" if self.resolver else "IP targets only"
        return f"TLS handshakes (SNI for names) to each target and port; {names}"

    def _addresses(self, target: Target) -> list[str] | Lookup:
        if target.label == "IP":
            return [target.key]
        if self.resolver is None:
            return Lookup(target, "error", "a name needs --resolver to be connected to")
        addresses: list[str] = []
        for qtype in ("A", "AAAA"):
            answer = query(self.resolver, target.key, qtype)
            if answer.status == "nxdomain":
                return Lookup(target, "nxdomain", answer.reason)
            if answer.response is None and answer.status != "nodata":
                return Lookup(target, answer.status, f"resolving: {answer.reason}")
            if answer.response is not None:
                addresses += [r.address for rrset in answer.response.answer for r in rrset if hasattr(r, "address")]
        if not addresses:
            return Lookup(target, "nodata", "the name has no address")
        return addresses

    def lookup(self, target: Target, observed_at: int) -> Lookup:
        assert target.port is not None, "TLS targets carry a port"
        node = Node(target.label, target.key, {"first_seen": observed_at, "last_seen": observed_at})
        addresses = self._addresses(target)
        if isinstance(addresses, Lookup):
            addresses.records.append(node)
            return addresses
        allowed = [a for a in addresses if self.allow_private or c.is_global_ip(a)]
        if not allowed:
            reason = f"resolves only to private or reserved addresses ({', '.join(addresses)}); needs --allow-private"
            return Lookup(target, "reserved", reason, [node])
        server_name = target.key if target.label == "Domain" else None
        failure = Lookup(target, "unreachable", "no address", [node])
        for address in allowed:
            where = f"{address}:{target.port}"
            try:
                chain = fetch_chain(address, target.port, server_name, self.timeout)
            except ConnectionRefusedError:
                failure = Lookup(target, "refused", f"connection refused by {where}", [node])
                continue
            except TimeoutError:
                failure = Lookup(target, "timeout", f"no handshake with {where} within {self.timeout:g} s", [node])
                continue
            except ssl.SSLError as exc:
                failure = Lookup(target, "tls_error", f"TLS handshake with {where} failed: {exc.reason or exc}", [node])
                continue
            except OSError as exc:
                failure = Lookup(target, "unreachable", f"{where}: {exc.strerror or exc}", [node])
                continue
            if not chain:
                return Lookup(target, "no_certificate", f"{where} sent no certificate", [node])
            records, leaf = chain_records(chain, target, target.port, observed_at)
            if leaf is None:
                return Lookup(target, "malformed", f"{where} sent an unreadable certificate", [node, *records])
            outcome, reason = judge(leaf, observed_at)
            return Lookup(target, outcome, f"{reason} (from {address})", [node, *records])
        return failure
