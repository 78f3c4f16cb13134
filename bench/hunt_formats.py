"""Sessions to the sensors' own file formats: Zeek TSV and JSON, Suricata EVE, Squid native, the DMZ resolver.

* Zeek 6 logs (``dns``, ``conn``, ``http``, ``ssl`` with the ja3 package's
  ``ja3``/``ja3s``, ``x509`` with ``fingerprint``): TSV with the ``#fields``/
  ``#types`` header block, or JSON lines with dotted keys and unset fields left out.
  TLS 1.3 hides the server certificate, so only TLS 1.2 sessions name one;
  ``x509.log`` logs a certificate once per sensor and day (Zeek's known-cert cache).
* Suricata 7 EVE: ``dns`` query and v2 answer events, ``tls`` with ``ja3``/``ja3s``
  and the certificate (``custom: [..., certificate, chain]``), ``http``, ``flow``.
* Squid native ``access.log`` of the east office's explicit proxy: ``CONNECT
  host:443`` tunnels, TLS-bumped ``GET https://...`` and plain ``http://`` requests.
  With an explicit proxy the clients never resolve web names; the proxy does.
* The DMZ resolver (public address, so no internal host) as Zeek TSV: its
  recursion for every name anyone resolved, with QNAME-minimising ``NS`` queries.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hunt_model import CLIENTS, DAY, WEEK_START, Cert, Ids, Session, day_of, suricata_dn, zeek_dn
from hunt_world import CAS, SAME_CA, World

Row = dict[str, Any]

ZEEK_FIELDS: dict[str, list[tuple[str, str]]] = {
    "dns": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
            ("id.resp_p", "port"), ("proto", "enum"), ("trans_id", "count"), ("rtt", "interval"),
            ("query", "string"), ("qclass", "count"), ("qclass_name", "string"), ("qtype", "count"),
            ("qtype_name", "string"), ("rcode", "count"), ("rcode_name", "string"), ("AA", "bool"), ("TC", "bool"),
            ("RD", "bool"), ("RA", "bool"), ("Z", "count"), ("answers", "vector[string]"),
            ("TTLs", "vector[interval]"), ("rejected", "bool")],
    "conn": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
             ("id.resp_p", "port"), ("proto", "enum"), ("service", "string"), ("duration", "interval"),
             ("orig_bytes", "count"), ("resp_bytes", "count"), ("conn_state", "string"), ("local_orig", "bool"),
             ("local_resp", "bool"), ("missed_bytes", "count"), ("history", "string"), ("orig_pkts", "count"),
             ("orig_ip_bytes", "count"), ("resp_pkts", "count"), ("resp_ip_bytes", "count"),
             ("tunnel_parents", "set[string]")],
    "http": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
             ("id.resp_p", "port"), ("trans_depth", "count"), ("method", "string"), ("host", "string"),
             ("uri", "string"), ("referrer", "string"), ("version", "string"), ("user_agent", "string"),
             ("origin", "string"), ("request_body_len", "count"), ("response_body_len", "count"),
             ("status_code", "count"), ("status_msg", "string"), ("info_code", "count"), ("info_msg", "string"),
             ("tags", "set[enum]"), ("username", "string"), ("password", "string"), ("proxied", "set[string]"),
             ("orig_fuids", "vector[string]"), ("orig_filenames", "vector[string]"),
             ("orig_mime_types", "vector[string]"), ("resp_fuids", "vector[string]"),
             ("resp_filenames", "vector[string]"), ("resp_mime_types", "vector[string]")],
    "ssl": [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
            ("id.resp_p", "port"), ("version", "string"), ("cipher", "string"), ("curve", "string"),
            ("server_name", "string"), ("resumed", "bool"), ("last_alert", "string"), ("next_protocol", "string"),
            ("established", "bool"), ("ssl_history", "string"), ("cert_chain_fps", "vector[string]"),
            ("client_cert_chain_fps", "vector[string]"), ("sni_matches_cert", "bool"),
            ("validation_status", "string"), ("ja3", "string"), ("ja3s", "string")],
    "x509": [("ts", "time"), ("fingerprint", "string"), ("certificate.version", "count"),
             ("certificate.serial", "string"), ("certificate.subject", "string"), ("certificate.issuer", "string"),
             ("certificate.not_valid_before", "time"), ("certificate.not_valid_after", "time"),
             ("certificate.key_alg", "string"), ("certificate.sig_alg", "string"), ("certificate.key_type", "string"),
             ("certificate.key_length", "count"), ("certificate.exponent", "string"), ("certificate.curve", "string"),
             ("san.dns", "vector[string]"), ("san.uri", "vector[string]"), ("san.email", "vector[string]"),
             ("san.ip", "vector[addr]"), ("basic_constraints.ca", "bool"), ("basic_constraints.path_len", "count"),
             ("host_cert", "bool"), ("client_cert", "bool")],
}
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "AAAA": 28, "PTR": 12}
RCODES = {"NOERROR": 0, "NXDOMAIN": 3, "SERVFAIL": 2}
TLS_CIPHERS = {"TLSv13": "TLS_AES_256_GCM_SHA384", "TLSv12": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}
SHARED_JA3 = CLIENTS["chromium-win"].ja3


# ------------------------------------------------------------------ rendering


def _tsv_value(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind.startswith(("vector", "set")):
        return ",".join(str(v) for v in value) if value else "(empty)"
    if kind == "bool":
        return "T" if value else "F"
    if kind in ("time", "interval"):
        return f"{value:.6f}"
    text = str(value)
    return text.replace("\t", "\\x09") if text else "(empty)"


def zeek_tsv(kind: str, rows: list[Row], day: int) -> str:
    """One Zeek TSV log file with its header block and close line."""
    fields = ZEEK_FIELDS[kind]
    opened = datetime.fromtimestamp(WEEK_START + day * DAY, UTC).strftime("%Y-%m-%d-%H-%M-%S")
    closed = datetime.fromtimestamp(WEEK_START + (day + 1) * DAY, UTC).strftime("%Y-%m-%d-%H-%M-%S")
    out = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", f"#path\t{kind}",
           f"#open\t{opened}", "#fields\t" + "\t".join(f for f, _ in fields),
           "#types\t" + "\t".join(t for _, t in fields)]
    out += ["\t".join(_tsv_value(row.get(f), t) for f, t in fields) for row in rows]
    out.append(f"#close\t{closed}")
    return "\n".join(out) + "\n"


def zeek_json(kind: str, rows: list[Row]) -> str:
    """Zeek JSON lines: the header's field order, unset fields left out."""
    names = [f for f, _ in ZEEK_FIELDS[kind]]
    return "".join(json.dumps({f: round(row[f], 6) if f == "ts" else row[f] for f in names if row.get(f) is not None},
                              separators=(",", ":")) + "\n" for row in rows)


def write_text(path: Path, text: str, *, gz: bool = False) -> None:
    """Write ``text``; gzip with a zero mtime so the bytes only depend on the seed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not gz:
        path.write_text(text, encoding="utf-8")
        return
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def eve_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


# ------------------------------------------------------------------ shared helpers


class Sensor:
    """What every sensor shares: the world (for DNS answers), ids and a per-sensor generator."""

    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.rng = random.Random(f"{world.seed}:sensor:{name}")
        self.ids = Ids(self.rng)
        self.tags: dict[str, set[str]] = defaultdict(set)  # host -> trap kinds this sensor showed

    def answers(self, s: Session) -> list[str]:
        if s.answers is not None:
            return s.answers
        site = self.world.sites.get(s.name or "")
        return [*site.cname, *site.ips] if site else []

    def ttl(self, s: Session) -> int:
        site = self.world.sites.get(s.name or "")
        return site.ttl if site else 300

    def port(self) -> int:
        return self.rng.randrange(49152, 65535)

    def note(self, s: Session, *, direct_tls: bool) -> None:
        """Remember which trap kinds a session shown by this sensor exercises."""
        tags = set(s.tags) - {"no-bump"}
        if direct_tls and s.tls_version and s.ja3 == SHARED_JA3:
            tags.add("shared-ja3")
        if direct_tls and s.cert is not None and s.cert.issuer == CAS[SAME_CA]:
            tags.add("same-ca")
        self.tags[s.host.ip] |= tags


# ------------------------------------------------------------------ Zeek


class ZeekSensor(Sensor):
    """One Zeek sensor: ``fmt`` tsv (daily gzip folders) or json (one file per log)."""

    def __init__(self, world: World, name: str, fmt: str) -> None:
        super().__init__(world, name)
        self.fmt = fmt
        self.logs: dict[str, list[Row]] = defaultdict(list)
        self.seen_certs: set[tuple[int, str]] = set()

    def add(self, s: Session) -> None:
        t = s.ts
        if s.resolve and s.name:
            self.dns(s, t)
            t += 0.02
        if not s.connect:
            self.note(s, direct_tls=False)
            return
        uid = self.ids.zeek("C")
        port = self.port()
        self.conn(s, t, uid, port)
        if s.tls_version:
            self.ssl(s, t + 0.05, uid, port)
        elif s.service == "http":
            self.http(s, t + 0.04, uid, port)
        self.note(s, direct_tls=True)

    def dns(self, s: Session, t: float) -> None:
        answers = self.answers(s) if s.rcode == "NOERROR" else []
        ttl = self.ttl(s)
        self.logs["dns"].append({
            "ts": t, "uid": self.ids.zeek("C"), "id.orig_h": s.host.ip, "id.orig_p": self.port(),
            "id.resp_h": self.world.resolvers[s.host.segment], "id.resp_p": 53, "proto": "udp",
            "trans_id": self.rng.randrange(1, 65535), "rtt": round(self.rng.uniform(0.0004, 0.03), 6),
            "query": s.name, "qclass": 1, "qclass_name": "C_INTERNET", "qtype": QTYPES[s.qtype],
            "qtype_name": s.qtype, "rcode": RCODES[s.rcode], "rcode_name": s.rcode, "AA": False, "TC": False,
            "RD": True, "RA": True, "Z": 0, "answers": answers or None,
            "TTLs": [float(ttl)] * len(answers) or None, "rejected": False,
        })

    def conn(self, s: Session, t: float, uid: str, port: int) -> None:
        pkts_out, pkts_in = max(1, s.bytes_out // 1200 + 3), max(1, s.bytes_in // 1400 + 3)
        self.logs["conn"].append({
            "ts": t, "uid": uid, "id.orig_h": s.host.ip, "id.orig_p": port, "id.resp_h": s.ip, "id.resp_p": s.port,
            "proto": s.proto, "service": s.service, "duration": s.duration, "orig_bytes": s.bytes_out,
            "resp_bytes": s.bytes_in, "conn_state": "SF", "local_orig": True, "local_resp": False, "missed_bytes": 0,
            "history": "ShADadFf" if s.proto == "tcp" else "Dd", "orig_pkts": pkts_out,
            "orig_ip_bytes": s.bytes_out + 40 * pkts_out, "resp_pkts": pkts_in,
            "resp_ip_bytes": s.bytes_in + 40 * pkts_in, "tunnel_parents": [],
        })

    def ssl(self, s: Session, t: float, uid: str, port: int) -> None:
        chain = [s.cert, *s.chain] if s.cert else []
        for cert in chain:
            self.x509(cert, t)
        status = None
        if s.cert is not None:
            status = "self signed certificate" if s.cert.self_signed else "ok"
        self.logs["ssl"].append({
            "ts": t, "uid": uid, "id.orig_h": s.host.ip, "id.orig_p": port, "id.resp_h": s.ip, "id.resp_p": s.port,
            "version": s.tls_version, "cipher": TLS_CIPHERS[s.tls_version or "TLSv13"], "curve": "x25519",
            "server_name": s.sni, "resumed": False, "last_alert": None,
            "next_protocol": "h2" if s.client == "browser" else None, "established": True,
            "ssl_history": "CsxknGIi" if s.tls_version == "TLSv13" else "CsiI",
            "cert_chain_fps": [c.sha256 for c in chain], "client_cert_chain_fps": [],
            "sni_matches_cert": (s.sni in s.cert.sans) if (s.cert and s.sni) else None,
            "validation_status": status, "ja3": s.ja3, "ja3s": s.ja3s,
        })

    def x509(self, cert: Cert, t: float) -> None:
        key = (day_of(t), cert.sha256)
        if key in self.seen_certs:
            return
        self.seen_certs.add(key)
        self.logs["x509"].append({
            "ts": t, "fingerprint": cert.sha256, "certificate.version": 3, "certificate.serial": cert.serial_hex,
            "certificate.subject": zeek_dn(cert.subject), "certificate.issuer": zeek_dn(cert.issuer.parts),
            "certificate.not_valid_before": float(cert.not_before),
            "certificate.not_valid_after": float(cert.not_after),
            "certificate.key_alg": "ED25519", "certificate.sig_alg": "ED25519", "san.dns": list(cert.sans) or None,
            "basic_constraints.ca": cert.is_ca, "basic_constraints.path_len": 0 if cert.is_ca else None,
            "host_cert": True, "client_cert": False,
        })

    def http(self, s: Session, t: float, uid: str, port: int) -> None:
        self.logs["http"].append({
            "ts": t, "uid": uid, "id.orig_h": s.host.ip, "id.orig_p": port, "id.resp_h": s.ip, "id.resp_p": s.port,
            "trans_depth": 1, "method": s.method, "host": s.name or s.ip, "uri": s.uri, "version": "1.1",
            "user_agent": s.user_agent, "request_body_len": s.bytes_out if s.method in ("POST", "PUT") else 0,
            "response_body_len": s.bytes_in, "status_code": s.status, "status_msg": "OK" if s.status == 200 else None,
            "tags": [], "resp_fuids": [self.ids.zeek("F")], "resp_mime_types": ["application/octet-stream"],
        })

    def write(self, folder: Path) -> list[Path]:
        """The sensor's files: daily gzip TSV folders, or one JSON file per log."""
        written: list[Path] = []
        for kind in ZEEK_FIELDS:
            rows = sorted(self.logs.get(kind, []), key=lambda r: r["ts"])
            if self.fmt == "json":
                path = folder / f"{kind}.log"
                write_text(path, zeek_json(kind, rows))
                written.append(path)
                continue
            for day in range(-1, 8):
                chunk = [r for r in rows if day_of(r["ts"]) == day]
                if chunk:
                    stamp = datetime.fromtimestamp(WEEK_START + day * DAY, UTC).strftime("%Y-%m-%d")
                    path = folder / stamp / f"{kind}.00:00:00-00:00:00.log.gz"
                    write_text(path, zeek_tsv(kind, chunk, day), gz=True)
                    written.append(path)
        return written


# ------------------------------------------------------------------ Suricata EVE


class EveSensor(Sensor):
    """Suricata on the east office's uplink: what bypasses the proxy (Microsoft 365, updates, implants, DNS)."""

    def __init__(self, world: World, name: str) -> None:
        super().__init__(world, name)
        self.events: list[Row] = []

    def base(self, event_type: str, t: float, src: str, sport: int, dst: str, dport: int, proto: str,
             flow_id: int) -> Row:
        return {"timestamp": eve_time(t), "flow_id": flow_id, "in_iface": "ens192", "event_type": event_type,
                "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport, "proto": proto}

    def add(self, s: Session) -> None:
        t = s.ts
        if s.resolve and s.name:
            self.dns(s, t)
            t += 0.02
        if not s.connect:
            self.note(s, direct_tls=False)
            return
        flow_id = self.rng.getrandbits(51)
        port = self.port()
        proto = s.proto.upper()
        if s.tls_version:
            self.tls(s, t + 0.05, port, flow_id)
        elif s.service == "http":
            self.http(s, t + 0.04, port, flow_id)
        self.flow(s, t, port, flow_id, proto)
        self.note(s, direct_tls=True)

    def dns(self, s: Session, t: float) -> None:
        resolver = self.world.resolvers["east"]
        port, flow_id, txid = self.port(), self.rng.getrandbits(51), self.rng.randrange(1, 65535)
        query = self.base("dns", t, s.host.ip, port, resolver, 53, "UDP", flow_id)
        query["dns"] = {"type": "query", "id": txid, "rrname": s.name, "rrtype": s.qtype, "tx_id": 0, "opcode": 0}
        self.events.append(query)
        answer = self.base("dns", t + 0.01, resolver, 53, s.host.ip, port, "UDP", flow_id)
        body: Row = {"version": 2, "type": "answer", "id": txid, "flags": "8180" if s.rcode == "NOERROR" else "8183",
                     "qr": True, "rd": True, "ra": True, "opcode": 0, "rrname": s.name, "rrtype": s.qtype,
                     "rcode": s.rcode}
        chain = self.answers(s) if s.rcode == "NOERROR" else []
        if chain:
            ttl, owner = self.ttl(s), str(s.name)
            records: list[dict[str, Any]] = []
            for value in [v for v in chain if not _is_ip(v)]:
                records.append({"rrname": owner, "rrtype": "CNAME", "ttl": ttl, "rdata": value})
                owner = value
            for value in [v for v in chain if _is_ip(v)]:
                records.append({"rrname": owner, "rrtype": "A", "ttl": ttl, "rdata": value})
            body["answers"] = records
            grouped: dict[str, list[str]] = defaultdict(list)
            for record in records:
                grouped[record["rrtype"]].append(record["rdata"])
            body["grouped"] = dict(grouped)
        answer["dns"] = body
        self.events.append(answer)

    def tls(self, s: Session, t: float, port: int, flow_id: int) -> None:
        event = self.base("tls", t, s.host.ip, port, s.ip, s.port, "TCP", flow_id)
        tls: Row = {"version": "TLS 1.3" if s.tls_version == "TLSv13" else "TLS 1.2"}
        if s.cert is not None:
            c = s.cert
            tls |= {"subject": suricata_dn(c.subject), "issuerdn": suricata_dn(c.issuer.parts),
                    "serial": ":".join(f"{c.serial:X}"[i:i + 2] for i in range(0, len(f"{c.serial:X}"), 2)),
                    "fingerprint": ":".join(c.sha1[i:i + 2] for i in range(0, 40, 2)),
                    "notbefore": _naive(c.not_before), "notafter": _naive(c.not_after),
                    "certificate": base64.b64encode(c.der).decode(),
                    "chain": [base64.b64encode(x.der).decode() for x in [c, *s.chain]]}
        if s.sni:
            tls["sni"] = s.sni
        tls["ja3"] = {"hash": s.ja3, "string": _ja3_text(s.ja3)}
        tls["ja3s"] = {"hash": s.ja3s, "string": "771,4866,43-51"}
        event["tls"] = tls
        self.events.append(event)

    def http(self, s: Session, t: float, port: int, flow_id: int) -> None:
        event = self.base("http", t, s.host.ip, port, s.ip, s.port, "TCP", flow_id)
        event["tx_id"] = 0
        event["http"] = {"hostname": s.name or s.ip, "url": s.uri, "http_user_agent": s.user_agent,
                         "http_content_type": "application/octet-stream", "http_method": s.method,
                         "protocol": "HTTP/1.1", "status": s.status, "length": s.bytes_in}
        self.events.append(event)

    def flow(self, s: Session, t: float, port: int, flow_id: int, proto: str) -> None:
        end = t + s.duration
        event = self.base("flow", end + self.rng.uniform(1, 60), s.host.ip, port, s.ip, s.port, proto, flow_id)
        event["app_proto"] = {"ssl": "tls", "http": "http", "ntp": "ntp"}.get(s.service, "failed")
        pkts_out, pkts_in = max(1, s.bytes_out // 1200 + 3), max(1, s.bytes_in // 1400 + 3)
        event["flow"] = {"pkts_toserver": pkts_out, "pkts_toclient": pkts_in, "bytes_toserver": s.bytes_out,
                         "bytes_toclient": s.bytes_in, "start": eve_time(t), "end": eve_time(end),
                         "age": int(s.duration), "state": "closed" if proto == "TCP" else "established",
                         "reason": "timeout", "alerted": False}
        self.events.append(event)

    def write(self, folder: Path) -> list[Path]:
        path = folder / "eve.json"
        events = sorted(self.events, key=lambda e: e["timestamp"])
        write_text(path, "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
        return [path]


def _is_ip(value: str) -> bool:
    return value.replace(".", "").isdigit() or ":" in value


def _naive(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _ja3_text(ja3: str) -> str:
    for client in CLIENTS.values():
        if client.ja3 == ja3:
            return client.ja3_text
    return ""


# ------------------------------------------------------------------ Squid


class SquidProxy(Sensor):
    """The east office's explicit proxy (TLS bumping except for banking and other exempt sites)."""

    def __init__(self, world: World, name: str) -> None:
        super().__init__(world, name)
        self.lines: list[tuple[float, str]] = []

    def add(self, s: Session) -> None:
        elapsed = int(s.duration * 1000) or 1
        peer = f"HIER_DIRECT/{s.ip}"
        user = s.host.user
        site = self.world.sites.get(s.name or "")
        if s.scheme == "https" and site is not None and "no-bump" in site.tags:
            self._line(s.ts, elapsed, s.host.ip, "TCP_TUNNEL/200", s.bytes_in, "CONNECT", f"{s.name}:443", user,
                       peer, "-")
        elif s.scheme == "https":
            self._line(s.ts, 0, s.host.ip, "NONE_NONE/200", 0, "CONNECT", f"{s.name}:443", user, "HIER_NONE/-", "-")
            self._line(s.ts + 0.05, elapsed, s.host.ip, f"TCP_MISS/{s.status:03d}", s.bytes_in, s.method or "GET",
                       f"https://{s.name}{s.uri}", user, peer, _mime(s.uri))
        else:
            self._line(s.ts, elapsed, s.host.ip, f"TCP_MISS/{s.status:03d}", s.bytes_in, s.method or "GET",
                       f"http://{s.name}{s.uri}", user, peer, _mime(s.uri))
        self.note(s, direct_tls=False)

    def _line(self, ts: float, elapsed: int, client: str, code: str, size: int, method: str, url: str, user: str,
              peer: str, mime: str) -> None:
        self.lines.append((ts, f"{ts:.3f} {elapsed:6d} {client} {code} {size} {method} {url} {user} {peer} {mime}"))

    def write(self, folder: Path) -> list[Path]:
        path = folder / "access.log"
        write_text(path, "".join(line + "\n" for _, line in sorted(self.lines)))
        return [path]


def _mime(uri: str) -> str:
    for ext, mime in ((".js", "application/javascript"), (".png", "image/png"), (".ico", "image/x-icon"),
                      (".zip", "application/zip"), (".php", "text/html"), ("/raw/", "text/plain")):
        if ext in uri:
            return mime
    return "text/html"


# ------------------------------------------------------------------ DMZ resolver


class DmzResolver(ZeekSensor):
    """The recursive resolver's upstream traffic: passive DNS with no internal client."""

    def __init__(self, world: World) -> None:
        super().__init__(world, "zeek-dmz", "tsv")
        self.cached: set[tuple[str, int]] = set()
        self.zones_asked: set[str] = set()

    def resolve(self, name: str, ts: float) -> None:
        """The resolver recursing for ``name`` (once per name and day: its cache)."""
        site = self.world.sites.get(name)
        if site is None or (name, day_of(ts)) in self.cached:
            return
        self.cached.add((name, day_of(ts)))
        if site.zone not in self.zones_asked and site.zone in self.world.zone_ns:
            self.zones_asked.add(site.zone)
            self._upstream(site.zone, "NS", self.world.zone_ns[site.zone], ts - 0.03, 172_800)
        self._upstream(name, "A", [*site.cname, *site.ips], ts, site.ttl)

    def _upstream(self, query: str, qtype: str, answers: list[str], t: float, ttl: int) -> None:
        self.logs["dns"].append({
            "ts": t, "uid": self.ids.zeek("C"), "id.orig_h": self.world.dmz_resolver, "id.orig_p": self.port(),
            "id.resp_h": self._authority(query), "id.resp_p": 53, "proto": "udp",
            "trans_id": self.rng.randrange(1, 65535), "rtt": round(self.rng.uniform(0.004, 0.09), 6),
            "query": query, "qclass": 1, "qclass_name": "C_INTERNET", "qtype": QTYPES[qtype], "qtype_name": qtype,
            "rcode": 0, "rcode_name": "NOERROR", "AA": True, "TC": False, "RD": False, "RA": False, "Z": 0,
            "answers": answers, "TTLs": [float(ttl)] * len(answers), "rejected": False,
        })

    def _authority(self, query: str) -> str:
        site = self.world.sites.get(query)
        zone = site.zone if site else query
        ns = (self.world.zone_ns.get(zone) or ["a.gtld-servers.net"])[0]
        if ns not in self.world.ns_addresses:
            self.world.ns_addresses[ns] = self.world.addresses.public(("198.41.0.0/16", "162.159.0.0/16",
                                                                       "205.251.192.0/18", "216.239.32.0/19"))
        return self.world.ns_addresses[ns]


# ------------------------------------------------------------------ routing


class Telemetry:
    """Every sensor of the enterprise, and which one sees which session."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.zeek = {"hq": ZeekSensor(world, "zeek-hq", "tsv"), "branch": ZeekSensor(world, "zeek-branch", "json")}
        self.eve = EveSensor(world, "suricata-east")
        self.squid = SquidProxy(world, "squid-east")
        self.dmz = DmzResolver(world)

    def add_all(self, sessions: Iterable[Session]) -> None:
        for s in sorted(sessions, key=lambda x: (x.ts, x.host.ip)):
            self.add(s)
        for name in self.world.background_names:  # users the sensors do not see resolve the long tail too
            self.dmz.resolve(name, WEEK_START + self.world.rng.uniform(0, 7 * DAY))

    def add(self, s: Session) -> None:
        segment = s.host.segment
        proxied = segment == "east" and s.connect and s.client != "implant" and _is_web(self.world, s)
        if proxied:
            self.squid.add(s)
        elif segment == "east":
            self.eve.add(s)
        else:
            self.zeek[segment].add(s)
        if s.name and (s.resolve or proxied) and s.rcode == "NOERROR" and not s.name.endswith(".local"):
            self.dmz.resolve(s.name, s.ts + 0.001)

    def write(self, root: Path) -> list[Path]:
        return [*self.zeek["hq"].write(root / "zeek-hq"), *self.zeek["branch"].write(root / "zeek-branch"),
                *self.dmz.write(root / "zeek-dmz"), *self.eve.write(root / "suricata-east"),
                *self.squid.write(root / "squid-east")]

    def host_tags(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for sensor in (*self.zeek.values(), self.eve, self.squid):
            for host, tags in sensor.tags.items():
                out[host] |= tags
        return out


def _is_web(world: World, s: Session) -> bool:
    site = world.sites.get(s.name or "")
    return site is not None and site.category == "web" and s.port in (80, 443)
