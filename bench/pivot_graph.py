"""A generated infrastructure graph at enterprise scale, for the pivot benchmark (not a test).

At ``scale=1.0`` about 1.0M nodes and 4M edges, with the hubs real graphs have: CDN addresses
and certificates shared by thousands of names, three DNS-hosting providers' name servers holding
most zones, privacy-proxy registrant addresses, a few web-server JARMs on most addresses, and a
popularity curve in what internal hosts query (everyone queries the top names, each host a
handful of the long tail). Planted in it: adversary estates (a few domains on dedicated
addresses, one rare name server or a self-hosted one, one registrant, one certificate, one rare
JARM, and one domain parked on a CDN hub address), a few hosts querying them, and an indicator
list of about 1,000 entries mixing the estates' seeds with feed-only names never seen inside.

Everything is a pure function of the index and ``seed``: names are made from their index, so
the stream needs no memory of what it emitted, and records go through the real ingest path.

    python bench/pivot_graph.py --scale 0.01    # prints what it would write
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphpivot.model import Edge, Record, entity

T0 = 1_790_000_000  # 2026-09-21
DAY = 86_400
SPAN = 30 * DAY
TLDS = ("com", "net", "org", "io", "de", "info", "shop", "xyz")
WORDS = ("amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo", "juniper",
         "kestrel", "lumen", "meadow", "nimbus", "onyx", "pepper", "quartz", "raven", "sable", "tundra")
HUB_PROVIDERS = 3  # DNS-hosting providers whose name servers hold most zones
PRIVACY_PROXIES = 4  # registrant addresses of privacy services
COMMON_JARMS = 12  # web-server stacks most addresses share
POPULAR = 300  # names nearly every host queries


@dataclass(frozen=True)
class Shape:
    """Counts at one scale."""

    domains: int
    hub_ips: int
    providers: int
    registrants: int
    rare_jarms: int
    hosts: int
    per_host: int
    actors: int
    feed_only: int

    @classmethod
    def at(cls, scale: float) -> Shape:
        def n(base: int, least: int = 1) -> int:
            return max(least, int(base * scale))

        return cls(domains=n(560_000, 2_000), hub_ips=n(300, 10), providers=n(4_000, 20), registrants=n(40_000, 50),
                   rare_jarms=n(2_000, 20), hosts=n(10_000, 20), per_host=n(90, 30) if scale < 1 else 90,
                   actors=n(50, 4), feed_only=n(850, 20))


def domain(i: int) -> str:
    return f"{WORDS[i % 20]}{WORDS[(i // 20) % 20]}{i}.{TLDS[(i // 400) % len(TLDS)]}"


def actor_domain(a: int, k: int) -> str:
    return f"{WORDS[(a + k) % 20]}-{WORDS[(a * 7 + k) % 20]}{a}x{k}.{TLDS[(a + k) % len(TLDS)]}"


def address(base: str, j: int) -> str:
    return str(ipaddress.IPv4Address(base) + j)


def digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def kind(i: int) -> str:
    """How name ``i`` is hosted: on a CDN hub, on shared hosting, or on an address of its own."""
    slot = i % 10
    return "cdn" if slot < 4 else "shared" if slot < 7 else "dedicated"


class PivotGraph:
    """The record stream of one generated graph, and what was planted in it."""

    def __init__(self, scale: float = 1.0, seed: int = 7) -> None:
        self.shape = Shape.at(scale)
        self.seed = seed
        self.planted: dict[str, list[str]] = {"actor_domains": [], "actor_ips": [], "seeds": [], "hub_domains": []}
        self.planted["hub_domains"] = [domain(i) for i in range(0, 40, 4)]  # names on CDN hub addresses
        self.estates: list[set[str]] = []  # per adversary: its names, addresses and name servers

    # ------------------------------------------------------------ addresses and attributes of name i
    def hub_ip(self, i: int) -> str:
        rng = random.Random(self.seed * 1_000_003 + i)
        return address("104.16.0.0", int(self.shape.hub_ips * rng.random() ** 3))  # a few hubs hold most names

    def ip_of(self, i: int) -> str:
        hosting = kind(i)
        if hosting == "cdn":
            return self.hub_ip(i)
        if hosting == "shared":
            return address("45.8.0.0", i // 25)  # about 7 names per shared-hosting address
        return address("23.0.0.0", i)

    def ns_of(self, i: int) -> list[str]:
        rng = random.Random(self.seed * 7_919 + i)
        roll = rng.random()
        if roll < 0.6:
            p = rng.randrange(HUB_PROVIDERS)
            return [f"ns1.dnshost{p}.net", f"ns2.dnshost{p}.net"]
        if roll < 0.97:
            p = int(self.shape.providers * rng.random() ** 2)
            return [f"ns1.hoster{p}.com", f"ns2.hoster{p}.com"]
        return [f"ns1.{domain(i)}"]  # self-hosted

    def registrant_of(self, i: int) -> str | None:
        roll = (i * 2_654_435_761) % 100
        if roll < 50:
            return f"proxy{roll % PRIVACY_PROXIES}@privacyguard.net"
        if roll < 75:
            owner = (i * 40_503) % self.shape.registrants
            return f"owner{owner}@{domain(owner)}"
        return None

    def jarm_of(self, ip_index: int, hub: bool) -> str | None:
        if hub or ip_index % 2 == 0:
            return f"jarm:{digest(f'stack{ip_index % COMMON_JARMS}', 62)}"
        if ip_index % 4 == 1:
            return f"jarm:{digest(f'rare{ip_index % self.shape.rare_jarms}', 62)}"
        return None

    # ------------------------------------------------------------ the stream
    def records(self) -> Iterator[Record]:
        """Every record: names with their DNS, certificates and registrants, then telemetry, then actors."""
        yield from self._infrastructure()
        yield from self._actors()
        yield from self._telemetry()

    def _seen(self, rng: random.Random) -> dict[str, int]:
        first = T0 + rng.randrange(SPAN)
        return {"first_seen": first, "last_seen": min(T0 + SPAN, first + rng.randrange(SPAN))}

    def _infrastructure(self) -> Iterator[Record]:
        shape = self.shape
        for i in range(shape.domains):
            rng = random.Random(self.seed * 104_729 + i)
            name, seen = domain(i), self._seen(rng)
            yield entity("Domain", name, **seen)
            ip = self.ip_of(i)
            yield Edge("RESOLVES_TO", "Domain", name, "IP", ip, {**seen, "sources": ["pdns"]})
            if i % 6 == 0:  # a second address some time later
                second = address("23.0.0.0", i + 1)
                yield Edge("RESOLVES_TO", "Domain", name, "IP", second, {**seen, "sources": ["pdns"]})
            for ns in self.ns_of(i):
                yield Edge("NS", "Domain", name, "Domain", ns, {**seen, "sources": ["dns"]})
            email = self.registrant_of(i)
            if email is not None:
                yield Edge("REGISTRANT", "Domain", name, "Email", email, {**seen, "sources": ["rdap"]})
            yield from self._certificate(i, name, ip, seen)
        yield from self._address_facts()

    def _certificate(self, i: int, name: str, ip: str, seen: dict[str, int]) -> Iterator[Record]:
        if kind(i) == "cdn":  # CDN certificates name up to 100 customers each
            cert = digest(f"cdn-cert-{ip}-{i // 1000}")
        elif i % 3 == 0:
            cert = digest(f"le-cert-{i}")
        else:
            return
        props = {**seen, "sources": ["tls"]}
        yield entity("Certificate", cert, not_before=seen["first_seen"] - DAY, not_after=seen["first_seen"] + 90 * DAY)
        yield Edge("SERVES_CERT", "Domain", name, "Certificate", cert, {**props, "ports": [443]})
        yield Edge("SAN", "Certificate", cert, "Domain", name, props)
        if kind(i) == "dedicated":
            yield Edge("SERVES_CERT", "IP", ip, "Certificate", cert, {**props, "ports": [443]})

    def _address_facts(self) -> Iterator[Record]:
        """JARMs and netblocks of every address the names use."""
        shape = self.shape
        spaces = (("104.16.0.0", shape.hub_ips, True), ("45.8.0.0", shape.domains // 25 + 1, False),
                  ("23.0.0.0", shape.domains + 1, False))
        for base, count, hub in spaces:
            for j in range(count):
                ip = address(base, j)
                if base == "23.0.0.0" and kind(j) != "dedicated" and kind(j - 1) != "dedicated":
                    continue
                seen = {"first_seen": T0, "last_seen": T0 + SPAN, "sources": ["scan"]}
                jarm = self.jarm_of(j, hub)
                if jarm is not None:
                    yield Edge("HAS_FINGERPRINT", "IP", ip, "Fingerprint", jarm, {**seen, "ports": [443]})
                block = str(ipaddress.ip_network(f"{ip}/24", strict=False))
                yield Edge("IN_NETBLOCK", "IP", ip, "Netblock", block, seen)
                if j % 256 == 0:
                    asn = f"{64_000 + (j >> 12) % 1_000 + (0 if hub else 1_000)}"
                    yield Edge("ANNOUNCED_BY", "Netblock", block, "ASN", asn, seen)

    def _actors(self) -> Iterator[Record]:
        """Adversary estates: dedicated addresses, a rare or own name server, one registrant, one certificate."""
        for a in range(self.shape.actors):
            rng = random.Random(self.seed * 31 + a)
            names = [actor_domain(a, k) for k in range(8)]
            ips = [address("185.220.0.0", a * 4 + k) for k in range(3)]
            ns = [f"ns1.{names[0]}"] if a % 2 else [f"ns1.hoster{self.shape.providers + a}.com"]
            email = f"ops{a}@{names[0]}"
            cert = digest(f"actor-cert-{a}")
            jarm = f"jarm:{digest(f'actor-jarm-{a}', 62)}"
            for k, name in enumerate(names):
                seen = self._seen(rng)
                yield entity("Domain", name, **seen)
                yield Edge("RESOLVES_TO", "Domain", name, "IP", ips[k % 3], {**seen, "sources": ["pdns"]})
                for server in ns:
                    yield Edge("NS", "Domain", name, "Domain", server, {**seen, "sources": ["dns"]})
                yield Edge("REGISTRANT", "Domain", name, "Email", email, {**seen, "sources": ["rdap"]})
                if k < 3:
                    yield Edge("SERVES_CERT", "Domain", name, "Certificate", cert, {**seen, "sources": ["tls"]})
                    yield Edge("SAN", "Certificate", cert, "Domain", name, {**seen, "sources": ["tls"]})
            parked = names[7]  # the trap: one name also on a CDN hub address
            yield Edge("RESOLVES_TO", "Domain", parked, "IP", self.hub_ip(0), {**self._seen(rng), "sources": ["pdns"]})
            for ip in ips:
                yield Edge("HAS_FINGERPRINT", "IP", ip, "Fingerprint", jarm, {"first_seen": T0, "sources": ["scan"]})
            self.planted["actor_domains"] += names
            self.estates.append({*names, *ips, *ns})
            self.planted["actor_ips"] += ips
            self.planted["seeds"] += [names[0], ips[0]]

    def _telemetry(self) -> Iterator[Record]:
        """Internal hosts querying names by popularity; a few query actor names; connections to some answers."""
        shape = self.shape
        actor_names = [actor_domain(a, k) for a in range(shape.actors) for k in (1, 4)]
        every = max(1, shape.hosts // len(actor_names))  # one host in this many queries an adversary name
        for h in range(shape.hosts):
            rng = random.Random(self.seed * 15_485_863 + h)
            host = address("10.20.0.0", h)
            picks = {rng.randrange(POPULAR) for _ in range(shape.per_host // 3)}
            picks |= {POPULAR + int((shape.domains - POPULAR) * rng.random() ** 2) for _ in range(shape.per_host)}
            for i in sorted(picks):
                seen = self._seen(rng)
                props = {**seen, "count": 1 + rng.randrange(40), "qtypes": ["A"], "sources": ["zeek"]}
                yield Edge("QUERIED", "Host", host, "Domain", domain(i), props)
                if i % 4 == 0:
                    yield Edge("CONNECTED_TO", "Host", host, "IP", self.ip_of(i),
                               {**seen, "ports": [443], "bytes_out": 1_000 + rng.randrange(9_000), "sources": ["zeek"]})
            if h % every == 0 and h // every < len(actor_names):
                exposure = {**self._seen(rng), "qtypes": ["A"], "sources": ["zeek"]}
                yield Edge("QUERIED", "Host", host, "Domain", actor_names[h // every], exposure)

    def indicator_list(self) -> list[str]:
        """About 1,000 indicators: every estate's seeds and more of its names, and feed-only names."""
        shape = self.shape
        listed = [actor_domain(a, k) for a in range(shape.actors) for k in (0, 1, 2, 5)]
        listed += [address("185.220.0.0", a * 4) for a in range(shape.actors)]
        listed += [f"{WORDS[n % 20]}-feed{n}.top" for n in range(shape.feed_only)]
        return listed


def write_indicator_list(graph: PivotGraph, path: Path) -> Path:
    path.write_text("# generated indicators (bench/pivot_graph.py)\n" + "\n".join(graph.indicator_list()) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    graph = PivotGraph(args.scale)
    counts: Counter[str] = Counter()
    for record in graph.records():
        counts[getattr(record, "type", None) or type(record).__name__] += 1
    for name, count in counts.most_common():
        print(f"{name:16} {count:>10,}")
    print(f"indicators       {len(graph.indicator_list()):>10,}")


if __name__ == "__main__":
    main()
