"""Suricata EVE JSON (``eve.json``, plain or gzip): dns, tls, http, flow, netflow and alert events.

What the events become is described in :mod:`graphpivot.loaders.telemetry.edges`; specifics:

* dns: queries (``type`` ``query``, or ``request`` with a ``queries`` list in
  EVE v3) give ``QUERIED``; answers give passive DNS from the typed
  ``answers`` list (v2/v3), from ``grouped`` (a CNAME chain, as for Zeek) or
  from one-record-per-event v1 answers, and the response code on ``QUERIED``
  (``count`` 0: the query event counts the query).
* tls: SNI, the leaf certificate (SHA-256 of ``certificate``/``chain[0]`` when
  logged, else the SHA-1 ``fingerprint``) with subject, issuer, serial and
  validity, JA3/JA3S/JA4.
* http: ``REQUESTED`` with method, status, response ``length`` and user agent.
* flow: bytes to server/client from the host's side, the server port, the
  transport and app protocol, time from ``flow.start``.
* netflow: one direction per event, so the bytes go to ``bytes_out`` or
  ``bytes_in`` and only the host-to-peer half counts; direction unknown.
* alert: the signature on the flow's ``CONNECTED_TO`` and, when the alert
  carries http or dns metadata, on that ``REQUESTED``/``QUERIED`` (``count`` 0;
  an alert may be on either direction, so it sets no port or direction).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.edges import Cert, Telemetry, certificate_props, event_ids, http_url, line_reason
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.textio import content_lines, loads_limited

from graphpivot.canonical import canonical_hash, canonical_ip
from graphpivot.model import Record
from graphpivot.times import epoch_seconds

MAX_COUNT = 1 << 53  # byte counts beyond this are not believable (and could not be summed safely)

DNS_PORTS = frozenset({53, 5353, 5355})


def read_eve(paths: Iterable[Path], *, network: Network, max_pending: int = 100_000) -> Iterator[Record]:
    """Every record of a set of EVE files; bad lines become rejects, other event types a note."""
    obs = Observations(max_pending=max_pending, sensor="network")
    eve = EveMapper(Telemetry(network, obs))
    tm = eve.tm
    for path in paths:
        name = str(path)
        for item in content_lines(path):
            if not isinstance(item, tuple):
                yield item
                continue
            lineno, text = item
            yield from tm.one_line(name, lineno, text, partial(_apply_event, eve, text), _reason)
            if obs.full:
                yield from obs.flush()
        yield from tm.file_done(name)
    yield from obs.flush()


def _apply_event(eve: EveMapper, text: str) -> None:
    eve.event(_event(text))


def _event(text: str) -> dict[str, Any]:
    event = loads_limited(text)
    if not isinstance(event, dict):
        raise ValueError(f"expected a JSON object, found {type(event).__name__}")
    return event


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"event lacks {exc}"
    return line_reason(exc)


def eve_time(text: Any) -> int:
    """EVE timestamps (``2011-08-12T14:52:57.716360+0200``) as epoch seconds; no offset means UTC."""
    if not isinstance(text, str):
        raise ValueError(f"timestamp should be text, found {str(text)[:40]!r}")
    return epoch_seconds(text, what="timestamp")


def port(value: Any, what: str = "port") -> int | None:
    """A port number (0-65535) or None; anything else raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"{what} should be a port number, found {str(value)[:40]!r}")
    return value


def count(value: Any, what: str) -> int | None:
    """A byte count (a non-negative integer) or None; anything else raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{what} should be a byte count, found {str(value)[:40]!r}")
    return value


def text_or_none(value: Any, what: str) -> str | None:
    """A string field or None; anything else raises ValueError."""
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what} should be text, found {str(value)[:40]!r}")


class EveMapper:
    """One method per event type."""

    def __init__(self, tm: Telemetry) -> None:
        self.tm = tm

    def event(self, e: dict[str, Any]) -> None:
        kind = e.get("event_type")
        if not isinstance(kind, str):
            raise ValueError("no event_type")
        handler = getattr(self, f"on_{kind}", None)
        if handler is None:
            self.tm.skipped[f"'{kind}' events"] += 1
            return
        handler(e, eve_time(e["timestamp"]))

    # ------------------------------------------------------------ dns
    def on_dns(self, e: dict[str, Any], ts: int) -> None:
        dns = e["dns"]
        kind = dns.get("type")
        if kind in ("query", "request"):
            host = self.tm.host(e["src_ip"])
            if host is None:
                self.tm.skipped["queries from external clients"] += 1
                return
            for rrname, rrtype in _queries(dns):
                name = self.tm.domain(rrname)
                if name:
                    self.tm.queried(host, name, ts, rrtype, None, events=_events(e))
        elif kind in ("answer", "response"):
            self._answers(e, dns, ts)
        else:
            self.tm.skipped["dns events of unknown type"] += 1

    def _answers(self, e: dict[str, Any], dns: dict[str, Any], ts: int) -> None:
        queries = _queries(dns)
        rcode = dns.get("rcode")
        client = e["dest_ip"] if e.get("src_port") in DNS_PORTS else e["src_ip"]
        host = self.tm.host(client)
        if "rdata" not in dns:  # a v1 answer record's rrname is the record's owner, not the question
            for rrname, rrtype in queries[:1]:
                name = self.tm.domain(rrname)
                if name and host and rcode:
                    self.tm.queried(host, name, ts, rrtype, rcode, count=0, events=_events(e))
        if rcode not in (None, "NOERROR"):
            return
        if "rdata" in dns and "answers" not in dns:  # v1: one answer record per event
            self._record(dns.get("rrname"), dns.get("rrtype"), dns["rdata"], ts)
        elif isinstance(dns.get("answers"), list):
            for answer in dns["answers"]:
                self._record(answer.get("rrname"), answer.get("rrtype"), answer.get("rdata"), ts)
        elif isinstance(dns.get("grouped"), dict) and queries:
            self._grouped(queries[0][0], dns["grouped"], ts)

    def _record(self, rrname: Any, rrtype: Any, rdata: Any, ts: int) -> None:
        if not isinstance(rrname, str) or not isinstance(rdata, str):
            self.tm.skipped["DNS answers that are not names or addresses"] += 1
            return
        owner = self.tm.domain(rrname)
        if owner:
            self.tm.answer(owner, rrtype, rdata, ts)

    def _grouped(self, rrname: str, grouped: dict[str, list[str]], ts: int) -> None:
        owner = self.tm.domain(rrname)
        if not owner:
            return
        chain = list(grouped.get("CNAME", [])) + list(grouped.get("A", [])) + list(grouped.get("AAAA", []))
        self.tm.answer_chain(owner, "A", chain, ts)
        for rrtype in ("MX", "NS"):
            for rdata in grouped.get(rrtype, []):
                self.tm.answer(owner, rrtype, rdata, ts)

    # ------------------------------------------------------------ tls
    def on_tls(self, e: dict[str, Any], ts: int) -> None:
        tls = e["tls"]
        server = canonical_ip(e["dest_ip"])
        if self.tm.network.is_internal(server):
            self.tm.skipped["TLS sessions to internal servers"] += 1
            return
        host = self.tm.host(e["src_ip"])
        self.tm.tls(
            host,
            server,
            ts,
            sni=text_or_none(tls.get("sni"), "tls.sni"),
            port=port(e.get("dest_port"), "dest_port"),
            cert=self._certificate(tls, ts),
            ja3=_hash_of(tls.get("ja3")),
            ja3s=_hash_of(tls.get("ja3s")),
            ja4=tls.get("ja4") if isinstance(tls.get("ja4"), str) else None,
            events=_events(e),
        )

    def _certificate(self, tls: dict[str, Any], ts: int) -> Cert | None:
        der = tls.get("certificate") or (tls.get("chain") or [None])[0]
        sha1 = tls.get("fingerprint")
        if der:
            try:
                blob = base64.b64decode(der, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("tls.certificate is not base64") from None
            cert = (hashlib.sha256(blob).hexdigest(), "sha256")
            sha1 = hashlib.sha1(blob).hexdigest()  # a certificate fingerprint, not a security use
        elif sha1:
            cert = (canonical_hash(sha1, "sha1"), "sha1")
        else:
            return None
        props = certificate_props(
            cert,
            subject=tls.get("subject"),
            issuer=tls.get("issuerdn"),
            not_before=_maybe_time(tls.get("notbefore")),
            not_after=_maybe_time(tls.get("notafter")),
            sha1=canonical_hash(sha1, "sha1") if sha1 else None,
            serial=tls.get("serial"),
        )
        self.tm.obs.node("Certificate", cert[0], props, ts)
        return cert

    # ------------------------------------------------------------ http
    def on_http(self, e: dict[str, Any], ts: int, *, count: int = 1, signature: str | None = None) -> None:
        http = e["http"]
        client, server, server_port = e["src_ip"], e["dest_ip"], port(e.get("dest_port"), "dest_port")
        if self.tm.host(client) is None and self.tm.host(server) is not None:  # logged from the server's side
            client, server, server_port = server, client, port(e.get("src_port"), "src_port")
        host = self.tm.host(client)
        if host is None:
            self.tm.skipped["requests from external clients"] += 1
            return
        target = http.get("url")
        if not isinstance(target, str) or not target:
            self.tm.skipped["http events without a URL"] += 1
            return
        url = http_url("http", text_or_none(http.get("hostname"), "http.hostname") or server, server_port, target)
        self.tm.requested(
            host,
            url,
            ts,
            method=text_or_none(http.get("http_method"), "http.http_method"),
            status=http.get("status") if isinstance(http.get("status"), int) else None,
            bytes_in=http.get("length") if isinstance(http.get("length"), int) else None,
            user_agent=text_or_none(http.get("http_user_agent"), "http.http_user_agent"),
            count=count,
            signature=signature,
            events=_events(e),
        )

    # ------------------------------------------------------------ flows
    def on_flow(self, e: dict[str, Any], ts: int) -> None:
        flow = e["flow"]
        sides = self.tm.sides(e["src_ip"], e["dest_ip"])
        if sides is None:
            return
        host, peer, outbound = sides
        to_server = count(flow.get("bytes_toserver"), "flow.bytes_toserver")
        to_client = count(flow.get("bytes_toclient"), "flow.bytes_toclient")
        self.tm.connected(
            host,
            peer,
            _maybe_time(flow.get("start")) or ts,
            outbound=outbound,
            bytes_out=to_server if outbound else to_client,
            bytes_in=to_client if outbound else to_server,
            port=port(e.get("dest_port"), "dest_port"),
            protocols=_protocols(e),
            events=_events(e),
        )

    def on_netflow(self, e: dict[str, Any], ts: int) -> None:
        sides = self.tm.sides(e["src_ip"], e["dest_ip"])
        if sides is None:
            return
        host, peer, host_sent = sides
        size = count(e["netflow"].get("bytes"), "netflow.bytes")
        self.tm.connected(
            host,
            peer,
            _maybe_time(e["netflow"].get("start")) or ts,
            outbound=None,
            bytes_out=size if host_sent else None,
            bytes_in=None if host_sent else size,
            port=port(e.get("dest_port"), "dest_port") if host_sent else port(e.get("src_port"), "src_port"),
            protocols=_protocols(e),
            count=1 if host_sent else 0,
            events=_events(e),
        )

    # ------------------------------------------------------------ alerts
    def on_alert(self, e: dict[str, Any], ts: int) -> None:
        signature = text_or_none(e["alert"].get("signature"), "alert.signature") or (
            f"signature id {e['alert'].get('signature_id')}"
        )
        sides = self.tm.sides(e["src_ip"], e["dest_ip"])
        if sides is not None:  # an alert can be on either direction of a flow: no port or direction from it
            host, peer, _ = sides
            self.tm.connected(host, peer, ts, outbound=None, count=0, signature=signature, events=_events(e))
        if isinstance(e.get("http"), dict) and e["http"].get("url"):
            self.on_http(e, ts, count=0, signature=signature)
        if isinstance(e.get("dns"), dict):
            client = e["dest_ip"] if e.get("src_port") in DNS_PORTS else e["src_ip"]
            asker = self.tm.host(client)
            for rrname, rrtype in _queries(e["dns"]) if asker else ():
                name = self.tm.domain(rrname)
                if name and asker:
                    self.tm.queried(asker, name, ts, rrtype, None, count=0, signature=signature, events=_events(e))


def _events(e: dict[str, Any]) -> list[str] | None:
    """The event's pointers: its ``flow_id`` (shared by every event of one flow) and ``community_id`` if set."""
    return event_ids(e.get("flow_id"), e.get("community_id"))


def _queries(dns: dict[str, Any]) -> list[tuple[str, str | None]]:
    """``(rrname, rrtype)`` of the question(s): ``rrname`` (v1/v2) or a ``queries``/``query`` list (v3, alerts)."""
    listed = dns.get("queries") or dns.get("query")
    if isinstance(listed, list):
        return [(q["rrname"], q.get("rrtype")) for q in listed if isinstance(q, dict) and q.get("rrname")]
    rrname = dns.get("rrname")
    return [(rrname, dns.get("rrtype"))] if isinstance(rrname, str) and rrname else []


def _hash_of(value: Any) -> str | None:
    """JA3/JA3S appear as ``{"hash": ..., "string": ...}``."""
    return value.get("hash") if isinstance(value, dict) else None


def _protocols(e: dict[str, Any]) -> list[str]:
    found = [str(e.get("proto", "")).lower()]
    app = e.get("app_proto")
    if isinstance(app, str) and app not in ("failed", "unknown"):
        found.append(app.lower())
    return [p for p in found if p]


def _maybe_time(text: Any) -> int | None:
    return eve_time(text) if isinstance(text, str) and text else None
