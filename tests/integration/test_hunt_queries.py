"""Every exposure, web-service and blind-spot hunt on a small seeded graph: both engines, same rows,
and the rows an independent plain-Python reading of the same graph predicts."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from support import load

from graphpivot.catalog import FOREVER, Catalog
from graphpivot.model import Edge, Record, entity
from graphpivot.store.base import GraphStore

T0 = 1_760_000_000
DAY = 86400
WINDOWS = {"all": (0, FOREVER), "narrow": (T0 + 10 * DAY, T0 + 20 * DAY)}


@dataclass
class World:
    """A random but seeded enterprise: every edge once, so the graph holds exactly these values."""

    rnd: random.Random
    resolves: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    queried: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    requested: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    connected: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    used_client: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    on_host: dict[str, tuple[str, str]] = field(default_factory=dict)
    operated_by: dict[str, str] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    has_fp: set[tuple[str, str]] = field(default_factory=set)
    fp_threats: dict[str, set[str]] = field(default_factory=dict)
    indicators: set[tuple[str, str]] = field(default_factory=set)
    mentions: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)
    threat_techniques: dict[str, list[str]] = field(default_factory=dict)  # ATT&CK ids the intel says a threat uses
    # TLS: sessions known by server name (SNI), certificates and server fingerprints servers presented.
    sni: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    serves: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)  # (label, server, cert)
    server_fp: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)  # (label, server, fp)
    listed: list[tuple[str, str]] = field(default_factory=list)  # nodes with real names the warninglists cover

    def span(self) -> tuple[int, int]:
        first = T0 + self.rnd.randint(0, 28) * DAY + self.rnd.randint(0, 3600)
        return first, first + self.rnd.randint(0, 6) * DAY

    def edge_props(self, **extra: Any) -> dict[str, Any]:
        first, last = self.span()
        return {"first_seen": first, "last_seen": last, "count": self.rnd.randint(1, 50), **extra}


# Ports and protocols of the seeded flows (one per address, by its last byte; the last has neither).
FLOW_KINDS: list[dict[str, Any]] = [
    {"ports": [443], "protocols": ["tcp", "ssl"]}, {"ports": [4444], "protocols": ["tcp"]},
    {"ports": [8081], "protocols": ["tcp", "http"]}, {},
]


def build_world(seed: int = 7) -> World:
    rnd = random.Random(seed)
    w = World(rnd)
    bases = [f"b{i}.example" for i in range(6)]
    domains = list(bases)
    for base in bases:
        for j in range(3):
            child = f"w{j}.{base}"
            domains += [child, f"x.{child}"]
    domains += ["y.x.w0.b0.example", "z.y.x.w0.b0.example", "paste.example", "share.example", "dl.share.example",
                "cloud.example"]
    ips = [f"198.51.100.{n}" for n in range(1, 9)]
    hosts = [f"10.1.0.{n}" for n in range(1, 13)]
    w.services = {
        "paste": {"category": "paste", "abuse": ["c2"], "attack_ids": ["T1102.001"]},
        "share": {"category": "file-share", "abuse": ["exfil"], "attack_ids": ["T1567.002"]},
        "cloud": {"category": "cloud-storage", "abuse": [], "attack_ids": []},
    }
    w.operated_by = {"paste.example": "paste", "share.example": "share", "dl.share.example": "share",
                     "cloud.example": "cloud"}
    for domain in domains:
        for ip in rnd.sample(ips, rnd.randint(0, 2)):
            w.resolves[(domain, ip)] = w.span()
    urls = []
    for domain in domains:
        for path in rnd.sample(["/", "/raw/ab12", "/api/webhooks/1/tok", "/gate.php", "/upload", "/dl/f.zip"], 2):
            urls.append(f"http://{domain}{path}")
            w.on_host[urls[-1]] = ("Domain", domain)
    for ip in ips[:3]:
        urls.append(f"http://{ip}/gate.php")
        w.on_host[urls[-1]] = ("IP", ip)
    fps = [f"ja3:{n:032x}" for n in (11, 22, 33, 44)]
    w.fp_threats = {fps[0]: {"cobalt strike"}, fps[1]: {"sliver", "cobalt strike"}}
    for domain in rnd.sample(domains, 5):
        w.has_fp.add((domain, rnd.choice(fps)))
    for host in hosts:
        for domain in rnd.sample(domains, 12):
            w.queried[(host, domain)] = w.edge_props(sources=[rnd.choice(["zeek", "bind"])])
        for url in rnd.sample(urls, 8):
            big = rnd.random() < 0.3
            w.requested[(host, url)] = w.edge_props(
                sources=["proxy"], bytes_out=rnd.randint(10_000, 90_000) if big else rnd.randint(0, 900),
                methods=[rnd.choice(["GET", "POST"])],
            )
        for ip in rnd.sample(ips, 3):
            w.connected[(host, ip)] = w.edge_props(sources=["flows"], bytes_out=rnd.randint(0, 90_000),
                                                   **FLOW_KINDS[int(ip.rsplit(".", 1)[1]) % len(FLOW_KINDS)])
        for fp in rnd.sample(fps, rnd.randint(0, 2)):
            w.used_client[(host, fp)] = w.edge_props(sources=["zeek-ssl"])
    # Uploads to the file-sharing service, over HTTP and over flows to the address it resolves to.
    upload = "http://share.example/upload"
    w.on_host[upload] = ("Domain", "share.example")
    for domain in ("paste.example", "share.example", "dl.share.example"):
        w.resolves[(domain, ips[5])] = (T0, T0 + 30 * DAY)
    for n, host in enumerate(hosts[:6]):
        w.connected[(host, ips[5])] = w.edge_props(sources=["flows"], bytes_out=60_000 + n)
        if n < 4:
            w.requested[(host, upload)] = w.edge_props(sources=["proxy"], bytes_out=70_000 * n, methods=["POST"])
        if n % 2 == 0:
            w.queried[(host, "share.example")] = {"first_seen": T0, "last_seen": T0 + 30 * DAY, "count": 3,
                                                  "sources": ["zeek"]}
    w.reports = {
        "intel:malware": {"source": "feed-a", "tags": ["malware"], "techniques": ["T1071.001", "T1566.001"]},
        "intel:services": {"source": "feed-b", "tags": ["suspicious"]},
    }
    w.about = {"intel:malware": "ursnif"}
    w.threat_techniques = {"ursnif": ["T1566.001", "T1204.002"], "cobalt strike": ["T1071.001", "T1573.002"]}
    picks = [("Domain", "b1.example"), ("Domain", "w0.b0.example"), ("Domain", "paste.example"),
             ("Domain", "b3.example"), ("IP", ips[0]), ("IP", ips[2]), ("URL", urls[3]), ("URL", urls[-1]),
             ("URL", urls[10]), ("Fingerprint", fps[0]), ("Fingerprint", fps[2]), ("Email", "a@b0.example")]
    for n, (label, key) in enumerate(picks):
        w.indicators.add((label, key))
        report = "intel:services" if n % 4 == 2 else "intel:malware"
        props: dict[str, Any] = {"confidence": 50 + n}
        if n % 3 == 0:
            props |= {"valid_from": T0 + 5 * DAY, "valid_until": T0 + 25 * DAY}
        if n % 5 == 1:
            props["context"] = ["category: suspicious"]
        if n % 6 == 5:
            props["to_ids"] = False  # MISP: context, not an indicator
        w.mentions.append((report, label, key, props))
    add_tls(w, domains, ips, hosts, urls)
    return w


def add_tls(w: World, domains: list[str], ips: list[str], hosts: list[str], urls: list[str]) -> None:
    """SNI sessions, certificates and server fingerprints (drawn after everything else: the rest stays as it was)."""
    rnd = w.rnd
    certs = [f"{n:064x}" for n in (0xC1, 0xC2, 0xC3)]
    server_fps = ["ja3s:" + f"{0x5A:032x}", "ja3s:" + f"{0x5B:032x}", "jarm:" + "2a" * 31]
    sites = sorted({key for label, key in w.on_host.values() if label == "Domain"})
    for host in hosts:
        for domain in rnd.sample(sites, 4):
            w.sni[(host, domain)] = w.edge_props(sources=["zeek-ssl"], bytes_out=rnd.randint(0, 9000))
    for cert in certs:
        for ip in rnd.sample(ips, 2):
            w.serves[("IP", ip, cert)] = w.span()
        for domain in rnd.sample(sites, 2):
            w.serves[("Domain", domain, cert)] = w.span()
    for fp in server_fps:
        for ip in rnd.sample(ips, 2):
            w.server_fp[("IP", ip, fp)] = w.span()
        for domain in rnd.sample(sites, 1):
            w.server_fp[("Domain", domain, fp)] = w.span()
    for label, key in (("Certificate", certs[0]), ("Certificate", certs[2]), ("Fingerprint", server_fps[0]),
                       ("Fingerprint", server_fps[2])):
        w.indicators.add((label, key))
        w.mentions.append(("intel:malware", label, key, {"confidence": 70}))
    w.listed = [("Domain", "docs.google.com"), ("IP", "8.8.8.8")]


def records(w: World) -> Iterator[Record]:
    for slug, props in w.services.items():
        yield entity("WebService", slug, category=props["category"], abuse=props["abuse"],
                     attack_ids=props["attack_ids"])
    for domain, slug in w.operated_by.items():
        yield Edge("OPERATED_BY", "Domain", domain, "WebService", slug, {"first_seen": T0})
    for (domain, ip), (first, last) in w.resolves.items():
        yield Edge("RESOLVES_TO", "Domain", domain, "IP", ip, {"first_seen": first, "last_seen": last})
    for url, (label, key) in w.on_host.items():
        yield Edge("ON_HOST", "URL", url, label, key, {"first_seen": T0})
    for domain, fp in w.has_fp:
        yield Edge("HAS_FINGERPRINT", "Domain", domain, "Fingerprint", fp, {"first_seen": T0})
    for threat, techniques in w.threat_techniques.items():
        yield entity("Threat", threat, techniques=techniques)
    for fp, threats in w.fp_threats.items():
        for threat in threats:
            yield Edge("ATTRIBUTED_TO", "Fingerprint", fp, "Threat", threat, {"first_seen": T0})
    for rel, src_label, dst_label, edges in (
        ("QUERIED", "Host", "Domain", w.queried),
        ("REQUESTED", "Host", "URL", w.requested),
        ("CONNECTED_TO", "Host", "IP", w.connected),
        ("USED_CLIENT", "Host", "Fingerprint", w.used_client),
    ):
        for (src, dst), props in edges.items():
            yield Edge(rel, src_label, src, dst_label, dst, dict(props))
    yield entity("Host", "10.1.0.99")  # an asset with no telemetry
    for key, props in w.reports.items():
        yield entity("Report", key, source=props["source"], tags=props["tags"],
                     **({"techniques": props["techniques"]} if "techniques" in props else {}))
    for report, threat in w.about.items():
        yield Edge("ABOUT", "Report", report, "Threat", threat, {"first_seen": T0})
    for label, key in w.indicators:
        yield entity(label, key, indicator=True)
    for report, label, key, props in w.mentions:
        yield Edge("MENTIONS", "Report", report, label, key, {"first_seen": T0, **props})
    for (host, domain), props in w.sni.items():
        yield Edge("CONNECTED_TO", "Host", host, "Domain", domain, dict(props))
    for (label, server, cert), (first, last) in w.serves.items():
        yield Edge("SERVES_CERT", label, server, "Certificate", cert, {"first_seen": first, "last_seen": last})
    for (label, server, fp), (first, last) in w.server_fp.items():
        yield Edge("HAS_FINGERPRINT", label, server, "Fingerprint", fp, {"first_seen": first, "last_seen": last})
    for label, key in w.listed:
        yield entity(label, key)


# ---------------------------------------------------------------- the plain-Python answers


def overlaps(props: dict[str, Any], since: int, until: int) -> bool:
    return props["last_seen"] >= since and props["first_seen"] <= until


def labels(name: str) -> int:
    return name.count(".") + 1


def norm(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as sortable tuples; lists compared as sorted (collect order is not defined)."""
    def value(v: Any) -> Any:
        return tuple(sorted(v)) if isinstance(v, list) else v
    return sorted(tuple((k, value(v)) for k, v in sorted(row.items())) for row in rows)


class Answers:
    """Plain-Python versions of the hunts, over the :class:`World` (not over the database)."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.dns_users: dict[str, set[str]] = defaultdict(set)
        for host, domain in w.queried:
            self.dns_users[domain].add(host)
        self.flow_users: dict[str, set[str]] = defaultdict(set)
        for host, ip in w.connected:
            self.flow_users[ip].add(host)
        self.ip_degree: dict[str, set[str]] = defaultdict(set)
        for domain, ip in w.resolves:
            self.ip_degree[ip].add(domain)
        self.fp_users: dict[str, set[str]] = defaultdict(set)
        for host, fp in w.used_client:
            self.fp_users[fp].add(host)
        self.fp_degree: dict[str, set[str]] = defaultdict(set)
        for domain, fp in w.has_fp:
            self.fp_degree[fp].add(domain)
        for (_, server, fp) in w.server_fp:
            self.fp_degree[fp].add(server)
        self.sni_users: dict[str, set[str]] = defaultdict(set)
        for host, domain in w.sni:
            self.sni_users[domain].add(host)

    @staticmethod
    def row(host: str, indicator: str, kind: str, rel: str, url: str, touched: str, hops: int,
            props: dict[str, Any], service: str, degree: int, users: int) -> dict[str, Any]:
        return {"host": host, "indicator": indicator, "indicator_kind": kind, "rel": rel, "url": url,
                "touched": touched, "hops": hops, "first_seen": props["first_seen"], "last_seen": props["last_seen"],
                "count": props["count"], "bytes_out": props.get("bytes_out", 0) if rel != "QUERIED" else 0,
                "telemetry": props["sources"], "service": service, "degree": degree, "users": users}

    def _site_rows(self, indicator: str, kind: str, site: tuple[str, str], hops: int, since: int,
                   until: int) -> list[dict[str, Any]]:
        """Host rows for one site (Domain or IP): DNS or flows, and HTTP requests to URLs on it."""
        label, key = site
        rows = []
        if label == "Domain":
            service, users, degree = self.w.operated_by.get(key, ""), len(self.dns_users[key]), 0
            for (host, domain), props in self.w.queried.items():
                if domain == key and overlaps(props, since, until):
                    rows.append(self.row(host, indicator, kind, "QUERIED", "", key, hops, props, service, 0, users))
        else:
            service, users, degree = "", len(self.flow_users[key]), len(self.ip_degree[key])
            for (host, ip), props in self.w.connected.items():
                if ip == key and overlaps(props, since, until):
                    rows.append(self.row(host, indicator, kind, "CONNECTED_TO", "", key, hops, props, "", degree,
                                         users))
        for (host, url), props in self.w.requested.items():
            if self.w.on_host[url] == site and overlaps(props, since, until):
                rows.append(self.row(host, indicator, kind, "REQUESTED", url, key, hops, props, service, degree, users))
        return rows

    def _sni_rows(self, indicator: str, kind: str, domain: str, since: int, until: int) -> list[dict[str, Any]]:
        """TLS sessions naming the domain (SNI): CONNECTED_TO the Domain."""
        service, users = self.w.operated_by.get(domain, ""), len(self.dns_users[domain])
        return [self.row(host, indicator, kind, "CONNECTED_TO", "", domain, 0, props, service, 0, users)
                for (host, d), props in self.w.sni.items() if d == domain and overlaps(props, since, until)]

    def exposure_domain(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [r for d in indicators for r in [*self._site_rows(d, "Domain", ("Domain", d), 0, since, until),
                                                *self._sni_rows(d, "Domain", d, since, until)]]

    def exposure_ip(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [r for ip in indicators for r in self._site_rows(ip, "IP", ("IP", ip), 0, since, until)]

    def flow_channels(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [{"host": host, "ip": ip, "ports": props.get("ports"), "protocols": props.get("protocols")}
                for (host, ip), props in self.w.connected.items()
                if ip in indicators and overlaps(props, since, until)]

    def exposure_subdomain(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        names = {d for _, d in self.w.queried} | {k for label, k in self.w.on_host.values() if label == "Domain"}
        rows = []
        for parent in indicators:
            for name in names:
                hops = labels(name) - labels(parent)
                if name.endswith("." + parent) and 1 <= hops <= 3:
                    rows += self._site_rows(parent, "Domain", ("Domain", name), hops, since, until)
        return rows

    def exposure_url(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [
            self.row(host, url, "URL", "REQUESTED", url, url, 0, props, "", 0, 0)
            for (host, url), props in self.w.requested.items()
            if url in indicators and overlaps(props, since, until)
        ]

    def _server_rows(self, kind: str, links: dict[tuple[str, str, str], tuple[int, int]], indicators: list[str],
                     since: int, until: int, *, timed: Callable[[str], bool]) -> list[dict[str, Any]]:
        """Sessions to a server (IP by flow, Domain by SNI) that presented the indicator (a cert or fingerprint)."""
        rows = []
        for (label, server, value), (first, last) in links.items():
            if value not in indicators:
                continue
            sessions = self.w.connected if label == "IP" else self.w.sni
            for (host, target), props in sessions.items():
                if target != server or not overlaps(props, since, until):
                    continue
                if timed(value) and not (props["first_seen"] <= last and first <= props["last_seen"]):
                    continue
                if kind == "Certificate" and not (last >= since and first <= until):
                    continue
                if label == "IP":
                    users, service = len(self.flow_users[server]), ""
                    degree = len(self.ip_degree[server]) if kind == "Certificate" else len(self.fp_degree[value])
                else:
                    users, service = len(self.sni_users[server]), self.w.operated_by.get(server, "")
                    degree = 0 if kind == "Certificate" else len(self.fp_degree[value])
                rows.append(self.row(host, value, kind, "CONNECTED_TO", "", server, 0, props, service, degree, users))
        return rows

    def exposure_certificate(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return self._server_rows("Certificate", self.w.serves, indicators, since, until, timed=lambda _: True)

    def exposure_server_fingerprint(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return self._server_rows("Fingerprint", self.w.server_fp, indicators, since, until,
                                 timed=lambda fp: not fp.startswith("jarm:"))

    def exposure_dns_answer(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        rows = []
        for (domain, ip), (first, last) in self.w.resolves.items():
            if ip not in indicators or not (last >= since and first <= until):
                continue
            for (host, d), props in self.w.queried.items():
                if d == domain and overlaps(props, since, until) and props["first_seen"] <= last \
                        and first <= props["last_seen"]:
                    rows.append(self.row(host, ip, "IP", "QUERIED", "", domain, 0, props,
                                         self.w.operated_by.get(domain, ""), len(self.ip_degree[ip]),
                                         len(self.dns_users[domain])))
        return rows

    def entity_lists(self, keys: list[str]) -> list[dict[str, Any]]:
        from graphpivot.canonical import registered_domain
        from graphpivot.reference.warninglists import configured_index

        index = configured_index()
        domains = {d for _, d in self.w.queried} | {k for label, k in self.w.on_host.values() if label == "Domain"}
        domains |= {d for _, d in self.w.sni} | set(self.w.operated_by) | {d for d, _ in self.w.resolves}
        domains |= {k for label, k in self.w.listed if label == "Domain"}
        ips = {ip for _, ip in self.w.resolves} | {ip for _, ip in self.w.connected}
        ips |= {k for label, k in self.w.listed if label == "IP"}
        rows = []
        for key in sorted(set(keys)):
            if key in domains:
                names, meanings = index.describe(index.domain(key))
                rows.append({"kind": "Domain", "key": key, "lists": names or None, "list_meanings": meanings or None,
                             "noise": False, "noise_reason": None, "service": self.w.operated_by.get(key, ""),
                             "degree": 0, "registered_domain": registered_domain(key)})
            elif key in ips:
                names, meanings = index.describe(index.address(key))
                rows.append({"kind": "IP", "key": key, "lists": names or None, "list_meanings": meanings or None,
                             "noise": False, "noise_reason": None, "service": "",
                             "degree": len(self.ip_degree[key]), "registered_domain": ""})
        return rows

    def prevalence(self, domains: list[str], registered: list[str], ips: list[str], fingerprints: list[str],
                   since: int, until: int) -> list[dict[str, Any]]:
        from graphpivot.canonical import registered_domain

        found: set[tuple[str, str, str]] = set()
        # (host, name, props, counts for the registered domain): SNI counts for a name, not its registered domain.
        by_name: list[tuple[str, str, dict[str, Any], bool]] = [(h, d, p, True) for (h, d), p in self.w.queried.items()]
        by_name += [(h, d, p, False) for (h, d), p in self.w.sni.items()]
        by_name += [(h, self.w.on_host[u][1], p, True) for (h, u), p in self.w.requested.items()
                    if self.w.on_host[u][0] == "Domain"]
        for host, domain, props, whole in by_name:
            if not overlaps(props, since, until):
                continue
            if domain in domains:
                found.add(("domain", domain, host))
            if whole and registered_domain(domain) in registered:
                found.add(("registered", str(registered_domain(domain)), host))
        by_ip = [(h, ip, p) for (h, ip), p in self.w.connected.items()]
        by_ip += [(h, self.w.on_host[u][1], p) for (h, u), p in self.w.requested.items()
                  if self.w.on_host[u][0] == "IP"]
        for host, ip, props in by_ip:
            if ip in ips and overlaps(props, since, until):
                found.add(("ip", ip, host))
        for (host, fp), props in self.w.used_client.items():
            if fp in fingerprints and overlaps(props, since, until):
                found.add(("fingerprint", fp, host))
        return [{"scope": scope, "key": key, "host": host} for scope, key, host in found]

    def exposure_fingerprint(self, indicators: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [
            {**self.row(host, fp, "Fingerprint", "USED_CLIENT", "", fp, 0, props, "", len(self.fp_degree[fp]),
                        len(self.fp_users[fp])), "bytes_out": 0}
            for (host, fp), props in self.w.used_client.items()
            if fp in indicators and overlaps(props, since, until)
        ]

    def hosts_queried(self, domains: list[str], since: int, until: int) -> list[dict[str, Any]]:
        return [
            {"host": host, "domain": domain, "indicator": ("Domain", domain) in self.w.indicators,
             "queries": props["count"], "first_seen": props["first_seen"], "last_seen": props["last_seen"],
             "sources": props["sources"]}
            for (host, domain), props in self.w.queried.items()
            if domain in domains and overlaps(props, since, until)
        ]

    def hosts_requested(self, domains: list[str], since: int, until: int) -> list[dict[str, Any]]:
        """Per (host, domain): distinct URLs, summed requests, span and sources of the in-window requests."""
        groups: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for (host, url), props in self.w.requested.items():
            label, site = self.w.on_host[url]
            if label == "Domain" and site in domains and overlaps(props, since, until):
                groups[(host, site)].append((url, props))
        return [
            {"host": host, "domain": domain, "indicator": ("Domain", domain) in self.w.indicators,
             "urls": len({url for url, _ in items}), "requests": sum(p["count"] for _, p in items),
             "first_seen": min(p["first_seen"] for _, p in items), "last_seen": max(p["last_seen"] for _, p in items),
             "sources": sorted({s for _, p in items for s in p["sources"]})}
            for (host, domain), items in groups.items()
        ]

    # ------------------------------------------------------------ web-service hunts
    def _service_use(self, since: int, until: int, timed: bool) -> dict[str, dict[str, dict[str, Any]]]:
        """Per abused service and host: first/last seen, domains, HTTP request count and bytes out."""
        use: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)

        def add(service: str, host: str, domain: str, props: dict[str, Any], http: bool) -> None:
            if not self.w.services[service]["abuse"] or (timed and not overlaps(props, since, until)):
                return
            item = use[service].setdefault(host, {"first": None, "last": None, "domains": set(), "requests": 0,
                                                  "bytes_out": 0})
            item["first"] = props["first_seen"] if item["first"] is None else min(item["first"], props["first_seen"])
            item["last"] = props["last_seen"] if item["last"] is None else max(item["last"], props["last_seen"])
            item["domains"].add(domain)
            if http:
                item["requests"] += 1
                item["bytes_out"] += props.get("bytes_out", 0)

        for (host, domain), props in self.w.queried.items():
            if domain in self.w.operated_by:
                add(self.w.operated_by[domain], host, domain, props, False)
        for (host, url), props in self.w.requested.items():
            label, key = self.w.on_host[url]
            if label == "Domain" and key in self.w.operated_by:
                add(self.w.operated_by[key], host, key, props, True)
        return use

    def _service_rows(self, use: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        rows = []
        for service, hosts in use.items():
            first_ever = min(h["first"] for h in hosts.values())
            meta = self.w.services[service]
            for host, item in hosts.items():
                rows.append({"host": host, "service": service, "category": meta["category"], "abuse": meta["abuse"],
                             "attack_ids": meta["attack_ids"], "users": len(hosts), "first_seen": item["first"],
                             "last_seen": item["last"], "enterprise_first_seen": first_ever,
                             "first_in_enterprise": item["first"] == first_ever, "requests": item["requests"],
                             "bytes_out": item["bytes_out"], "domains": sorted(item["domains"])})
        return rows

    def ws_rare_service(self, max_hosts: int, since: int, until: int) -> list[dict[str, Any]]:
        return [r for r in self._service_rows(self._service_use(since, until, True)) if r["users"] <= max_hosts]

    def ws_first_seen(self, since: int, until: int) -> list[dict[str, Any]]:
        rows = self._service_rows(self._service_use(0, FOREVER, False))
        return [r for r in rows if since <= r["first_seen"] <= until]

    def ws_specific_url(self, markers: list[str], since: int, until: int) -> list[dict[str, Any]]:
        requesters: dict[str, set[str]] = defaultdict(set)
        for host, url in self.w.requested:
            requesters[url].add(host)
        rows = []
        for (host, url), props in self.w.requested.items():
            found = sorted(m for m in markers if m in url)
            if not found or not overlaps(props, since, until):
                continue
            label, key = self.w.on_host[url]
            service = self.w.operated_by.get(key, "") if label == "Domain" else ""
            rows.append({"host": host, "url": url, "marker": found[0], "service": service,
                         "category": self.w.services[service]["category"] if service else "",
                         "users": len(requesters[url]), "methods": props["methods"],
                         "first_seen": props["first_seen"], "last_seen": props["last_seen"], "count": props["count"],
                         "bytes_out": props["bytes_out"], "telemetry": props["sources"]})
        return rows

    def ws_large_upload(self, min_bytes: int, tolerance: int, since: int, until: int) -> list[dict[str, Any]]:
        rows = []
        for (host, url), props in self.w.requested.items():
            label, key = self.w.on_host[url]
            if label == "Domain" and key in self.w.operated_by and props["bytes_out"] >= min_bytes \
                    and overlaps(props, since, until):
                service = self.w.operated_by[key]
                rows.append({"host": host, "service": service, "category": self.w.services[service]["category"],
                             "channel": "http", "target": url, "domain": key, "bytes_out": props["bytes_out"],
                             "first_seen": props["first_seen"], "last_seen": props["last_seen"],
                             "count": props["count"], "telemetry": props["sources"]})

        def near(a: tuple[int, int], b: tuple[int, int]) -> bool:
            return a[0] <= b[1] + tolerance and b[0] <= a[1] + tolerance

        for (host, ip), props in self.w.connected.items():
            if props["bytes_out"] < min_bytes or not overlaps(props, since, until):
                continue
            flow = (props["first_seen"], props["last_seen"])
            by_service: dict[str, list[str]] = defaultdict(list)
            for (domain, addr), answer in self.w.resolves.items():
                query = self.w.queried.get((host, domain))
                if addr == ip and domain in self.w.operated_by and near(answer, flow) and query is not None \
                        and near((query["first_seen"], query["last_seen"]), flow):
                    by_service[self.w.operated_by[domain]].append(domain)
            for service, domains in by_service.items():
                rows.append({"host": host, "service": service, "category": self.w.services[service]["category"],
                             "channel": "flow", "target": ip, "domain": min(domains), "bytes_out": props["bytes_out"],
                             "first_seen": props["first_seen"], "last_seen": props["last_seen"],
                             "count": props["count"], "telemetry": props["sources"]})
        return rows

    def ws_c2_client(self, tolerance: int, since: int, until: int) -> list[dict[str, Any]]:
        flagged = {key for label, key in self.w.indicators if label == "Fingerprint"}
        rows = []
        for (host, fp), props in self.w.used_client.items():
            threats = self.w.fp_threats.get(fp, set())
            if not (threats or fp in flagged) or not overlaps(props, since, until):
                continue
            services = {
                self.w.operated_by[d]
                for (h, d), q in self.w.queried.items()
                if h == host and d in self.w.operated_by
                and q["first_seen"] <= props["last_seen"] + tolerance
                and props["first_seen"] <= q["last_seen"] + tolerance
            }
            rows.append({"host": host, "fingerprint": fp, "threats": sorted(threats), "users": len(self.fp_users[fp]),
                         "first_seen": props["first_seen"], "last_seen": props["last_seen"], "count": props["count"],
                         "services": sorted(services), "telemetry": props["sources"]})
        return rows

    # ------------------------------------------------------------ blind spots and intel
    def blind_spots_hosts(self, since: int, until: int) -> list[dict[str, Any]]:
        hosts = {h for h, _ in self.w.queried} | {"10.1.0.99"}
        rows = []
        for host in hosts:
            row: dict[str, Any] = {"host": host}
            for name, edges in (("dns", self.w.queried), ("http", self.w.requested), ("flow", self.w.connected),
                                ("tls", self.w.used_client)):
                mine = [p for (h, _), p in edges.items() if h == host and overlaps(p, since, until)]
                row[name] = len(mine)
                row[f"{name}_first_seen"] = min((p["first_seen"] for p in mine), default=None)
                row[f"{name}_last_seen"] = max((p["last_seen"] for p in mine), default=None)
            # The world's edges carry no sensor kind, so none of them is endpoint telemetry.
            row.update(endpoint=0, endpoint_first_seen=None, endpoint_last_seen=None)
            rows.append(row)
        return rows

    def blind_spots_time(self, bucket: int, since: int, until: int) -> list[dict[str, Any]]:
        found = set()
        for name, edges in (("dns", self.w.queried), ("http", self.w.requested), ("flow", self.w.connected),
                            ("tls", self.w.used_client)):
            for props in edges.values():
                if overlaps(props, since, until):
                    for source in props["sources"]:
                        found.add((name, source, props["first_seen"] // bucket, props["last_seen"] // bucket))
        return [{"channel": c, "source": s, "first_bucket": a, "last_bucket": b} for c, s, a, b in found]

    def indicator_intel(self, indicators: list[str], all_indicators: bool) -> list[dict[str, Any]]:
        rows = []
        for label, key in self.w.indicators:
            if not (all_indicators or key in indicators):
                continue
            for report, m_label, m_key, props in self.w.mentions:
                if (m_label, m_key) != (label, key):
                    continue
                about = [self.w.about[report]] if report in self.w.about else []
                own = sorted(self.w.fp_threats.get(key, set()))
                threats = about + own
                rows.append({"kind": label, "key": key, "flagged": True, "report": report,
                             "report_source": self.w.reports[report]["source"],
                             "report_tags": self.w.reports[report]["tags"],
                             "report_tlp": self.w.reports[report].get("tlp"), "valid_from": props.get("valid_from"),
                             "valid_until": props.get("valid_until"), "confidence": props["confidence"],
                             "context": props.get("context"), "to_ids": props.get("to_ids"), "threats": threats,
                             "techniques": self.w.reports[report].get("techniques", []),
                             "report_threat_techniques": [sorted(self.w.threat_techniques[t]) for t in about
                                                          if t in self.w.threat_techniques],
                             "threat_techniques": [sorted(self.w.threat_techniques[t]) for t in own
                                                   if t in self.w.threat_techniques]})
        return rows


# ---------------------------------------------------------------- the test

WORLD = build_world()
ANSWERS = Answers(WORLD)
DOMAINS = sorted(k for label, k in WORLD.indicators if label == "Domain")
IPS = sorted(k for label, k in WORLD.indicators if label == "IP")
URLS = sorted(k for label, k in WORLD.indicators if label == "URL")
FPS = sorted(k for label, k in WORLD.indicators if label == "Fingerprint")
MARKERS = Catalog().get("ws-specific-url").bind({})["markers"]
CERTS = sorted(k for label, k in WORLD.indicators if label == "Certificate")
LIST_KEYS = [*DOMAINS, *IPS, "docs.google.com", "8.8.8.8", "paste.example", "not-in-the-graph.example"]
PREVALENCE: dict[str, Any] = {
    "domains": [*DOMAINS, "share.example", "paste.example"],
    "registered": sorted({d.split(".", 1)[-1] if d.count(".") > 1 else d for d in DOMAINS} | {"b0.example"}),
    "ips": IPS, "fingerprints": FPS,
}

QUERIED_SAMPLE = [*DOMAINS, "w1.b2.example", "x.w0.b4.example"]
REQUESTED_SAMPLE = sorted({site for label, site in WORLD.on_host.values() if label == "Domain"})
CASES: dict[str, tuple[dict[str, Any], Callable[[int, int], list[dict[str, Any]]]]] = {
    "hosts-queried": ({"domains": QUERIED_SAMPLE}, lambda s, u: ANSWERS.hosts_queried(QUERIED_SAMPLE, s, u)),
    "hosts-requested": ({"domains": REQUESTED_SAMPLE}, lambda s, u: ANSWERS.hosts_requested(REQUESTED_SAMPLE, s, u)),
    "exposure-domain": ({"indicators": DOMAINS}, lambda s, u: ANSWERS.exposure_domain(DOMAINS, s, u)),
    "exposure-subdomain": ({"indicators": DOMAINS}, lambda s, u: ANSWERS.exposure_subdomain(DOMAINS, s, u)),
    "exposure-ip": ({"indicators": IPS}, lambda s, u: ANSWERS.exposure_ip(IPS, s, u)),
    "flow-channels": ({"indicators": IPS}, lambda s, u: ANSWERS.flow_channels(IPS, s, u)),
    "exposure-url": ({"indicators": URLS}, lambda s, u: ANSWERS.exposure_url(URLS, s, u)),
    "exposure-fingerprint": ({"indicators": FPS}, lambda s, u: ANSWERS.exposure_fingerprint(FPS, s, u)),
    "exposure-certificate": ({"indicators": CERTS}, lambda s, u: ANSWERS.exposure_certificate(CERTS, s, u)),
    "exposure-server-fingerprint": ({"indicators": FPS},
                                    lambda s, u: ANSWERS.exposure_server_fingerprint(FPS, s, u)),
    "exposure-dns-answer": ({"indicators": IPS}, lambda s, u: ANSWERS.exposure_dns_answer(IPS, s, u)),
    "prevalence": (PREVALENCE, lambda s, u: ANSWERS.prevalence(**PREVALENCE, since=s, until=u)),
    "ws-rare-service": ({"max_hosts": 6}, lambda s, u: ANSWERS.ws_rare_service(6, s, u)),
    "ws-first-seen": ({}, ANSWERS.ws_first_seen),
    "ws-specific-url": ({}, lambda s, u: ANSWERS.ws_specific_url(MARKERS, s, u)),
    "ws-large-upload": ({"min_bytes": 50_000, "tolerance": 2 * DAY},
                        lambda s, u: ANSWERS.ws_large_upload(50_000, 2 * DAY, s, u)),
    "ws-c2-client": ({"tolerance": DAY}, lambda s, u: ANSWERS.ws_c2_client(DAY, s, u)),
    "blind-spots-hosts": ({}, ANSWERS.blind_spots_hosts),
    "blind-spots-time": ({"bucket": DAY}, lambda s, u: ANSWERS.blind_spots_time(DAY, s, u)),
}


@pytest.fixture(scope="module")
def world_store(module_store: GraphStore) -> GraphStore:
    """The seeded world, loaded once per engine: the hunts only read it."""
    load(module_store, records(WORLD), source="seeded")
    return module_store


def test_every_hunt_is_covered() -> None:
    checked = {q.id for q in Catalog() if q.group in ("hunts", "lookups")}
    # ws-processes (endpoint processes on edges) is checked in tests/integration/test_sysmon_hunt.py.
    assert checked == {*CASES, "indicator-intel", "entity-lists", "ws-processes"}


def test_entity_lists_matches_plain_python(world_store: GraphStore) -> None:
    query = Catalog().get("entity-lists")
    got = world_store.read(query.cypher_for(world_store.engine), query.bind({"keys": LIST_KEYS}))
    assert norm(got) == norm(ANSWERS.entity_lists(LIST_KEYS))
    listed = {row["key"]: row for row in got}
    assert "public-dns-v4" in listed["8.8.8.8"]["lists"] and "google" in listed["docs.google.com"]["lists"]
    assert listed["paste.example"]["service"] == "paste" and not listed["b1.example"]["lists"]


@pytest.mark.parametrize("window", sorted(WINDOWS))
@pytest.mark.parametrize("hunt", sorted(CASES))
def test_hunt_matches_plain_python(world_store: GraphStore, hunt: str, window: str) -> None:
    raw, answer = CASES[hunt]
    since, until = WINDOWS[window]
    query = Catalog().get(hunt)
    got = world_store.read(query.cypher_for(world_store.engine), query.bind({**raw, "since": since, "until": until}))
    expected = answer(since, until)
    if "events" in query.header.columns:  # the seeded world's edges carry no raw-event ids (test_event_pointers)
        expected = [{**row, "events": None} for row in expected]
    assert norm(got) == norm(expected)
    if window == "all":
        assert expected, f"the seeded graph gives {hunt} nothing to find; the comparison would be empty"


@pytest.mark.parametrize("all_indicators", [False, True])
def test_indicator_intel_matches_plain_python(world_store: GraphStore, all_indicators: bool) -> None:
    keys = [DOMAINS[0], IPS[0], URLS[0], "not-an-indicator.example"]
    query = Catalog().get("indicator-intel")
    got = world_store.read(query.cypher_for(world_store.engine),
                           query.bind({"indicators": [] if all_indicators else keys, "all_indicators": all_indicators}))
    for row in got:
        del row["node_sources"]  # the union of every source that touched the node: not part of the intel
        # ATT&CK ids: the report's list, and one list per threat (a threat without any: null, or left out)
        row["techniques"] = row["techniques"] or []
        for column in ("report_threat_techniques", "threat_techniques"):
            row[column] = [sorted(t) for t in row[column] if t]
    assert norm(got) == norm(ANSWERS.indicator_intel(keys, all_indicators))
    assert any(row["techniques"] for row in got) and any(row["report_threat_techniques"] for row in got)
    assert any(row["threat_techniques"] for row in got) == all_indicators  # the fingerprints' own threats
    assert len(got) == (len(WORLD.mentions) if all_indicators else 3)
