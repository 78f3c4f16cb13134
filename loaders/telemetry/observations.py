"""Telemetry facts folded for one window of lines, then emitted as node and edge records.

Logs repeat themselves (a host asks for the same name thousands of times), so
telemetry loaders fold each line into the pending edge of its endpoints with the
schema's merge rules (min/max times, summed counts and bytes, unions of small
lists) and emit every distinct edge once per window. Records come out in small
groups, the endpoint nodes of a group right before its edges (with canonical
properties derived once per key), which keeps the ingest path from validating
every endpoint again. Memory is bounded by the window (distinct edges and their
estimated bytes), not by the file.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphpivot.canonical import public_suffix, registered_domain
from graphpivot.model import Edge, Node, Record, entity
from graphpivot.schema import EVENTS_KEPT, RELS, Merge

EdgeKey = tuple[str, str, str, str, str]
NodeKey = tuple[str, str]

# Distinct values one list property (ports, user agents, ...) keeps per edge and window.
LIST_CAP = 32
# Estimated bytes of one window's edges (keys and list values) after which it is flushed.
MAX_WINDOW_BYTES = 256 << 20
# Estimated bytes of a pending edge beyond its keys (the slot, times, counts).
EDGE_OVERHEAD = 160
# Edges per emitted group; with their nodes well under the ingest batch size, so a group is never split.
GROUP = 1000
# What kind of sensor a telemetry load is, recorded on every edge from a Host as ``sensors``: the blind
# spots tell endpoint telemetry (the process on each edge) from what network, DNS-server, flow and proxy
# logs show, whatever ``--source`` a load was given.
SENSOR_KINDS = {
    "network": "a network sensor (Zeek, Suricata): DNS, flows, HTTP and TLS as seen on the wire",
    "dns": "a DNS server's own log (Route 53 Resolver, Windows DNS Server)",
    "flow": "flow records (VPC Flow Logs)",
    "proxy": "a web proxy or secure web gateway (Squid, Blue Coat, Zscaler, Netskope)",
    "endpoint": "endpoint telemetry (Sysmon): DNS and connections with the process",
}
# Labels whose remaining properties follow from the key alone.
_DERIVED_LABELS = frozenset({"Domain", "IP", "URL", "Fingerprint"})
# Bounded unions (Merge.SAMPLE, the raw-event ids): the smallest values are kept, whatever the order they come in.
_SAMPLE_PROPS = {rel: frozenset(p.name for p in spec.props if p.merge is Merge.SAMPLE) for rel, spec in RELS.items()}
_SUM_PROPS = {
    rel: frozenset(p.name for p in spec.props if p.merge is Merge.SUM and p.name != "count")
    for rel, spec in RELS.items()
}


@lru_cache(maxsize=65_536)
def derived_props(label: str, key: str) -> dict[str, Any]:
    """Properties the entity model derives from a canonical key (``registered_domain``, ``is_global``, ...).

    Domains and IPs, the bulk of telemetry, are derived here directly (the unit
    tests hold this to the entity model); other labels go through the model.
    """
    if label == "Domain":
        registered = registered_domain(key)
        props = {"registered_domain": registered, "tld": public_suffix(key), "is_registered": registered == key}
        return {k: v for k, v in props.items() if v is not None}
    if label == "IP":
        address = ipaddress.ip_address(key)
        return {"version": address.version, "is_global": address.is_global}
    return entity(label, key).props


@lru_cache(maxsize=65_536)
def parent_domains(name: str) -> tuple[str, ...]:
    """The ``SUBDOMAIN_OF`` chain the ingest path links a name to, nearest parent first."""
    labels = name.split(".")
    return tuple(".".join(labels[i:]) for i in range(1, len(labels) - 1))


class Observations:
    """Pending edges and nodes of one window; ``flush`` emits and forgets them."""

    def __init__(
        self,
        *,
        max_pending: int = 100_000,
        max_bytes: int = MAX_WINDOW_BYTES,
        props_of: dict[str, Callable[[str], dict[str, Any]]] | None = None,
        sensor: str | None = None,
    ) -> None:
        if sensor is not None and sensor not in SENSOR_KINDS:
            raise ValueError(f"unknown sensor kind {sensor!r}")
        self.sensor = sensor  # recorded on every edge from a Host (see SENSOR_KINDS)
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.pending_bytes = 0  # estimated size of the window's edges
        # label -> properties of a node of that label known outside the window (e.g. a Host's asset data)
        self.props_of = props_of or {}
        self._edges: dict[EdgeKey, list[Any]] = {}
        self._nodes: dict[NodeKey, list[Any]] = {}
        # While a line is open (:meth:`begin`), its facts wait here: a line that fails half-way
        # is rejected whole and loads nothing (:meth:`discard`), one that succeeds lands whole (:meth:`commit`).
        self._staged: list[tuple[Any, ...]] | None = None
        # Distinct list values dropped by LIST_CAP, per property, since the last :meth:`take_capped`.
        self.capped: dict[str, int] = {}

    def begin(self) -> None:
        """Open a line: facts are held until :meth:`commit` or :meth:`discard`."""
        self._staged = []

    def commit(self) -> int:
        """Fold the open line's facts; returns how many there were."""
        staged, self._staged = self._staged, None
        if not staged:
            return 0
        for op in staged:
            if op[0] == 0:
                self._edge(*op[1:])
            elif op[0] == 1:
                self._node(*op[1:])
            else:
                self._node_once(*op[1:])
        return len(staged)

    def discard(self) -> None:
        """Drop the open line's facts (the line is rejected)."""
        self._staged = None

    @property
    def full(self) -> bool:
        """True when the window holds ``max_pending`` distinct edges or ``max_bytes`` of them: flush it."""
        return len(self._edges) >= self.max_pending or self.pending_bytes >= self.max_bytes

    def node(self, label: str, key: str, props: dict[str, Any] | None = None, ts: int | None = None) -> None:
        """Note a node with explicit properties (latest value wins) and, optionally, a time it was seen."""
        if self._staged is not None:
            self._staged.append((1, label, key, props, ts))
            return
        self._node(label, key, props, ts)

    def _node(self, label: str, key: str, props: dict[str, Any] | None, ts: int | None) -> None:
        slot = self._nodes.get((label, key))
        if slot is None:
            self._nodes[(label, key)] = slot = [{}, ts, ts]
        elif ts is not None:
            _widen(slot, ts, ts)
        if props:
            slot[0].update((k, v) for k, v in props.items() if v is not None)

    def node_once(self, label: str, key: str, props: dict[str, Any]) -> None:
        """Note a node's properties unless the window already has them (cheap for per-line calls)."""
        if self._staged is not None:
            self._staged.append((2, label, key, props))
            return
        self._node_once(label, key, props)

    def _node_once(self, label: str, key: str, props: dict[str, Any]) -> None:
        if (label, key) not in self._nodes:
            self._nodes[(label, key)] = [dict(props), None, None]

    def edge(
        self, rel: str, src_label: str, src: str, dst_label: str, dst: str, ts: int, count: int = 1, **extra: Any
    ) -> None:
        """Fold one observation of an edge: times widen, ``count`` and byte props add up, list props unite.

        List properties take a single value or a list of values; ``None`` values are ignored.
        """
        if self._staged is not None:
            self._staged.append((0, rel, src_label, src, dst_label, dst, ts, count, extra))
            return
        self._edge(rel, src_label, src, dst_label, dst, ts, count, extra)

    def edge_span(
        self, rel: str, src_label: str, src: str, dst_label: str, dst: str, first: int, last: int, count: int,
        **extra: Any,
    ) -> None:
        """Fold an edge already aggregated over many lines (seen from ``first`` to ``last``, ``count`` times)."""
        self._edge(rel, src_label, src, dst_label, dst, first, count, extra, last)

    def _edge(
        self,
        rel: str,
        src_label: str,
        src: str,
        dst_label: str,
        dst: str,
        ts: int,
        count: int,
        extra: dict[str, Any],
        last: int | None = None,
    ) -> None:
        slot = (rel, src_label, src, dst_label, dst)
        acc = self._edges.get(slot)
        if last is None:
            last = ts
        if acc is None:
            self._edges[slot] = acc = [ts, last, count, {}]
            self.pending_bytes += EDGE_OVERHEAD + len(src) + len(dst)
        else:
            acc[0] = min(acc[0], ts)
            acc[1] = max(acc[1], last)
            acc[2] += count
        if extra:
            bag = acc[3]
            sums = _SUM_PROPS[rel]
            samples = _SAMPLE_PROPS[rel]
            for name, value in extra.items():
                if value is None:
                    continue
                if name in sums:
                    bag[name] = bag.get(name, 0) + value
                    continue
                if name in samples:
                    self._sample(bag, name, value)
                    continue
                seen = bag.get(name)
                if seen is None:
                    bag[name] = seen = {}
                for item in value if isinstance(value, list) else (value,):
                    if len(seen) < LIST_CAP:
                        if item not in seen:
                            seen[item] = None
                            self.pending_bytes += len(item) + 8 if isinstance(item, str) else 8
                    elif item not in seen:
                        self.capped[name] = self.capped.get(name, 0) + 1

    def _sample(self, bag: dict[str, Any], name: str, value: Any) -> None:
        """Fold values into a bounded union: the EVENTS_KEPT smallest stay.

        What it drops is not counted as skipped: an edge keeps a sample of its events by design (its ``count``
        says how many there were), and a count of drops would depend on the order lines and windows come in.
        """
        kept = bag.get(name)
        if kept is None:
            bag[name] = kept = set()
        for item in value if isinstance(value, list) else (value,):
            if item in kept:
                continue
            if len(kept) >= EVENTS_KEPT:
                largest = max(kept)
                if item >= largest:
                    continue
                kept.discard(largest)
                self.pending_bytes -= len(largest) + 8
            kept.add(item)
            self.pending_bytes += len(item) + 8

    def flush(self) -> Iterator[Record]:
        """Emit the window: groups of endpoint nodes followed by their edges, then nodes without edges."""
        edges, self._edges = self._edges, {}
        nodes, self._nodes = self._nodes, {}
        self.pending_bytes = 0
        for (_rel, src_label, src, dst_label, dst), acc in edges.items():
            for node in ((src_label, src), (dst_label, dst)):
                slot = nodes.get(node)
                if slot is None:
                    nodes[node] = [{}, acc[0], acc[1]]
                else:
                    _widen(slot, acc[0], acc[1])
        for (label, key), slot in list(nodes.items()):
            if label == "Domain" and slot[1] is not None:
                for parent in parent_domains(key):
                    _seen(nodes, ("Domain", parent), slot[1], slot[2])
        records: dict[NodeKey, Node] = {}  # each node's record, built once per window
        items = list(edges.items())
        for start in range(0, len(items), GROUP):
            group = items[start : start + GROUP]
            wanted: dict[NodeKey, None] = {}  # insertion order puts parent domains before their subdomains
            for (_rel, src_label, src, dst_label, dst), _acc in group:
                if src_label == "Domain":
                    _want_domain(wanted, src)
                else:
                    wanted[(src_label, src)] = None
                if dst_label == "Domain":
                    _want_domain(wanted, dst)
                else:
                    wanted[(dst_label, dst)] = None
            for node in wanted:
                record = records.get(node)
                if record is None:
                    records[node] = record = self._node_record(node[0], node[1], nodes[node])
                yield Node(record.label, record.key, dict(record.props))
            for (rel, src_label, src, dst_label, dst), acc in group:
                props = _edge_props(acc)
                if self.sensor is not None and src_label == "Host":
                    props["sensors"] = [self.sensor]
                yield Edge(rel, src_label, src, dst_label, dst, props)
        for node, slot in nodes.items():
            if node not in records:
                yield self._node_record(node[0], node[1], slot)

    def _node_record(self, label: str, key: str, slot: list[Any]) -> Node:
        props = dict(derived_props(label, key)) if label in _DERIVED_LABELS else {}
        known = self.props_of.get(label)
        if known is not None:
            props.update(known(key))
        props.update(slot[0])
        if slot[1] is not None:
            props["first_seen"] = slot[1]
            props["last_seen"] = slot[2]
        return Node(label, key, props)


def _widen(slot: list[Any], first: int, last: int) -> None:
    if slot[1] is None or first < slot[1]:
        slot[1] = first
    if slot[2] is None or last > slot[2]:
        slot[2] = last


def _seen(nodes: dict[NodeKey, list[Any]], node: NodeKey, first: int, last: int) -> None:
    slot = nodes.get(node)
    if slot is None:
        nodes[node] = [{}, first, last]
    else:
        _widen(slot, first, last)


def _want_domain(wanted: dict[NodeKey, None], name: str) -> None:
    if ("Domain", name) in wanted:
        return
    for parent in reversed(parent_domains(name)):
        wanted[("Domain", parent)] = None
    wanted[("Domain", name)] = None


def _edge_props(acc: list[Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"first_seen": acc[0], "last_seen": acc[1], "count": acc[2]}
    for name, value in acc[3].items():
        props[name] = list(value) if isinstance(value, dict) else sorted(value) if isinstance(value, set) else value
    return props
