"""Which targets a job touches: selected from the graph, then filtered for safety and freshness.

Selections are stored read queries: the built-ins live in ``cypher/enrich/``
(``indicators``, ``frontier``, ``all``: kept out of the pivot catalogue, they
return ``kind`` and ``key``), and ``--select`` also takes any pivot or hunt,
whose values in one column become targets. Everything runs through
``store.read`` with parameters.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphpivot import canonical as c
from graphpivot.catalog import Catalog, QueryError, StoredQuery, cypher_root, parse_query
from graphpivot.enrich.base import ANSWERED, PENDING, Target
from graphpivot.reference.install import REFERENCE_SOURCE
from graphpivot.reference.noise_flags import NOISE_SOURCE
from graphpivot.reference.service_match import CATALOGUE_SOURCE
from graphpivot.store.base import GraphStore

BUILTIN = ("indicators", "frontier", "all")
# Names that never belong on the public DNS (RFC 6761, 6762, 8375, ICANN's .internal).
SPECIAL_USE_SUFFIXES = ("localhost", "local", "invalid", "internal", "home.arpa", "lan", "intranet")

# Nodes only the reference lists put in the graph (web-service catalogue, noise list) are no target of a
# built-in selection: they are context, not something under investigation. Name them with --target.
REFERENCE_SOURCES = frozenset({CATALOGUE_SOURCE, NOISE_SOURCE, REFERENCE_SOURCE})
SKIP_INDICATOR = "indicator infrastructure (needs --active)"
SKIP_PRIVATE = "private or reserved (needs --allow-private)"
SKIP_FRESH = "enriched within --max-age"


def reference_only(sources: object) -> bool:
    """Whether a node's ``sources`` are all reference lists (and it has some)."""
    return isinstance(sources, list) and bool(sources) and set(sources) <= REFERENCE_SOURCES


def selection_query(name: str) -> StoredQuery:
    """A built-in selection from ``cypher/enrich/``, else a pivot or hunt from the catalogue."""
    path = cypher_root() / "enrich" / f"{name}.cypher"
    if path.is_file():
        return parse_query(path)
    return Catalog().get(name)


def targets_from_rows(rows: Iterable[dict[str, Any]], labels: tuple[str, ...], column: str | None) -> list[Target]:
    """Rows with ``kind`` and ``key`` are used as they are; otherwise ``column`` holds a domain or IP."""
    found: list[Target] = []
    for row in rows:
        if column is None and "kind" in row and "key" in row:
            label, key = str(row["kind"]), str(row["key"])
        else:
            name = column or next(iter(row), None)
            if name is None or name not in row:
                raise QueryError(f"selection has no column {name!r} (columns: {', '.join(row)})")
            value = row[name]
            if value is None:
                continue
            try:
                label, key = c.canonical_host(str(value))
            except c.InvalidValue:
                continue
        if label in labels:
            found.append(Target(label, key))
    return found


def explicit_targets(values: Iterable[str], labels: tuple[str, ...]) -> list[Target]:
    """Targets typed on the command line; raises InvalidValue naming the bad one."""
    found = []
    for value in values:
        label, key = c.canonical_host(value)
        if label not in labels:
            raise c.InvalidValue(f"{value!r} is a {label}; this job takes {' or '.join(labels)}")
        found.append(Target(label, key))
    return found


def reserved(target: Target) -> bool:
    """Private, loopback, link-local, documentation and other non-global addresses; special-use names."""
    if target.label == "IP":
        return not c.is_global_ip(target.key)
    return any(target.key == s or target.key.endswith("." + s) for s in SPECIAL_USE_SUFFIXES)


class IndicatorInfrastructure:
    """Knows which names and addresses belong to indicators, so passive jobs keep away from them.

    A name is indicator infrastructure when it, or a parent name, is an indicator
    or the host of an indicator URL, or when one of its (or its parents') name
    servers is under such a name: resolving it would send a query to the
    adversary's name servers. An address is when it is an indicator, the host of
    an indicator URL, or inside an indicator netblock.
    """

    def __init__(self, store: GraphStore) -> None:
        self.domains = {r["key"] for r in store.read("MATCH (d:Domain) WHERE d.indicator = true RETURN d.key AS key")}
        self.ips = {r["key"] for r in store.read("MATCH (i:IP) WHERE i.indicator = true RETURN i.key AS key")}
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for row in store.read("MATCH (n:Netblock) WHERE n.indicator = true RETURN n.key AS key"):
            try:
                self.networks.append(ipaddress.ip_network(row["key"], strict=False))
            except ValueError:
                continue
        for row in store.read("MATCH (u:URL) WHERE u.indicator = true RETURN u.key AS key"):
            try:
                label, host = c.url_host(str(row["key"]))  # from the key itself: no ON_HOST edge needed
            except (c.InvalidValue, ValueError):
                continue
            (self.ips if label == "IP" else self.domains).add(host)
        self.name_servers: dict[str, set[str]] = {}
        for row in store.read("MATCH (d:Domain)-[:NS]->(ns:Domain) RETURN d.key AS zone, ns.key AS ns"):
            self.name_servers.setdefault(row["zone"], set()).add(row["ns"])

    def _under_indicator(self, name: str) -> bool:
        labels = name.split(".")
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels)))

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, Target):
            return False
        if target.label == "IP":
            if target.key in self.ips:
                return True
            try:
                address = ipaddress.ip_address(target.key)
            except ValueError:
                return False
            return any(address.version == net.version and address in net for net in self.networks)
        if self._under_indicator(target.key):
            return True
        labels = target.key.split(".")
        zones = (".".join(labels[i:]) for i in range(len(labels)))
        return any(self._under_indicator(ns) for zone in zones for ns in self.name_servers.get(zone, ()))


@dataclass
class Plan:
    """What a job will touch, and what it leaves alone and why."""

    targets: list[Target]
    skipped: dict[str, list[Target]] = field(default_factory=dict)

    def skip(self, reason: str, target: Target) -> None:
        self.skipped.setdefault(reason, []).append(target)


def fresh_targets(store: GraphStore, job: str, cutoff: int) -> set[str]:
    """``Label:ref`` of the targets the job answered for at or after ``cutoff``."""
    rows = store.read(
        "MATCH (e:Enrichment) WHERE e.job = $job AND e.target IS NOT NULL AND e.checked_at >= $cutoff "
        "RETURN e.target_kind AS kind, e.target AS target, e.outcome AS outcome",
        {"job": job, "cutoff": cutoff},
    )
    return {f"{r['kind']}:{r['target']}" for r in rows if r["outcome"] in ANSWERED}


def pending_targets(store: GraphStore, job: str, run: str) -> list[Target]:
    """The targets a run planned and has not finished: what a resumed run still has to do."""
    rows = store.read(
        "MATCH (e:Enrichment) WHERE e.job = $job AND e.run = $run AND e.outcome = $pending "
        "RETURN e.target_kind AS kind, e.target AS target",
        {"job": job, "run": run, "pending": PENDING},
    )
    return sorted(Target.from_ref(r["kind"], r["target"]) for r in rows)


def plan(
    candidates: Iterable[Target],
    *,
    indicators: IndicatorInfrastructure | None,
    fresh: set[str],
    allow_private: bool,
    limit: int | None = None,
) -> Plan:
    """Filter candidates in a fixed order; ``indicators`` is None when the job is allowed to be active."""
    result = Plan(targets=[])
    for target in sorted(set(candidates)):
        if f"{target.label}:{target.ref}" in fresh:
            result.skip(SKIP_FRESH, target)
        elif not allow_private and reserved(target):
            result.skip(SKIP_PRIVATE, target)
        elif indicators is not None and target in indicators:
            result.skip(SKIP_INDICATOR, target)
        elif limit is not None and len(result.targets) >= limit:
            result.skip("over --limit", target)
        else:
            result.targets.append(target)
    return result
