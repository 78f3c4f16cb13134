"""X.509 certificate files (PEM, several per file and text around them allowed, or DER).

Each certificate becomes a Certificate keyed by the SHA-256 of its DER bytes,
with SHA-1, MD5, serial, subject, issuer, validity and ``self_signed`` (its
signature verifies with its own key), flagged ``indicator = true`` because the
file comes from intel; ``SAN`` edges go to the names it is valid for (DNS names
and addresses of the SubjectAltName extension, or the subject CN when there is
none, as legacy TLS clients read it; a wildcard's base name). Each file is a Report that MENTIONS them.
Parsing is the ``cryptography`` library's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from graphpivot.canonical import InvalidValue, canonical_host
from graphpivot.model import Edge, Loaded, Node, Progress, Record, Reject, entity

_PEM_MARK = b"-----BEGIN CERTIFICATE-----"


def read_certificates(path: Path, source: str, *, threat: str | None = None, observed_at: int) -> Iterator[Record]:
    """Yield the file's Report, its certificates and their SAN names."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Reject(str(path), None, f"cannot read file: {exc.strerror or exc}", units=0)
        return
    try:
        certs = x509.load_pem_x509_certificates(data) if _PEM_MARK in data else [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        yield Reject(str(path), None, f"not a PEM or DER X.509 certificate: {exc}", units=0)
        return
    report = entity("Report", f"{source}:{path.name}", name=path.name, source=source)
    yield report
    seen = {"first_seen": observed_at}
    threat_node = entity("Threat", threat, name=threat) if threat else None
    if threat_node is not None:
        yield threat_node
        yield Edge("ABOUT", "Report", report.key, "Threat", threat_node.key, dict(seen))
    for n, cert in enumerate(certs, start=1):
        node = certificate_node(cert, indicator=True)
        yield node
        yield Edge("MENTIONS", "Report", report.key, "Certificate", node.key,
                   {**seen, "context": [f"certificate {n} of {len(certs)} in {path.name}"]})
        if threat_node is not None:
            yield Edge("ATTRIBUTED_TO", "Certificate", node.key, "Threat", threat_node.key, dict(seen))
        for name in host_names(cert):
            try:
                label, key = canonical_host(name)
            except InvalidValue as exc:
                yield Reject(str(path), None, f"certificate {node.key}: name {name!r}: {exc}", units=0)
                continue
            yield Edge("SAN", "Certificate", node.key, label, key, dict(seen))
    yield Loaded(str(path), len(certs))
    yield Progress(str(path), len(certs))


def certificate_node(cert: x509.Certificate, **extra: Any) -> Node:
    """The Certificate node of a parsed certificate."""
    common_names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    props: dict[str, Any] = {
        "sha1": cert.fingerprint(hashes.SHA1()).hex(),
        "md5": cert.fingerprint(hashes.MD5()).hex(),
        "serial": format(cert.serial_number, "x"),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": int(cert.not_valid_before_utc.timestamp()),
        "not_after": int(cert.not_valid_after_utc.timestamp()),
        "self_signed": _self_signed(cert),
        **extra,
    }
    if common_names:
        props["subject_cn"] = str(common_names[0].value)
    return entity("Certificate", cert.fingerprint(hashes.SHA256()).hex(), **props)


def host_names(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses the certificate is valid for (``*.example.com`` as ``example.com``)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)][:1]
    else:
        names = san.get_values_for_type(x509.DNSName) + [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return list(dict.fromkeys(n.removeprefix("*.") for n in names))


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
