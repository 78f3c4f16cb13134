"""Zeek logs (TSV or JSON lines, plain or gzip): dns, conn, http, ssl, x509, files and notice.

``read_zeek(paths, network=...)`` takes every file of a load at once because
certificates join across logs: ``files.log`` and ``x509.log`` are read first,
whatever order the files come in. Each file's log type comes from its
``#path`` header, a ``_path`` field, its file name (``dns.log``,
``dns.2024-05-01.log.gz``) or its fields. Logs of other types are skipped with
a note. What each log becomes is described in :mod:`graphpivot.loaders.telemetry.edges`;
specifics here:

* dns: ``QUERIED`` from internal clients with qtype and rcode names; answers of
  NOERROR responses to A/AAAA/CNAME/ANY queries are a CNAME chain whose last
  name resolves to the addresses; MX/NS answers become ``MX``/``NS`` edges.
* conn: ``CONNECTED_TO`` per host and external address; bytes from the host's
  side; ports are the responder's port; protocols are the transport and services.
* http: ``REQUESTED`` (request and response body bytes, method, status, user agent).
* ssl: SNI, certificate chain leaf (``cert_chain_fps``, ``cert_chain_fuids``
  joined through x509/files, or the old ``cert_hash``), JA3/JA3S/JA4/JA4S.
* x509: ``Certificate`` keyed by SHA-256 when known (``fingerprint`` or
  files.log), else SHA-1 or MD5 with ``key_type`` saying so; SAN names and
  addresses as ``SAN`` edges (``*.example.com`` gives ``example.com``).
  Certificates with no hash at all cannot be keyed and are counted in a note.
* notice: the notice name as a signature on the connection's ``CONNECTED_TO``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.edges import (
    Cert,
    Telemetry,
    cert_key_type,
    certificate_props,
    connect_url,
    event_ids,
    http_url,
    line_reason,
)
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.telemetry.zeek_certs import CertIndex
from graphpivot.loaders.telemetry.zeek_format import Kind, LogSpec, rows, sniff

from graphpivot.canonical import InvalidValue, canonical_hash, canonical_ip
from graphpivot.model import Record, Reject, Skipped

T, N, S, L = Kind.TIME, Kind.INT, Kind.STR, Kind.STR_LIST


def _spec(kind: str, fields: list[tuple[str, Kind]], required: Iterable[str]) -> LogSpec:
    return LogSpec(kind, tuple(fields), frozenset(required))


# Raw-event pointers each line carries (community_id when the Zeek package that adds it is loaded).
_EVENT_FIELDS = (("uid", S), ("community_id", S))

SPECS = {
    "dns": _spec(
        "dns",
        [
            ("ts", T),
            ("id.orig_h", S),
            ("query", S),
            ("qtype_name", S),
            ("qtype", N),
            ("rcode_name", S),
            ("answers", L),
            *_EVENT_FIELDS,
        ],
        ["ts", "id.orig_h"],
    ),
    "conn": _spec(
        "conn",
        [
            ("ts", T),
            ("id.orig_h", S),
            ("id.resp_h", S),
            ("id.resp_p", N),
            ("proto", S),
            ("service", S),
            ("orig_bytes", N),
            ("resp_bytes", N),
            *_EVENT_FIELDS,
        ],
        ["ts", "id.orig_h", "id.resp_h"],
    ),
    "http": _spec(
        "http",
        [
            ("ts", T),
            ("id.orig_h", S),
            ("id.resp_h", S),
            ("id.resp_p", N),
            ("method", S),
            ("host", S),
            ("uri", S),
            ("user_agent", S),
            ("request_body_len", N),
            ("response_body_len", N),
            ("status_code", N),
            *_EVENT_FIELDS,
        ],
        ["ts", "id.orig_h", "id.resp_h"],
    ),
    "ssl": _spec(
        "ssl",
        [
            ("ts", T),
            ("id.orig_h", S),
            ("id.resp_h", S),
            ("id.resp_p", N),
            ("server_name", S),
            ("cert_chain_fps", L),
            ("cert_chain_fuids", L),
            ("cert_hash", S),
            ("subject", S),
            ("issuer_subject", S),
            ("not_valid_before", T),
            ("not_valid_after", T),
            ("ja3", S),
            ("ja3s", S),
            ("ja4", S),
            ("ja4s", S),
            *_EVENT_FIELDS,
        ],
        ["ts", "id.orig_h", "id.resp_h"],
    ),
    "x509": _spec(
        "x509",
        [
            ("ts", T),
            ("id", S),
            ("fingerprint", S),
            ("certificate.serial", S),
            ("certificate.subject", S),
            ("certificate.issuer", S),
            ("certificate.not_valid_before", T),
            ("certificate.not_valid_after", T),
            ("san.dns", L),
            ("san.ip", L),
        ],
        ["ts"],
    ),
    "files": _spec(
        "files",
        [("fuid", S), ("mime_type", S), ("analyzers", L), ("md5", S), ("sha1", S), ("sha256", S)],
        ["fuid"],
    ),
    "notice": _spec("notice", [("ts", T), ("id.orig_h", S), ("id.resp_h", S), ("note", S)], ["ts", "note"]),
}
# Fields that identify a log type when neither its header nor its file name says.
MARKS = {
    "dns": frozenset({"query", "qtype_name"}),
    "conn": frozenset({"conn_state", "history"}),
    "http": frozenset({"method", "uri", "status_code"}),
    "ssl": frozenset({"version", "cipher", "id.resp_h"}),
    "x509": frozenset({"certificate.serial"}),
    "files": frozenset({"fuid", "mime_type"}),
    "notice": frozenset({"note", "msg"}),
}
# Certificates are read before the logs that refer to them.
ORDER = {"files": 0, "x509": 1}


def read_zeek(
    paths: Iterable[Path], *, network: Network, max_pending: int = 100_000, columnar: bool = True
) -> Iterator[Record]:
    """Every record of a set of Zeek logs (see the module doc); bad lines become rejects.

    ``columnar`` reads dns.log in blocks with :mod:`.zeek_columnar` (same graph and accounting);
    False maps it line by line like the other logs.
    """
    obs = Observations(max_pending=max_pending, sensor="network")
    zeek = ZeekMapper(Telemetry(network, obs), CertIndex())
    plan: list[tuple[Path, str, str]] = []
    for path in paths:
        found = sniff(path, MARKS)
        kind, fmt = found.kind, found.fmt
        if fmt == "empty":
            yield Skipped(str(path), "empty files", 1, whole=False)
        elif found.problem is not None:
            bad = found.problem
            yield Reject(bad.file, bad.line, f"not a Zeek log, file skipped: {bad.reason}", bad.raw, units=0)
        elif fmt is None:
            yield Reject(str(path), 1, "not a Zeek log: no '#fields' header (TSV) and no JSON object on the first line",
                         units=0)  # a file-level reject: the file's lines are not read
        elif kind not in SPECS:
            yield Skipped(str(path), f"Zeek {kind or path.name.split('.', 1)[0]} logs (not modelled; files)", 1,
                          whole=False)
        else:
            plan.append((path, kind, fmt))
    plan.sort(key=lambda p: ORDER.get(p[1], 2))
    try:
        for path, kind, fmt in plan:
            if kind == "dns" and columnar:
                from graphpivot.loaders.telemetry.zeek_columnar import read_dns  # polars, only when needed

                yield from read_dns(path, SPECS[kind], fmt, zeek.tm)
            else:
                yield from _read_log(path, kind, fmt, zeek)
        yield from obs.flush()
    finally:
        zeek.certs.close()


def _read_log(path: Path, kind: str, fmt: str, zeek: ZeekMapper) -> Iterator[Record]:
    mapper: Callable[[tuple[Any, ...]], None] = getattr(zeek, kind)
    obs = zeek.tm.obs
    name = str(path)
    tm = zeek.tm
    for item in rows(path, SPECS[kind], fmt):
        if type(item) is not tuple:
            yield item  # type: ignore[misc]
            continue
        lineno, values, raw = item
        tm.begin_line()
        try:
            mapper(values)
        except Exception as exc:  # any per-line failure is this line's reject, never the load's crash
            tm.end_line(False)
            yield Reject(name, lineno, line_reason(exc), raw)
        else:
            tm.end_line(True)
        if obs.full:
            yield from obs.flush()
    yield from tm.file_done(name)


class ZeekMapper:
    """One method per log type, taking the values of its :data:`SPECS` fields."""

    def __init__(self, tm: Telemetry, certs: CertIndex) -> None:
        self.tm = tm
        self.certs = certs

    def dns(self, v: tuple[Any, ...]) -> None:
        ts, orig, query, qtype_name, qtype, rcode, answers, uid, community_id = v
        if not query:
            self.tm.skipped["lines without a query name"] += 1
            return
        name = self.tm.domain(query)
        if name is None:
            return
        t = int(ts)
        qtype_name = qtype_name or (f"TYPE{qtype}" if qtype is not None else None)
        host = self.tm.host(orig)
        if host is None:
            self.tm.skipped["queries from external clients"] += 1
        else:
            self.tm.queried(host, name, t, qtype_name, rcode, events=event_ids(uid, community_id))
        if answers and rcode in (None, "NOERROR"):
            self.tm.answer_chain(name, qtype_name, answers, t)

    def conn(self, v: tuple[Any, ...]) -> None:
        ts, orig, resp, resp_p, proto, service, orig_bytes, resp_bytes, uid, community_id = v
        sides = self.tm.sides(orig, resp)
        if sides is None:
            return
        host, peer, outbound = sides
        protocols = [p for p in [proto, *(service or "").split(",")] if p and p != "-"]
        self.tm.connected(
            host,
            peer,
            int(ts),
            outbound=outbound,
            bytes_out=orig_bytes if outbound else resp_bytes,
            bytes_in=resp_bytes if outbound else orig_bytes,
            port=resp_p if proto != "icmp" else None,
            protocols=protocols,
            events=event_ids(uid, community_id),
        )

    def http(self, v: tuple[Any, ...]) -> None:
        ts, orig, resp, resp_p, method, host_header, uri, agent, req_len, resp_len, status, uid, community_id = v
        host = self.tm.host(orig)
        if host is None:
            self.tm.skipped["requests from external clients"] += 1
            return
        if not uri:
            self.tm.skipped["transactions without a request line"] += 1
            return
        url = connect_url(uri) if method == "CONNECT" else http_url("http", host_header or resp, resp_p, uri)
        self.tm.requested(
            host, url, int(ts), method=method, status=status, bytes_out=req_len, bytes_in=resp_len, user_agent=agent,
            events=event_ids(uid, community_id),
        )

    def ssl(self, v: tuple[Any, ...]) -> None:
        ts, orig, resp, port, sni, fps, fuids, cert_hash, subject, issuer, not_before, not_after, *fp = v
        ja3, ja3s, ja4, ja4s, uid, community_id = fp
        host = self.tm.host(orig)
        if self.tm.network.is_internal(resp):
            self.tm.skipped["TLS sessions to internal servers"] += 1
            return
        t = int(ts)
        cert = self._leaf(fps, fuids, cert_hash, subject, issuer, not_before, not_after, t)
        self.tm.tls(
            host, canonical_ip(resp), t, sni=sni, port=port, cert=cert, ja3=ja3, ja3s=ja3s, ja4=ja4, ja4s=ja4s,
            events=event_ids(uid, community_id),
        )

    def _leaf(
        self,
        fps: list[str] | None,
        fuids: list[str] | None,
        cert_hash: str | None,
        subject: str | None,
        issuer: str | None,
        not_before: float | None,
        not_after: float | None,
        ts: int,
    ) -> Cert | None:
        if fps:
            return _digest_cert(fps[0])
        if fuids:
            found = self.certs.cert(fuids[0])
            if found is None:
                self.tm.skipped["sessions whose certificate is in no x509/files log of this load"] += 1
            return found
        if cert_hash:  # Bro 2.x ssl.log: MD5 of the leaf, with its subject and validity inline
            cert = _digest_cert(cert_hash)
            self.tm.obs.node(
                "Certificate",
                cert[0],
                certificate_props(cert, subject=subject, issuer=issuer, not_before=not_before, not_after=not_after),
                ts,
            )
            return cert
        return None

    def x509(self, v: tuple[Any, ...]) -> None:
        ts, fuid, fingerprint, serial, subject, issuer, not_before, not_after, san_dns, san_ip = v
        sha1 = md5 = None
        if fingerprint:
            cert = _digest_cert(fingerprint)
        else:
            hashes = self.certs.hashes(fuid) if fuid else None
            digest = next((h for h in hashes or () if h), None)
            if hashes is None or digest is None:
                self.tm.skipped["certificates without any hash (load the files.log that covers them)"] += 1
                return
            cert = _digest_cert(digest)
            _, sha1, md5 = hashes
        t = int(ts)
        props = certificate_props(
            cert,
            subject=subject,
            issuer=issuer,
            not_before=not_before,
            not_after=not_after,
            serial=serial,
            sha1=sha1,
            md5=md5,
        )
        self.tm.obs.node("Certificate", cert[0], props, t)
        if fuid:
            self.certs.add_cert(fuid, cert[0], cert[1])
        for text in san_dns or ():
            try:
                name = self.tm.domain(text.removeprefix("*."))
            except InvalidValue:
                self.tm.skipped["SAN entries that are not domain names"] += 1
                continue
            if name:
                self.tm.obs.edge("SAN", "Certificate", cert[0], "Domain", name, t)
        for text in san_ip or ():
            self.tm.obs.edge("SAN", "Certificate", cert[0], "IP", canonical_ip(text), t)

    def files(self, v: tuple[Any, ...]) -> None:
        fuid, mime_type, analyzers, md5, sha1, sha256 = v
        if "x509" in (mime_type or "") or "X509" in (analyzers or ()):
            self.certs.add_hashes(fuid, sha256, sha1, md5)
            self.tm.used()
        else:
            self.tm.skipped["files that are not certificates"] += 1

    def notice(self, v: tuple[Any, ...]) -> None:
        ts, orig, resp, note = v
        if not orig or not resp:
            self.tm.skipped["notices without a connection"] += 1
            return
        sides = self.tm.sides(orig, resp)
        if sides is not None:
            host, peer, outbound = sides
            self.tm.connected(host, peer, int(ts), outbound=outbound, count=0, signature=note)


def _digest_cert(digest: str) -> Cert:
    key_type = cert_key_type(digest)
    if key_type is None:
        raise InvalidValue(f"certificate fingerprint is not an MD5, SHA-1 or SHA-256 digest: {digest!r}")
    return canonical_hash(digest, key_type), key_type
