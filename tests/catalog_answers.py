"""Expected answers for every stored query, computed in plain Python on the seed graph.

Each stored query in the catalogue registers here (``@answer(query_id, cases)``)
a reference implementation written from its description, not from its Cypher:
loops over :class:`seedgraph.Model`. ``test_pivots_catalogue`` runs every
catalogue query on both engines and compares rows with these answers; a query
without an entry fails that test, so a new pivot or hunt must add one here
(and, if it needs data the seed graph lacks, extend ``seedgraph.EDGES``), or be
listed in ``CHECKED_ELSEWHERE`` with the test module that checks it the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seedgraph import DAY, FOREVER, T0, Link, Model, overlap, registered

Row = dict[str, Any]
Reference = Callable[..., list[Row]]
SEED_SOURCES = ["seed"]


@dataclass
class Expectation:
    """A reference implementation and the parameter sets to check it with."""

    reference: Reference
    cases: list[dict[str, Any]] = field(default_factory=list)


EXPECTED: dict[str, Expectation] = {}
# Queries whose plain-Python answers live in another test module that runs them on both
# engines on a seeded graph of its own; the catalogue test checks that module names them.
HUNT_TESTS = "tests/integration/test_hunt_queries.py"
CHECKED_ELSEWHERE: dict[str, str] = {
    hunt: HUNT_TESTS
    for hunt in (
        "exposure-domain", "exposure-subdomain", "exposure-ip", "exposure-url",
        "exposure-fingerprint", "indicator-intel", "ws-rare-service", "ws-first-seen", "ws-specific-url",
        "ws-large-upload", "ws-c2-client", "blind-spots-hosts", "blind-spots-time", "hosts-requested",
        "exposure-certificate", "exposure-dns-answer", "exposure-server-fingerprint", "entity-lists", "prevalence",
        "flow-channels",
    )
}
CHECKED_ELSEWHERE["ws-processes"] = "tests/integration/test_sysmon_hunt.py"


def answer(query_id: str, *cases: dict[str, Any]) -> Callable[[Reference], Reference]:
    """Register ``reference`` as the expected answer of ``query_id`` for each parameter set."""

    def register(reference: Reference) -> Reference:
        EXPECTED[query_id] = Expectation(reference, list(cases))
        return reference

    return register


def _window(p: dict[str, Any]) -> tuple[int, int]:
    return p.get("since", 0), p.get("until", FOREVER)


def _fanout(p: dict[str, Any]) -> tuple[int, bool]:
    return p.get("max_fanout", 200), p.get("include_noise", False)


def _limit(rows: list[Row], p: dict[str, Any], *order: str, desc: tuple[str, ...] = ()) -> list[Row]:
    for name in reversed(order):
        rows.sort(key=lambda r, n=name: (r[n] is None, r[n]), reverse=name in desc)  # type: ignore[misc]
    return rows[: p.get("limit", 1000)]


# ---------------------------------------------------------------- pivots


@answer(
    "shared-ip",
    {"seed": "evil.com"},
    {"seed": "EVIL.com."},
    {"seed": "evil.com", "max_fanout": 5},
    {"seed": "evil.com", "include_noise": True},
    {"seed": "evil.com", "tolerance": 60 * DAY},
    {"seed": "evil.com", "tolerance": 0},
    {"seed": "evil.com", "since": T0 + 11 * DAY},
    {"seed": "evil.com", "limit": 3},
)
def shared_ip(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"].lower().rstrip(".")
    since, until = _window(p)
    fanout, noise = _fanout(p)
    rows = []
    for r1 in m.out(seed, "RESOLVES_TO"):
        ip = r1.dst
        if not r1.within(since, until) or not m.passes(ip, fanout, noise):
            continue
        for r2 in m.inc(ip, "RESOLVES_TO"):
            if r2.src != seed and r2.within(since, until) and overlap(r1, r2, p.get("tolerance", DAY)):
                rows.append({
                    "domain": r2.src, "indicator": m.indicator(r2.src), "via_ip": ip, "ip_degree": m.deg(ip),
                    "ip_noise": m.noise(ip), "noise_reason": m.noise_reason.get(ip),
                    "seed_first_seen": r1.first, "seed_last_seen": r1.last,
                    "first_seen": r2.first, "last_seen": r2.last, "sources": SEED_SOURCES,
                })
    return _limit(rows, p, "ip_degree", "domain", "via_ip")


def _zone_links(m: Model, seed: str, *types: str) -> set[str]:
    zone = registered(seed)
    return {link.dst for z in {seed, zone} for link in m.out(z, *types)}


@answer(
    "shared-ns",
    {"seed": "evil.com"},
    {"seed": "login.evil.com"},
    {"seed": "evil.com", "include_noise": True},
    {"seed": "evil.com", "max_fanout": 1},
    {"seed": "evil.com", "until": T0 - DAY},
)
def shared_ns(m: Model, p: dict[str, Any]) -> list[Row]:
    seed, zone = p["seed"], registered(p["seed"])
    since, until = _window(p)
    fanout, noise = _fanout(p)
    servers = {
        link.dst for z in {seed, zone} for link in m.out(z, "NS")
        if link.within(since, until) and m.passes(link.dst, fanout, noise)
    }
    rows = [
        {"domain": r.src, "indicator": m.indicator(r.src), "via_ns": ns, "ns_degree": m.deg(ns),
         "ns_noise": m.noise(ns), "noise_reason": m.noise_reason.get(ns), "first_seen": r.first,
         "last_seen": r.last, "sources": SEED_SOURCES}
        for ns in servers for r in m.inc(ns, "NS") if r.src not in (seed, zone) and r.within(since, until)
    ]
    return _limit(rows, p, "ns_degree", "domain", "via_ns")


@answer(
    "shared-registrant",
    {"seed": "evil.com"},
    {"seed": "www.evil.com", "include_noise": True},
    {"seed": "evil.com", "since": T0 + 25 * DAY},
)
def shared_registrant(m: Model, p: dict[str, Any]) -> list[Row]:
    seed, zone = p["seed"], registered(p["seed"])
    since, until = _window(p)
    fanout, noise = _fanout(p)
    kinds = ("REGISTRANT", "SOA_EMAIL")
    emails = {
        link.dst for z in {seed, zone} for link in m.out(z, *kinds)
        if link.within(since, until) and m.passes(link.dst, fanout, noise)
    }
    found: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for e in emails:
        for r in m.inc(e, *kinds):
            if r.src not in (seed, zone) and r.within(since, until):
                found[(r.src, e)].append(r)
    rows = [
        {"domain": d, "indicator": m.indicator(d), "via_email": e, "email_degree": m.deg(e),
         "email_noise": m.noise(e), "noise_reason": m.noise_reason.get(e),
         "first_seen": min(r.first for r in links), "last_seen": max(r.last for r in links), "sources": SEED_SOURCES}
        for (d, e), links in found.items()
    ]
    return _limit(rows, p, "email_degree", "domain", "via_email")


def _cert_valid(m: Model, cert: str, since: int, until: int) -> bool:
    props = m.props[cert]
    return props.get("not_after", until) >= since and props.get("not_before", since) <= until


def _cert_row(m: Model, cert: str) -> Row:
    props = m.props[cert]
    return {
        "via_cert": cert, "cert_degree": m.deg(cert), "cert_noise": m.noise(cert),
        "noise_reason": m.noise_reason.get(cert), "subject_cn": props.get("subject_cn"), "issuer": None,
        "not_before": props.get("not_before"), "not_after": props.get("not_after"),
    }


@answer(
    "shared-cert",
    {"seed": "evil.com"},
    {"seed": "203.0.113.5"},
    {"seed": "evil.com", "include_noise": True},
    {"seed": "evil.com", "since": T0 - 400 * DAY, "until": T0 - 150 * DAY},
)
def shared_cert(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"]
    since, until = _window(p)
    fanout, noise = _fanout(p)
    certs = {
        r.dst for r in m.out(seed, "SERVES_CERT")
        if r.within(since, until) and _cert_valid(m, r.dst, since, until) and m.passes(r.dst, fanout, noise)
    }
    rows = [
        {"host": r.src, "host_kind": m.label[r.src], "indicator": m.indicator(r.src), **_cert_row(m, c),
         "first_seen": r.first, "last_seen": r.last, "sources": SEED_SOURCES}
        for c in certs for r in m.inc(c, "SERVES_CERT") if r.src != seed and r.within(since, until)
    ]
    return _limit(rows, p, "cert_degree", "host", "via_cert")


@answer(
    "cert-san",
    {"seed": "evil.com"},
    {"seed": "www.evil.com"},
    {"seed": "evil-login.com", "max_fanout": 3},
    {"seed": "evil.com", "since": T0 + 100 * DAY},
)
def cert_san(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"]
    since, until = _window(p)
    fanout, noise = _fanout(p)
    certs = {
        r.other(seed) for r in m.both(seed, "SERVES_CERT", "SAN")
        if m.label[r.other(seed)] == "Certificate" and r.within(since, until)
        and _cert_valid(m, r.other(seed), since, until) and m.passes(r.other(seed), fanout, noise)
    }
    rows = [
        {"domain": r.dst, "indicator": m.indicator(r.dst), **_cert_row(m, c),
         "first_seen": r.first, "last_seen": r.last, "sources": SEED_SOURCES}
        for c in certs for r in m.out(c, "SAN")
        if r.dst != seed and m.label[r.dst] == "Domain" and r.within(since, until)
    ]
    return _limit(rows, p, "cert_degree", "domain", "via_cert")


@answer(
    "shared-fingerprint",
    {"seed": "evil.com"},
    {"seed": "198.51.100.1"},
    {"seed": "evil.com", "fp_types": "ja3,JA3S"},
    {"seed": "evil.com", "fp_types": "jarm"},
)
def shared_fingerprint(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"]
    since, until = _window(p)
    fanout, noise = _fanout(p)
    types = [t.strip().lower() for t in p.get("fp_types", "jarm,ja3s,ja4s").split(",")]
    fps = {
        r.dst for r in m.out(seed, "HAS_FINGERPRINT")
        if r.dst.split(":")[0] in types and r.within(since, until) and m.passes(r.dst, fanout, noise)
    }
    rows = [
        {"host": r.src, "host_kind": m.label[r.src], "indicator": m.indicator(r.src), "via_fingerprint": f,
         "fp_type": f.split(":")[0], "fp_degree": m.deg(f), "fp_noise": m.noise(f),
         "noise_reason": m.noise_reason.get(f), "first_seen": r.first, "last_seen": r.last, "sources": SEED_SOURCES}
        for f in fps for r in m.inc(f, "HAS_FINGERPRINT") if r.src != seed and r.within(since, until)
    ]
    return _limit(rows, p, "fp_degree", "host", "via_fingerprint")


@answer(
    "same-netblock",
    {"seed": "198.51.100.1"},
    {"seed": "evil.com"},
    {"seed": "evil.com", "max_fanout": 9},
    {"seed": "198.51.100.1", "max_fanout": 5},
    {"seed": "asnuser.com", "include_noise": True},
)
def same_netblock(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"]
    since, until = _window(p)
    fanout, noise = _fanout(p)
    seed_ips = {
        r.dst for r in m.out(seed, "RESOLVES_TO") if r.within(since, until) and m.passes(r.dst, fanout, noise)
    } | {seed}
    rows = []
    for ip in sorted(k for k in seed_ips if m.label.get(k) == "IP"):
        blocks = {r.dst for r in m.out(ip, "IN_NETBLOCK") if r.within(since, until) and m.passes(r.dst, fanout, noise)}
        for b in blocks:
            for r2 in m.inc(b, "IN_NETBLOCK"):
                ip2 = r2.src
                if ip2 in seed_ips or not r2.within(since, until) or not m.passes(ip2, fanout, noise):
                    continue
                hits = [r3 for r3 in m.inc(ip2, "RESOLVES_TO") if r3.within(since, until)] or [None]
                for r3 in hits:
                    domain = r3.src if r3 else None
                    rows.append({
                        "ip": ip2, "domain": domain,
                        "indicator": (m.indicator(domain) if domain else False) or m.indicator(ip2),
                        "via_netblock": b, "netblock_degree": m.deg(b), "ip_degree": m.deg(ip2), "seed_ip": ip,
                        "strength": "weak", "first_seen": (r3 or r2).first, "last_seen": (r3 or r2).last,
                    })
    return _limit(rows, p, "netblock_degree", "ip", "domain", "seed_ip")


@answer(
    "subdomains",
    {"seed": "evil.com"},
    {"seed": "login.evil.com"},
    {"seed": "evil.com", "max_fanout": 2},
    {"seed": "domaincontrol.com"},
    {"seed": "domaincontrol.com", "include_noise": True},
    {"seed": "evil.com", "since": T0 + DAY},
)
def subdomains(m: Model, p: dict[str, Any]) -> list[Row]:
    seed = p["seed"]
    since, until = _window(p)
    fanout, noise = _fanout(p)
    if m.label.get(seed) != "Domain":
        return []
    zone = registered(seed)
    names = [
        k for k, label in m.label.items()
        if label == "Domain" and registered(k) == zone and k != zone and m.last[k] >= since and m.first[k] <= until
    ]
    if len(names) > fanout or (m.noise(zone) and not noise):
        return []
    rows = [
        {"domain": k, "indicator": m.indicator(k), "zone": zone, "zone_degree": len(names),
         "zone_noise": m.noise(zone), "noise_reason": m.noise_reason.get(zone), "first_seen": m.first[k],
         "last_seen": m.last[k], "sources": SEED_SOURCES}
        for k in names if k != seed
    ]
    return _limit(rows, p, "domain")


ATTRIBUTE_LINKS = ("RESOLVES_TO", "NS", "SERVES_CERT", "REGISTRANT", "SOA_EMAIL", "HAS_FINGERPRINT")


@answer(
    "pivot-value",
    {"seeds": "evil.com"},
    {"seeds": "evil.com,evil-cdn.net,198.51.100.1"},
    {"seeds": "ns1.evil-dns.net,203.0.113.9", "max_fanout": 1},
    {"seeds": "evil.com", "since": T0 + 20 * DAY},
)
def pivot_value(m: Model, p: dict[str, Any]) -> list[Row]:
    since, until = _window(p)
    fanout = p.get("max_fanout", 200)
    seeds = [s for s in p["seeds"].split(",") if m.label.get(s) in ("Domain", "IP")]
    using: dict[str, set[str]] = defaultdict(set)
    users: dict[str, set[str]] = defaultdict(set)
    for s in seeds:
        attrs = {r.dst for r in m.out(s, *ATTRIBUTE_LINKS) if r.within(since, until)}
        for a in attrs:
            using[a].add(s)
            users[a] |= {r.src for r in m.inc(a, *ATTRIBUTE_LINKS) if r.within(since, until)}
            users[a] |= {r.dst for r in m.out(a, "SAN") if r.within(since, until)}
        if m.label[s] == "IP" or m.deg(s) > 0:
            using[s].add(s)
            users[s] |= {r.src for r in m.inc(s, "RESOLVES_TO", "NS") if r.within(since, until)}
    rows = [
        {"attribute": a, "kind": m.label[a], "degree": m.deg(a), "seeds_using": len(using[a]),
         "indicator_users": sum(1 for u in users[a] if m.indicator(u)),
         "other_users": sum(1 for u in users[a] if not m.indicator(u)),
         "noise": m.noise(a), "noise_reason": m.noise_reason.get(a),
         "pivotable": m.deg(a) <= fanout and not m.noise(a)}
        for a in using
    ]
    return _limit(rows, p, "seeds_using", "indicator_users", "degree", "attribute",
                  desc=("seeds_using", "indicator_users"))


_STEP_LINKS = ("RESOLVES_TO", "NS", "REGISTRANT", "SOA_EMAIL", "HAS_FINGERPRINT")


Step = tuple[str, str, str, Link]


def _steps(m: Model, e: str, p: dict[str, Any], came: tuple[str, Link] | None) -> list[Step]:
    """One expansion step from ``e``: (route, attribute, host reached, edge that reached it).

    ``came`` is how ``e`` itself was reached (route and edge) at stage 1, None for a seed.
    """
    since, until = _window(p)
    fanout, noise = _fanout(p)
    tol = p.get("tolerance", DAY)
    found = []
    for r1 in m.out(e, *_STEP_LINKS):  # an attribute e links to, and its other users
        a = r1.dst
        if not r1.within(since, until) or not m.passes(a, fanout, noise):
            continue
        for r2 in m.inc(a, *_STEP_LINKS):
            if r2.src != e and r2.within(since, until) and (m.label[a] != "IP" or overlap(r1, r2, tol)):
                found.append(("L", a, r2.src, r2))
    for r1 in m.both(e, "SERVES_CERT", "SAN"):  # a certificate e serves or is named in, and its other users
        c = r1.other(e)
        if m.label[c] != "Certificate" or not r1.within(since, until) or not m.passes(c, fanout, noise):
            continue
        if not _cert_valid(m, c, since, until):
            continue
        for r2 in m.both(c, "SERVES_CERT", "SAN"):
            if r2.other(c) != e and r2.within(since, until):
                found.append(("C", c, r2.other(c), r2))
    self_types = ("RESOLVES_TO", "NS") if came is None else ("NS",) if m.label[e] == "Domain" else ("RESOLVES_TO",)
    via_own = came is not None and came[0] == "A"
    if m.passes(e, fanout, noise) and not via_own:  # e itself as an attribute: an IP's or name server's domains
        for r in m.inc(e, *self_types):
            if not r.within(since, until):
                continue
            if came is not None and m.label[e] == "IP" and not overlap(came[1], r, tol):
                continue
            found.append(("S", e, r.src, r))
    for r in m.out(e, "RESOLVES_TO", "NS"):  # the IPs and name servers e uses, reached themselves
        if r.within(since, until):
            found.append(("A", r.dst, r.dst, r))
    seeds = set(p["seeds"].split(","))
    return [f for f in found if f[2] not in seeds and m.passes(f[2], fanout, noise)]


@answer(
    "expand",
    {"seeds": "evil.com"},
    {"seeds": "evil.com", "max_fanout": 5},
    {"seeds": "evil.com", "include_noise": True, "max_fanout": 3},
    {"seeds": "198.51.100.1"},
    {"seeds": "203.0.113.9,ns1.evil-dns.net"},
    {"seeds": "evil.com,evil-cdn.net", "tolerance": 60 * DAY},
    {"seeds": "evil.com", "since": T0 + 7 * DAY, "until": T0 + 9 * DAY},
    {"seeds": "evil.com", "since": T0 - 400 * DAY, "until": T0 - 150 * DAY},
    {"seeds": "evil.com", "limit": 5},
)
def expand(m: Model, p: dict[str, Any]) -> list[Row]:
    candidates: dict[tuple[str, str], dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for seed in p["seeds"].split(","):
        if m.label.get(seed) not in ("Domain", "IP"):
            continue
        for route, a1, h1, link in _steps(m, seed, p, None):
            candidates[(seed, h1)][1].add(a1)
            for _route, a2, h2, _link in _steps(m, h1, p, (route, link)):
                candidates[(seed, h2)][2].update({a1, a2})
    rows = []
    for (seed, key), stages in candidates.items():
        nearest = min(stages)
        via = sorted(stages[nearest])
        rows.append({
            "seed": seed, "kind": m.label[key], "key": key, "stage": nearest, "via": via,
            "via_kinds": [m.label[v] for v in via], "max_degree": max(m.deg(v) for v in via),
            "min_degree": min(m.deg(v) for v in via) if nearest == 1 else max(m.deg(v) for v in via),
            "indicator": m.indicator(key),
        })
    return _limit(rows, p, "seed", "stage", "max_degree", "key")


INFRASTRUCTURE = (
    "RESOLVES_TO", "CNAME", "NS", "MX", "PTR", "SUBDOMAIN_OF", "IN_NETBLOCK", "ANNOUNCED_BY", "SERVES_CERT", "SAN",
    "HAS_FINGERPRINT", "REGISTRANT", "SOA_EMAIL",
)


@answer(
    "path",
    {"from": "evil.com", "to": "203.0.113.9"},
    {"from": "evil.com", "to": "other.net"},
    {"from": "evil.com", "to": "stage2.net"},
    {"from": "evil.com", "to": "evil-login.com"},
    {"from": "evil.com", "to": "srv5.hosting.example"},
    {"from": "evil.com", "to": "shop3.example"},
    {"from": "evil.com", "to": "shop3.example", "max_fanout": 5},
    {"from": "evil.com", "to": "cdnuser1.com"},
    {"from": "evil.com", "to": "cdnuser1.com", "include_noise": True},
    {"from": "later.org", "to": "evil.com", "since": T0 + 35 * DAY},
)
def path(m: Model, p: dict[str, Any]) -> list[Row]:
    """Every shortest path by breadth-first search over infrastructure edges."""
    since, until = _window(p)
    fanout, noise = _fanout(p)
    start, goal = p["from"], p["to"]
    if start not in m.label or goal not in m.label:
        return []
    paths: list[list[tuple[str, Link | None]]] = [[(start, None)]]
    for _hop in range(6):
        longer = []
        for walk in paths:
            here = walk[-1][0]
            for link in m.both(here, *INFRASTRUCTURE):
                there = link.other(here)
                if not link.within(since, until) or any(k == there for k, _ in walk):
                    continue
                if there != goal and not m.passes(there, fanout, noise):
                    continue
                longer.append([*walk, (there, link)])
        paths = longer
        done = [w for w in paths if w[-1][0] == goal]
        if done:
            rows = [
                {"hops": len(w) - 1, "keys": [k for k, _ in w], "kinds": [m.label[k] for k, _ in w],
                 "edges": [link.type for _, link in w[1:] if link], "degrees": [m.deg(k) for k, _ in w]}
                for w in done
            ]
            return rows[: p.get("limit", 1000)]
        paths = [w for w in paths if w[-1][0] != goal]
    return []


# ---------------------------------------------------------------- hunts


@answer(
    "hosts-queried",
    {"domains": "evil.com,evil-cdn.net,later.org"},
    {"domains": "evil.com,later.org", "since": T0 + 30 * DAY},
    {"domains": "nothing.example"},
)
def hosts_queried(m: Model, p: dict[str, Any]) -> list[Row]:
    since, until = _window(p)
    wanted = set(p["domains"].split(","))
    rows = [
        {"host": r.src, "domain": r.dst, "indicator": m.indicator(r.dst), "queries": r.count,
         "first_seen": r.first, "last_seen": r.last, "sources": SEED_SOURCES}
        for r in m.links if r.type == "QUERIED" and r.dst in wanted and r.within(since, until)
    ]
    return _limit(rows, p, "host", "domain")


__all__ = ["CHECKED_ELSEWHERE", "EXPECTED", "Expectation", "answer"]
