"""A small seeded graph with hubs, noise and IP reuse, and a plain-Python model of it.

The same tuples feed both the loaders' record stream (for the engines) and the
:class:`Model` (for expected answers), which knows nothing of graphpivot's
Cypher: it recomputes degrees, noise flags (from the shipped noise list, parsed
here with :mod:`csv` and :mod:`ipaddress`), node times and the subdomain edges
the ingest path adds, all by the documented rules.
"""

from __future__ import annotations

import csv
import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphpivot.model import Edge, Record, entity

T0 = 1_700_000_000
DAY = 86_400
SOURCE = "seed"
FOREVER = 253402300799
REPO = Path(__file__).resolve().parents[1]
NOISE_CSV = REPO / "graphpivot" / "data" / "noise.csv"

CERT_EVIL = "a" * 64  # evil.com's own certificate, also on a bare IP, SAN names
CERT_R3 = "b" * 64  # CN R3: a free-CA certificate, on the noise list
CERT_OLD = "d" * 64  # expired long before T0
JARM = "jarm:" + "2ad2ad0002ad2ad00042d42d000000" + "0" * 32
JA3S = "ja3s:" + "e35df3e00ca4ef31d42b34bebaa2f86e"
JA3 = "ja3:" + "72a589da586844d7f0818ce684948eea"


def _t(day: float) -> int:
    return T0 + int(day * DAY)


# (type, src label, src key, dst label, dst key, first day, last day)
EDGES: list[tuple[str, str, str, str, str, float, float]] = [
    # An IP the adversary's domains share while live, one later tenant (reuse) and one just within tolerance.
    ("RESOLVES_TO", "Domain", "evil.com", "IP", "198.51.100.1", 0, 10),
    ("RESOLVES_TO", "Domain", "evil-cdn.net", "IP", "198.51.100.1", 5, 12),
    ("RESOLVES_TO", "Domain", "edge.org", "IP", "198.51.100.1", 10.5, 11),
    ("RESOLVES_TO", "Domain", "later.org", "IP", "198.51.100.1", 40, 50),
    # A shared-hosting hub: nine domains.
    ("RESOLVES_TO", "Domain", "evil.com", "IP", "198.51.100.50", 0, 30),
    *[("RESOLVES_TO", "Domain", f"shop{n}.example", "IP", "198.51.100.50", 0, 60) for n in range(8)],
    # A Cloudflare address (noise by range) and one announced by Cloudflare's ASN (noise by graph edges).
    ("RESOLVES_TO", "Domain", "evil.com", "IP", "104.16.0.10", 0, 30),
    ("RESOLVES_TO", "Domain", "cdnuser1.com", "IP", "104.16.0.10", 0, 30),
    ("RESOLVES_TO", "Domain", "evil.com", "IP", "192.0.2.10", 0, 30),
    ("RESOLVES_TO", "Domain", "asnuser.com", "IP", "192.0.2.10", 0, 30),
    ("RESOLVES_TO", "Domain", "login.evil.com", "IP", "198.51.100.2", 0, 30),
    ("RESOLVES_TO", "Domain", "neighbor.com", "IP", "198.51.100.77", 0, 30),
    # A team server behind evil-cdn.net, shared with a second-stage domain.
    ("RESOLVES_TO", "Domain", "evil-cdn.net", "IP", "203.0.113.9", 6, 12),
    ("RESOLVES_TO", "Domain", "stage2.net", "IP", "203.0.113.9", 8, 12),
    # Name servers: the adversary's own, and a registrar default (noise).
    ("NS", "Domain", "evil.com", "Domain", "ns1.evil-dns.net", 0, 30),
    ("NS", "Domain", "other.net", "Domain", "ns1.evil-dns.net", 0, 30),
    ("NS", "Domain", "evil.com", "Domain", "ns41.domaincontrol.com", 0, 30),
    ("NS", "Domain", "parked.com", "Domain", "ns41.domaincontrol.com", 0, 30),
    # Registrant e-mails: the actor's own, and a privacy service's (noise).
    ("REGISTRANT", "Domain", "evil.com", "Email", "bad@actor-mail.com", 0, 30),
    ("REGISTRANT", "Domain", "other2.com", "Email", "bad@actor-mail.com", 0, 20),
    ("SOA_EMAIL", "Domain", "other2.com", "Email", "bad@actor-mail.com", 5, 30),
    ("REGISTRANT", "Domain", "evil.com", "Email", "contact@privacyprotect.org", 0, 30),
    ("REGISTRANT", "Domain", "innocent.com", "Email", "contact@privacyprotect.org", 0, 30),
    # Certificates.
    ("SERVES_CERT", "Domain", "evil.com", "Certificate", CERT_EVIL, 0, 30),
    ("SERVES_CERT", "IP", "203.0.113.5", "Certificate", CERT_EVIL, 0, 30),
    ("PTR", "IP", "203.0.113.5", "Domain", "srv5.hosting.example", 0, 30),
    ("SAN", "Certificate", CERT_EVIL, "Domain", "evil.com", 0, 30),
    ("SAN", "Certificate", CERT_EVIL, "Domain", "www.evil.com", 0, 30),
    ("SAN", "Certificate", CERT_EVIL, "Domain", "evil-login.com", 0, 30),
    ("SERVES_CERT", "Domain", "evil.com", "Certificate", CERT_R3, 0, 30),
    ("SERVES_CERT", "Domain", "benign.com", "Certificate", CERT_R3, 0, 30),
    ("SERVES_CERT", "Domain", "evil.com", "Certificate", CERT_OLD, -200, -100),
    ("SERVES_CERT", "Domain", "old.com", "Certificate", CERT_OLD, -200, -100),
    # Server fingerprints, and a client one that server pivots must not cross.
    ("HAS_FINGERPRINT", "IP", "198.51.100.1", "Fingerprint", JARM, 0, 30),
    ("HAS_FINGERPRINT", "IP", "203.0.113.9", "Fingerprint", JARM, 0, 30),
    ("HAS_FINGERPRINT", "Domain", "evil.com", "Fingerprint", JA3S, 0, 30),
    ("HAS_FINGERPRINT", "Domain", "evil-cdn.net", "Fingerprint", JA3S, 0, 30),
    ("HAS_FINGERPRINT", "Domain", "evil.com", "Fingerprint", JA3, 0, 30),
    ("HAS_FINGERPRINT", "Domain", "other3.com", "Fingerprint", JA3, 0, 30),
    # Netblocks and ASNs.
    *[("IN_NETBLOCK", "IP", ip, "Netblock", "198.51.100.0/24", 0, 30)
      for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.50", "198.51.100.77")],
    ("ANNOUNCED_BY", "Netblock", "198.51.100.0/24", "ASN", "64500", 0, 30),
    ("IN_NETBLOCK", "IP", "192.0.2.10", "Netblock", "192.0.2.0/24", 0, 30),
    ("ANNOUNCED_BY", "Netblock", "192.0.2.0/24", "ASN", "13335", 0, 30),
    # Internal telemetry.
    ("QUERIED", "Host", "10.0.0.5", "Domain", "evil.com", 1, 2),
    ("QUERIED", "Host", "10.0.0.5", "Domain", "evil-cdn.net", 6, 7),
    ("QUERIED", "Host", "10.0.0.6", "Domain", "later.org", 41, 42),
    ("USED_CLIENT", "Host", "10.0.0.5", "Fingerprint", JA3, 1, 2),
]
# (label, key, properties) of nodes with more than a key.
NODES: list[tuple[str, str, dict[str, Any]]] = [
    ("Domain", "evil.com", {"indicator": True}),
    ("Domain", "evil-cdn.net", {"indicator": True}),
    ("IP", "203.0.113.9", {"indicator": True}),
    ("Domain", "mail.evil.com", {}),
    ("Certificate", CERT_EVIL, {"subject_cn": "evil.com", "not_before": _t(-10), "not_after": _t(80)}),
    ("Certificate", CERT_R3, {"subject_cn": "R3", "not_before": _t(-10), "not_after": _t(80)}),
    ("Certificate", CERT_OLD, {"subject_cn": "old.com", "not_before": _t(-300), "not_after": _t(-100)}),
]
QUERY_COUNTS = {("10.0.0.5", "evil.com"): 12, ("10.0.0.5", "evil-cdn.net"): 1, ("10.0.0.6", "later.org"): 3}


def records() -> Iterator[Record]:
    """The seed graph as loader records."""
    for label, key, props in NODES:
        yield entity(label, key, **props)
    for rel, src_label, src, dst_label, dst, first, last in EDGES:
        props: dict[str, Any] = {"first_seen": _t(first), "last_seen": _t(last)}
        if rel == "QUERIED":
            props["count"] = QUERY_COUNTS[(src, dst)]
        yield Edge(rel, src_label, src, dst_label, dst, props)


@dataclass(frozen=True)
class Link:
    """One edge of the model."""

    type: str
    src: str
    dst: str
    first: int
    last: int
    count: int = 1

    def other(self, key: str) -> str:
        return self.dst if key == self.src else self.src

    def within(self, since: int, until: int) -> bool:
        return self.last >= since and self.first <= until


def overlap(a: Link, b: Link, tolerance: int) -> bool:
    return b.first <= a.last + tolerance and a.first <= b.last + tolerance


def registered(name: str) -> str:
    """Every name in the seed graph sits under a two-label registered domain."""
    return ".".join(name.split(".")[-2:])


class Model:
    """The seed graph in plain Python, with degrees, noise and times by the documented rules."""

    def __init__(self) -> None:
        self.label: dict[str, str] = {}
        self.props: dict[str, dict[str, Any]] = defaultdict(dict)
        self.links: list[Link] = []
        for label, key, props in NODES:
            self.label[key] = label
            self.props[key].update(props)
        for rel, src_label, src, dst_label, dst, first, last in EDGES:
            self.label.setdefault(src, src_label)
            self.label.setdefault(dst, dst_label)
            self.links.append(Link(rel, src, dst, _t(first), _t(last), QUERY_COUNTS.get((src, dst), 1)))
        for name in [k for k, v in list(self.label.items()) if v == "Domain"]:
            self._parents(name)
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        for link in self.links:
            for key in (link.src, link.dst):
                self.first[key] = min(self.first.get(key, link.first), link.first)
                self.last[key] = max(self.last.get(key, link.last), link.last)
        self.degree = self._degrees()
        self.noise_reason = self._noise()

    def _parents(self, name: str) -> None:
        """The ingest path links a name with three or more labels to its parent, at load time (T0)."""
        labels = name.split(".")
        if len(labels) <= 2:
            return
        parent = ".".join(labels[1:])
        if any(link.type == "SUBDOMAIN_OF" and link.src == name for link in self.links):
            return
        self.links.append(Link("SUBDOMAIN_OF", name, parent, T0, T0))
        if parent not in self.label:
            self.label[parent] = "Domain"
        self._parents(parent)

    # ------------------------------------------------------------ edges
    def out(self, key: str, *types: str) -> list[Link]:
        return [link for link in self.links if link.src == key and link.type in types]

    def inc(self, key: str, *types: str) -> list[Link]:
        return [link for link in self.links if link.dst == key and link.type in types]

    def both(self, key: str, *types: str) -> list[Link]:
        return self.out(key, *types) + self.inc(key, *types)

    # ------------------------------------------------------------ derived properties
    def _degrees(self) -> dict[str, int]:
        """How many domains use each attribute (domains or IPs for certificates and fingerprints)."""
        deg: dict[str, int] = {}
        for key, label in self.label.items():
            if label == "IP":
                deg[key] = len({link.src for link in self.inc(key, "RESOLVES_TO")})
            elif label == "Domain":
                deg[key] = len({link.src for link in self.inc(key, "NS")})
            elif label == "Certificate":
                deg[key] = len({link.other(key) for link in self.both(key, "SERVES_CERT", "SAN")})
            elif label == "Email":
                deg[key] = len({link.src for link in self.inc(key, "REGISTRANT", "SOA_EMAIL")})
            elif label == "Fingerprint":
                deg[key] = len({link.src for link in self.inc(key, "HAS_FINGERPRINT")})
            elif label == "Netblock":
                ips = {link.src for link in self.inc(key, "IN_NETBLOCK")}
                deg[key] = len({link.src for ip in ips for link in self.inc(ip, "RESOLVES_TO")})
            elif label == "ASN":
                blocks = {link.src for link in self.inc(key, "ANNOUNCED_BY")}
                ips = {link.src for b in blocks for link in self.inc(b, "IN_NETBLOCK")}
                deg[key] = len({link.src for ip in ips for link in self.inc(ip, "RESOLVES_TO")})
        return deg

    def _noise(self) -> dict[str, str]:
        """Which seed-graph nodes the shipped noise list covers, and why (one rule each, by construction)."""
        rules = []
        with NOISE_CSV.open(encoding="utf-8") as handle:
            for row in csv.DictReader(line for line in handle if not line.startswith("#")):
                rules.append((row["kind"], row["value"], f"{row['category']}: {row['name']}"))
        reasons: dict[str, str] = {}
        for key, label in self.label.items():
            for kind, value, reason in rules:
                if self._covers(key, label, kind, value):
                    reasons[key] = reason
        return reasons

    def _covers(self, key: str, label: str, kind: str, value: str) -> bool:
        if kind == "domain" and label == "Domain":
            return key == value or key.endswith("." + value)
        if kind == "domain" and label == "Email":
            return key.endswith("@" + value) or key.endswith("." + value)
        if kind in ("email", "ip") and label == {"email": "Email", "ip": "IP"}[kind]:
            return key == value
        if kind == "cert_cn" and label == "Certificate":
            return self.props[key].get("subject_cn") == value
        if kind == "cidr" and label in ("IP", "Netblock"):
            net = ipaddress.ip_network(key, strict=False)
            rule = ipaddress.ip_network(value)
            return net.version == rule.version and net.subnet_of(rule)  # type: ignore[arg-type]
        if kind == "asn":
            blocks = {key} if label == "Netblock" else {link.dst for link in self.out(key, "IN_NETBLOCK")}
            asns = {link.dst for b in blocks for link in self.out(b, "ANNOUNCED_BY")}
            return (label == "ASN" and key == value) or (label in ("IP", "Netblock") and value in asns)
        return False

    # ------------------------------------------------------------ per node
    def deg(self, key: str) -> int:
        return self.degree.get(key, 0)

    def noise(self, key: str) -> bool:
        return key in self.noise_reason

    def indicator(self, key: str) -> bool:
        return bool(self.props[key].get("indicator", False))

    def passes(self, key: str, max_fanout: int, include_noise: bool) -> bool:
        """Not a hub, and not noise unless noise is included."""
        return self.deg(key) <= max_fanout and (include_noise or not self.noise(key))
