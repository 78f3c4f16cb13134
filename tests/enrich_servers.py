"""Real servers on loopback for the enrichment tests: NSD, a logging DNS forwarder, RDAP over HTTP, TLS.

Every server binds 127.0.0.1 on a free port, runs until stopped, and keeps a log
of what it was asked, so tests can prove what was (and was not) contacted.
"""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from graphpivot.enrich.base import Enricher
from graphpivot.enrich.joblog import JobLog
from graphpivot.enrich.prepare import JobRequest, prepare
from graphpivot.enrich.runner import Job, JobSummary, Limits
from graphpivot.enrich.selection import Plan
from graphpivot.maintenance import refresh
from graphpivot.schema import NODES, RELS
from graphpivot.store.base import GraphStore

LOOPBACK = "127.0.0.1"
NSD_HINT = "NSD is not installed: apt-get install nsd (listed in scripts/system-packages.txt)"


def free_port() -> int:
    """A port free for both UDP and TCP on loopback."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((LOOPBACK, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((LOOPBACK, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on loopback")


# ---------------------------------------------------------------- NSD


@dataclass
class Nsd:
    """NSD, an authoritative server from Debian, in the foreground with its own config and zones."""

    workdir: Path
    zones: dict[str, str]  # zone name -> zone file text
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nsd:
        binary = shutil.which("nsd") or ("/usr/sbin/nsd" if Path("/usr/sbin/nsd").exists() else None)
        if binary is None:
            pytest.fail(NSD_HINT)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        zone_conf = []
        for name, text in self.zones.items():
            (self.workdir / f"{name}.zone").write_text(text, encoding="utf-8")
            zone_conf.append(f"zone:\n    name: {name}\n    zonefile: {name}.zone\n")
        w = self.workdir
        (w / "nsd.conf").write_text(
            "server:\n"
            f"    ip-address: {LOOPBACK}@{self.port}\n"
            '    username: ""\n    chroot: ""\n    database: ""\n'
            f'    zonesdir: "{w}"\n    zonelistfile: "{w}/zone.list"\n    xfrdfile: "{w}/xfrd.state"\n'
            f'    xfrdir: "{w}"\n    pidfile: "{w}/nsd.pid"\n    logfile: "{w}/nsd.log"\n'
            "    server-count: 1\n    do-ip6: no\n    verbosity: 1\n"
            "remote-control:\n    control-enable: no\n" + "".join(zone_conf),
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [binary, "-d", "-c", str(w / "nsd.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        probe = dns.message.make_query(next(iter(self.zones)), "SOA")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                dns.query.udp(probe, LOOPBACK, port=self.port, timeout=0.3)
                return
            except (dns.exception.Timeout, OSError):
                time.sleep(0.1)
        log = (self.workdir / "nsd.log").read_text(encoding="utf-8") if (self.workdir / "nsd.log").exists() else ""
        self.stop()
        pytest.fail(f"NSD did not start on {LOOPBACK}:{self.port}:\n{log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# ---------------------------------------------------------------- DNS forwarder


@dataclass
class DnsForwarder:
    """A UDP forwarder in front of NSD that logs every question and drops the ones ``drop`` matches."""

    upstream: tuple[str, int]
    drop: Callable[[str], bool] = lambda name: False
    questions: list[tuple[str, str]] = field(default_factory=list)
    port: int = 0

    def start(self) -> DnsForwarder:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((LOOPBACK, 0))
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.questions]

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.1)
            if not ready:
                continue
            wire, client = self._sock.recvfrom(65535)
            threading.Thread(target=self._answer, args=(wire, client), daemon=True).start()

    def _answer(self, wire: bytes, client: Any) -> None:
        question = dns.message.from_wire(wire)
        name = question.question[0].name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.question[0].rdtype)
        with self._lock:
            self.questions.append((name, rdtype))
        if self.drop(name):
            return  # an unresponsive server: the client times out
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(3)
            up.sendto(wire, self.upstream)
            try:
                reply, _ = up.recvfrom(65535)
            except TimeoutError:
                return
        self._sock.sendto(reply, client)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


# ---------------------------------------------------------------- RDAP over HTTP


@dataclass
class RdapServer:
    """Replays recorded RDAP responses for any address inside their network, like a registry does.

    ``special`` maps an address to ("status", code), ("body", bytes), ("sleep", seconds) or
    ("redirect", location).
    """

    responses: list[dict[str, Any]]
    special: dict[str, tuple[str, Any]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    port: int = 0

    def _network_of(self, address: str) -> dict[str, Any] | None:
        ip = ipaddress.ip_address(address)
        for response in self.responses:
            start = ipaddress.ip_address(_strip_v4(response["startAddress"]))
            end = ipaddress.ip_address(_strip_v4(response["endAddress"]))
            if start.version == ip.version and start <= ip <= end:
                return response
        return None

    def start(self) -> RdapServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                address = self.path.removeprefix("/ip/")
                server.hits[address] += 1
                kind, value = server.special.get(address, ("", None))
                if kind == "sleep":
                    time.sleep(value)  # longer than the client waits: it has gone when this returns
                    return
                if kind == "status":
                    self.send_error(value)
                    return
                if kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if kind == "body":
                    body = value
                else:
                    response = server._network_of(address)
                    if response is None:
                        self.send_error(404)
                        return
                    body = json.dumps(response).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _strip_v4(text: str) -> str:
    """RDAP pads IPv4 octets (``074.125.000.000``) and some registries append ``/32``."""
    text = text.split("/", maxsplit=1)[0]
    if "." in text:
        return ".".join(str(int(part)) for part in text.split("."))
    return text


# ---------------------------------------------------------------- certificates and TLS


@dataclass
class Issued:
    """A certificate with its key, as PEM files a server can load."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path
    key_path: Path

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def issue(
    folder: Path,
    name: str,
    *,
    sans: list[x509.GeneralName],
    issuer: Issued | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    ca: bool = False,
) -> Issued:
    """A certificate for ``name``: signed by ``issuer``, or self-signed when there is none."""
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.replace("*", "wild")
    cert_path, key_path = folder / f"{stem}.crt", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Issued(cert, key, cert_path, key_path)


@dataclass
class TlsServer:
    """Serves a certificate chosen by SNI (``by_name``), ``default`` without SNI; counts handshakes.

    ``mode`` "silent" accepts and never answers (a handshake timeout); "plain" answers in plain text.
    """

    default: Issued | None = None
    by_name: dict[str, Issued] = field(default_factory=dict)
    mode: str = "tls"
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0

    def _context(self, issued: Issued) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(issued.cert_path, issued.key_path)
        return context

    def start(self) -> TlsServer:
        self._sock = socket.create_server((LOOPBACK, 0))
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        if self.mode == "tls":
            assert self.default is not None
            self._default = self._context(self.default)
            contexts = {name: self._context(issued) for name, issued in self.by_name.items()}

            def choose(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
                self.server_names.append(name)
                if name in contexts:
                    sslobj.context = contexts[name]

            self._default.sni_callback = choose  # type: ignore[assignment]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        held: list[socket.socket] = []
        while not self._stop.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.1)
            if not ready:
                continue
            conn, _ = self._sock.accept()
            self.connections += 1
            if self.mode == "silent":
                held.append(conn)
                continue
            if self.mode == "plain":
                conn.sendall(b"HTTP/1.0 400 not TLS\r\n\r\n")
                conn.close()
                continue
            threading.Thread(target=self._handshake, args=(conn,), daemon=True).start()
        for conn in held:
            conn.close()

    def _handshake(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self._default.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # wait until the client closes
        except (OSError, ssl.SSLError):
            pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


# ---------------------------------------------------------------- running jobs


def run_job(
    store: GraphStore,
    enricher: Enricher,
    request: JobRequest,
    *,
    limits: Limits | None = None,
    now: int | None = None,
) -> tuple[Plan, JobSummary, list[dict[str, Any]]]:
    """Plan and run a job the way the CLI does, with JSON log lines captured."""
    stream = io.StringIO()
    log = JobLog(enricher.job, as_json=True, stream=stream)
    run, the_plan = prepare(store, enricher, request, now=now or int(time.time()))
    job = Job(store, enricher, run, limits=limits or Limits(concurrency=4, retries=1, backoff=0.05), log=log)
    summary = job.run(the_plan.targets)
    refresh(store)
    return the_plan, summary, [json.loads(line) for line in stream.getvalue().splitlines()]


def outcomes(store: GraphStore, job: str) -> dict[str, dict[str, Any]]:
    """``Label:target`` -> the Enrichment record's fields."""
    rows = store.read(
        "MATCH (e:Enrichment) WHERE e.job = $job AND e.target IS NOT NULL "
        "RETURN e.target_kind AS kind, e.target AS target, e.outcome AS outcome, e.reason AS reason, "
        "e.attempts AS attempts, e.checked_at AS checked_at, e.run AS run",
        {"job": job},
    )
    return {f"{r['kind']}:{r['target']}": r for r in rows}


def edges(store: GraphStore, rel: str, src: str, dst: str) -> list[dict[str, Any]]:
    """Every ``rel`` edge from ``src`` to ``dst`` nodes with its properties."""
    return store.read(
        f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key AS src, b.key AS dst, e.count AS count, "
        "e.first_seen AS first_seen, e.last_seen AS last_seen, e.sources AS sources"
    )


def snapshot(store: GraphStore) -> dict[str, Any]:
    """Every node and edge with its properties (named from the schema), for comparing two graphs."""
    nodes = {}
    for label, spec in NODES.items():
        columns = ", ".join(f"n.{p.name} AS {p.name}" for p in spec.props)
        for row in store.read(f"MATCH (n:{label}) RETURN n.key AS key, {columns}"):
            nodes[(label, row.pop("key"))] = {k: v for k, v in row.items() if v is not None and v != []}
    rels = {}
    for rel, rel_spec in RELS.items():
        columns = ", ".join(f"e.{p.name} AS {p.name}" for p in rel_spec.props)
        for src, dst in rel_spec.pairs:
            for row in store.read(f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key AS src, b.key AS dst, {columns}"):
                key = (rel, src, row.pop("src"), dst, row.pop("dst"))
                rels[key] = {k: v for k, v in row.items() if v is not None and v != []}
    return {"nodes": nodes, "edges": rels}
