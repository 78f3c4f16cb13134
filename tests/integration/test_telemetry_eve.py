"""Suricata EVE JSON (suricata-eve-tenzir and a synthetic file with every event form) on both engines."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from support import load, rows

from graphpivot.canonical import canonical_domain, canonical_host, canonical_url
from graphpivot.store.base import GraphStore

CTU = "147.32.0.0/16"  # the CTU university network the CTU-13 capture was taken in


def eve_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


class Expected:
    def __init__(self, internal: list[str]) -> None:
        self.nets = [ipaddress.ip_network(n) for n in internal]
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, set[tuple[str, str]]] = defaultdict(set)

    def internal(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip.version == n.version and ip in n for n in self.nets)

    def edge(self, rel: str, src: tuple[str, str], dst: tuple[str, str]) -> None:
        for label, key in (src, dst):
            self.nodes[label].add(key)
            if label == "Domain":
                parts = key.split(".")
                for i in range(1, len(parts) - 1):
                    self.nodes["Domain"].add(".".join(parts[i:]))
                    self.edges["SUBDOMAIN_OF"].add((".".join(parts[i - 1 :]), ".".join(parts[i:])))
        self.edges[rel].add((src[1], dst[1]))

    def event(self, e: dict[str, Any]) -> None:
        kind = e["event_type"]
        src, dst = e["src_ip"], e["dest_ip"]
        if kind in ("alert", "flow", "netflow") and self.internal(src) != self.internal(dst):
            host, other = (src, dst) if self.internal(src) else (dst, src)
            self.edge("CONNECTED_TO", ("Host", host), ("IP", other))
        if kind == "dns" and e["dns"]["type"] == "query" and self.internal(src):
            self.edge("QUERIED", ("Host", src), ("Domain", canonical_domain(e["dns"]["rrname"])))
        if kind == "dns" and e["dns"]["type"] == "answer":
            owner = canonical_domain(e["dns"]["rrname"])
            if self.internal(src) and e["dns"].get("rcode"):
                self.edge("QUERIED", ("Host", src), ("Domain", owner))
            for a in e["dns"].get("answers", []):
                if a["rrtype"] in ("MX", "NS", "CNAME"):
                    self.edge(a["rrtype"], ("Domain", canonical_domain(a["rrname"])), ("Domain", a["rdata"]))
                elif a["rrtype"] in ("A", "AAAA"):
                    self.edge("RESOLVES_TO", ("Domain", canonical_domain(a["rrname"])), ("IP", a["rdata"]))
        if kind == "http" and self.internal(src):
            url = canonical_url(f"http://{e['http']['hostname']}{e['http']['url']}")
            label, key = canonical_host(urlsplit(url).hostname or "")
            self.edge("REQUESTED", ("Host", src), ("URL", url))
            self.edge("ON_HOST", ("URL", url), (label, key))


def assert_graph(store: GraphStore, g: Expected) -> None:
    nodes, edges = store.counts()
    assert {k: v for k, v in nodes.items() if v} == {k: len(v) for k, v in g.nodes.items()}
    assert {k: v for k, v in edges.items() if v} == {k: len(v) for k, v in g.edges.items()}
    assert {r["k"] for r in rows(store, "MATCH (h:Host) RETURN h.key AS k")} == g.nodes["Host"]
    assert {r["k"] for r in rows(store, "MATCH (d:Domain) RETURN d.key AS k")} == g.nodes["Domain"]


@pytest.mark.parametrize("name", ["eve.ctu13.json", "rrdata-eve.json"])
def test_tenzir_samples_load_with_independent_counts(store: GraphStore, data_dir: Path, name: str) -> None:
    path = data_dir / "suricata-eve-tenzir" / name
    internal = [*DEFAULT_INTERNAL, CTU]
    summary = load(store, read_eve([path], network=Network(internal)), source="suricata")
    g = Expected(internal)
    events = eve_events(path)
    for e in events:
        g.event(e)
    assert_graph(store, g)
    assert summary.rejected == 0
    other = {e["event_type"] for e in events} - {"alert", "dns", "http", "flow", "netflow", "tls"}
    for kind in other:
        assert summary.skipped[f"'{kind}' events"] > 0, summary.skipped


def test_ctu_alert_signature_and_times(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "suricata-eve-tenzir" / "eve.ctu13.json"
    load(store, read_eve([path], network=Network([*DEFAULT_INTERNAL, CTU])), source="suricata")
    alert = next(e for e in eve_events(path) if e["event_type"] == "alert")
    (edge,) = rows(
        store,
        "MATCH (h:Host {key: $h})-[c:CONNECTED_TO]->(ip:IP {key: $ip}) RETURN c.signatures AS sig, c.count AS n, "
        "c.first_seen AS f, c.ports AS ports",
        h=alert["src_ip"],
        ip=alert["dest_ip"],
    )
    assert edge == {"sig": [alert["alert"]["signature"]], "n": 0, "f": epoch(alert["timestamp"]), "ports": None}


def test_default_ranges_leave_the_public_ctu_host_external(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "suricata-eve-tenzir" / "eve.ctu13.json"
    summary = load(store, read_eve([path], network=Network()), source="suricata")
    nodes, edges = store.counts()
    assert nodes["Host"] == 0 and edges["QUERIED"] == 0 and edges["REQUESTED"] == 0
    assert summary.skipped["queries from external clients"] + summary.skipped_parts["queries from external clients"]


def _cert_der() -> bytes:
    return b"0\x82\x01\x0a" + bytes(range(256))  # opaque bytes stand in for a DER certificate


SYNTHETIC = [
    {
        "event_type": "dns",
        "src_ip": "10.1.1.5",
        "src_port": 5000,
        "dest_ip": "10.1.1.1",
        "dest_port": 53,
        "dns": {"type": "query", "rrname": "c2.evil.example.com", "rrtype": "A"},
    },
    # v1: one answer record per event, sent from the server's side
    {
        "event_type": "dns",
        "src_ip": "10.1.1.1",
        "src_port": 53,
        "dest_ip": "10.1.1.5",
        "dest_port": 5000,
        "dns": {
            "type": "answer",
            "rrname": "c2.evil.example.com",
            "rrtype": "CNAME",
            "rdata": "edge.cdn.example.net",
            "rcode": "NOERROR",
        },
    },
    {
        "event_type": "dns",
        "src_ip": "10.1.1.1",
        "src_port": 53,
        "dest_ip": "10.1.1.5",
        "dest_port": 5000,
        "dns": {
            "type": "answer",
            "rrname": "edge.cdn.example.net",
            "rrtype": "A",
            "rdata": "198.51.100.7",
            "rcode": "NOERROR",
        },
    },
    # v2 grouped only: chain from the question
    {
        "event_type": "dns",
        "src_ip": "10.1.1.6",
        "src_port": 5001,
        "dest_ip": "10.1.1.1",
        "dest_port": 53,
        "dns": {
            "version": 2,
            "type": "answer",
            "rrname": "www.shop.example.org",
            "rrtype": "A",
            "rcode": "NOERROR",
            "grouped": {"CNAME": ["shop.cdn.example.net"], "A": ["203.0.113.9"]},
        },
    },
    # v3: queries list
    {
        "event_type": "dns",
        "src_ip": "10.1.1.6",
        "src_port": 5002,
        "dest_ip": "10.1.1.1",
        "dest_port": 53,
        "dns": {"version": 3, "type": "request", "queries": [{"rrname": "api.example.io", "rrtype": "AAAA"}]},
    },
    {
        "event_type": "tls",
        "src_ip": "10.1.1.5",
        "src_port": 50000,
        "dest_ip": "198.51.100.7",
        "dest_port": 443,
        "tls": {
            "sni": "c2.evil.example.com",
            "subject": "CN=c2.evil.example.com",
            "issuerdn": "CN=c2.evil.example.com",
            "serial": "01",
            "fingerprint": "aa:" * 19 + "aa",
            "notbefore": "2024-01-01T00:00:00",
            "notafter": "2025-01-01T00:00:00",
            "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865"},
            "ja3s": {"hash": "0123456789abcdef0123456789abcdef"},
            "ja4": "t13d1516h2_8daaf6152771_e5627efa2ab1",
            "certificate": base64.b64encode(_cert_der()).decode(),
        },
    },
    {
        "event_type": "tls",
        "src_ip": "10.1.1.6",
        "src_port": 50001,
        "dest_ip": "203.0.113.9",
        "dest_port": 8443,
        "tls": {"sni": "www.shop.example.org", "subject": "CN=shop", "issuerdn": "CN=CA", "fingerprint": "bb" * 20},
    },
    {
        "event_type": "flow",
        "src_ip": "10.1.1.5",
        "src_port": 50000,
        "dest_ip": "198.51.100.7",
        "dest_port": 443,
        "proto": "TCP",
        "app_proto": "tls",
        "flow": {"bytes_toserver": 1000, "bytes_toclient": 5000, "start": "2024-05-01T10:00:00.000000+0000"},
    },
    {
        "event_type": "flow",
        "src_ip": "198.51.100.99",
        "src_port": 40000,
        "dest_ip": "10.1.1.5",
        "dest_port": 22,
        "proto": "TCP",
        "flow": {"bytes_toserver": 300, "bytes_toclient": 700},
    },
    {
        "event_type": "netflow",
        "src_ip": "10.1.1.6",
        "src_port": 50002,
        "dest_ip": "203.0.113.9",
        "dest_port": 8443,
        "proto": "TCP",
        "netflow": {"bytes": 111},
    },
    {
        "event_type": "netflow",
        "src_ip": "203.0.113.9",
        "src_port": 8443,
        "dest_ip": "10.1.1.6",
        "dest_port": 50002,
        "proto": "TCP",
        "netflow": {"bytes": 999},
    },
    {
        "event_type": "alert",
        "src_ip": "198.51.100.7",
        "src_port": 80,
        "dest_ip": "10.1.1.5",
        "dest_port": 50010,
        "proto": "TCP",
        "alert": {"signature": "ET MALWARE test beacon", "signature_id": 1},
        "http": {"hostname": "c2.evil.example.com", "url": "/gate.php", "http_method": "POST"},
    },
    {"event_type": "stats", "stats": {"uptime": 1}},
    "this is not json",
    {"src_ip": "10.1.1.5"},
]


def test_synthetic_events_cover_every_form(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "eve.json"
    lines = []
    for i, event in enumerate(SYNTHETIC):
        if isinstance(event, str):
            lines.append(event)
        else:
            stamp = {"timestamp": f"2024-05-01T10:00:{i:02d}.000000+0000"} if "event_type" in event else {}
            lines.append(json.dumps({**stamp, **event}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = load(store, read_eve([path], network=Network()), source="suricata")
    assert [(r.line, r.reason.split(":")[0]) for r in summary.rejects] == [(14, "invalid JSON"), (15, "no event_type")]
    assert summary.skipped["'stats' events"] > 0

    def pairs(rel: str) -> set[tuple[str, str]]:
        return {(r["a"], r["b"]) for r in rows(store, f"MATCH (a)-[e:{rel}]->(b) RETURN a.key AS a, b.key AS b")}

    assert pairs("QUERIED") == {
        ("10.1.1.5", "c2.evil.example.com"),
        ("10.1.1.6", "www.shop.example.org"),
        ("10.1.1.6", "api.example.io"),
    }
    assert pairs("CNAME") == {
        ("c2.evil.example.com", "edge.cdn.example.net"),
        ("www.shop.example.org", "shop.cdn.example.net"),
    }
    assert pairs("RESOLVES_TO") == {("edge.cdn.example.net", "198.51.100.7"), ("shop.cdn.example.net", "203.0.113.9")}
    sha256 = hashlib.sha256(_cert_der()).hexdigest()
    certs = rows(
        store,
        "MATCH (c:Certificate) RETURN c.key AS k, c.key_type AS t, c.sha1 AS sha1, "
        "c.self_signed AS self, c.not_after AS na ORDER BY k",
    )
    assert certs == sorted(
        [
            {
                "k": sha256,
                "t": "sha256",
                "sha1": hashlib.sha1(_cert_der()).hexdigest(),
                "self": True,
                "na": epoch("2025-01-01T00:00:00+00:00"),
            },
            {"k": "bb" * 20, "t": "sha1", "sha1": "bb" * 20, "self": False, "na": None},
        ],
        key=lambda r: r["k"],
    )
    assert pairs("SERVES_CERT") == {
        ("198.51.100.7", sha256),
        ("c2.evil.example.com", sha256),
        ("203.0.113.9", "bb" * 20),
        ("www.shop.example.org", "bb" * 20),
    }
    assert pairs("USED_CLIENT") == {
        ("10.1.1.5", "ja3:e7d705a3286e19ea42f587b344ee6865"),
        ("10.1.1.5", "ja4:t13d1516h2_8daaf6152771_e5627efa2ab1"),
    }
    assert pairs("HAS_FINGERPRINT") == {
        ("198.51.100.7", "ja3s:0123456789abcdef0123456789abcdef"),
        ("c2.evil.example.com", "ja3s:0123456789abcdef0123456789abcdef"),
    }
    flows = rows(
        store,
        "MATCH (h:Host)-[c:CONNECTED_TO]->(p) RETURN h.key AS host, p.key AS peer, c.count AS n, "
        "c.bytes_out AS o, c.bytes_in AS i, c.directions AS d, c.signatures AS s, c.ports AS ports "
        "ORDER BY host, peer",
    )
    assert [tuple(r.values()) for r in flows] == [
        ("10.1.1.5", "198.51.100.7", 1, 1000, 5000, ["outbound"], ["ET MALWARE test beacon"], [443]),
        ("10.1.1.5", "198.51.100.99", 1, 700, 300, ["inbound"], None, [22]),
        ("10.1.1.5", "c2.evil.example.com", 1, None, None, ["outbound"], None, [443]),
        ("10.1.1.6", "203.0.113.9", 1, 111, 999, None, None, [8443]),
        ("10.1.1.6", "www.shop.example.org", 1, None, None, ["outbound"], None, [8443]),
    ]
    (alerted,) = rows(store, "MATCH (:Host)-[r:REQUESTED]->(u:URL) RETURN u.key AS u, r.count AS n, r.signatures AS s")
    assert alerted == {"u": "http://c2.evil.example.com/gate.php", "n": 0, "s": ["ET MALWARE test beacon"]}
