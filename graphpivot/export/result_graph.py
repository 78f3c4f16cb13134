"""The graph behind a result: the nodes a pivot's rows or an exposure's findings name, and the edges between them.

Every export and picture starts here. A pivot row names nodes in its columns (``domain``,
``via_ip``, ``host`` with ``host_kind``, ``via`` with ``via_kinds`` ...), a finding names its
host, its indicator and every node on its evidence path. :func:`result_graph` reads those
nodes from the store with their properties, the edges of the schema between them that were
seen inside the time window, and the web services operating any of them (so a picture can
mark them). :func:`whole_graph` is every node and edge.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphpivot.canonical import InvalidValue, canonical_host
from graphpivot.catalog import FOREVER
from graphpivot.schema import NODES, RELS
from graphpivot.store.base import GraphStore

Ref = tuple[str, str]  # (label, key)
EdgeKey = tuple[str, str, str, str, str]  # (type, source label, source key, target label, target key)

# Pivot and hunt columns that always hold one node of one label.
COLUMN_LABELS = {
    "domain": "Domain",
    "via_ip": "IP",
    "via_ns": "Domain",
    "via_cert": "Certificate",
    "via_email": "Email",
    "via_fingerprint": "Fingerprint",
    "via_netblock": "Netblock",
    "zone": "Domain",
    "ip": "IP",
    "seed_ip": "IP",
    "fingerprint": "Fingerprint",
    "url": "URL",
    "service": "WebService",
}
# (key column, label column) pairs; lists pair element by element.
KIND_COLUMNS = (("host", "host_kind"), ("key", "kind"), ("attribute", "kind"), ("indicator", "indicator_kind"))
LIST_COLUMNS = (("via", "via_kinds"), ("keys", "kinds"))
GUESSED_COLUMNS = ("seed", "touched")  # a domain, IP, URL or fingerprint, told apart by its form
SEED_PARAMS = ("seed", "seeds", "from", "to", "indicators")
_PATH_NODE = re.compile(r"^(?P<label>[A-Z][A-Za-z]+):(?P<key>.+)$")
_PATH_VIA = re.compile(r"^-\[(?:via one of: )?(?P<steps>.+)\]-$")


def guess_ref(value: str) -> Ref | None:
    """The node a bare value names: a URL, a fingerprint (``ja3:...``), an IP or a domain."""
    text = str(value).strip()
    if not text:
        return None
    if "://" in text:
        return "URL", text
    prefix = text.split(":", 1)[0].lower()
    if ":" in text and prefix.isalpha() and prefix in _fingerprint_types():
        return "Fingerprint", text.lower()
    try:
        return canonical_host(text)
    except InvalidValue:
        return None


def _fingerprint_types() -> frozenset[str]:
    from graphpivot.canonical import FINGERPRINT_TYPES

    return frozenset(FINGERPRINT_TYPES)


def _ref(label: Any, key: Any) -> Ref | None:
    if isinstance(label, str) and label in NODES and isinstance(key, str | int) and str(key):
        return label, str(key)
    return None


def refs_from_rows(rows: Iterable[dict[str, Any]], params: dict[str, Any] | None = None) -> set[Ref]:
    """Every node a stored query's rows (and its seed parameters) name."""
    found: set[Ref] = set()
    for name in SEED_PARAMS:
        value = (params or {}).get(name)
        for item in value if isinstance(value, list) else [value] if value is not None else []:
            ref = guess_ref(str(item))
            if ref:
                found.add(ref)
    for row in rows:
        for column, label in COLUMN_LABELS.items():
            ref = _ref(label, row.get(column)) if isinstance(row.get(column), str) else None
            if ref:
                found.add(ref)
        for key_col, kind_col in KIND_COLUMNS:
            if kind_col in row:
                ref = _ref(row.get(kind_col), row.get(key_col))
                if ref:
                    found.add(ref)
        if isinstance(row.get("host"), str) and "host_kind" not in row:
            found.add(("Host", row["host"]))
        for keys_col, kinds_col in LIST_COLUMNS:
            keys, kinds = row.get(keys_col), row.get(kinds_col)
            if isinstance(keys, list) and isinstance(kinds, list):
                found.update(r for r in (_ref(k, v) for v, k in zip(keys, kinds, strict=False)) if r)
        for column in GUESSED_COLUMNS:
            value = row.get(column)
            for item in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
                ref = guess_ref(item)
                if ref:
                    found.add(ref)
    return found


def path_refs(path: Iterable[str]) -> list[Ref]:
    """Nodes on an evidence path (``Host:h -QUERIED-> Domain:x -[IP 1.2.3.4]- Domain:seed``)."""
    found: list[Ref] = []
    for token in path:
        node = _PATH_NODE.match(token)
        if node and node.group("label") in NODES:
            found.append((node.group("label"), node.group("key")))
            continue
        via = _PATH_VIA.match(token)
        if via:
            for step in via.group("steps").split(", "):
                label, _, key = step.partition(" ")
                ref = _ref(label, key)
                if ref:
                    found.append(ref)
    return found


def refs_from_findings(findings: Iterable[dict[str, Any]]) -> set[Ref]:
    """Every node exposure findings (their plain form) name: host, indicator, the evidence path."""
    found: set[Ref] = set()
    for f in findings:
        found.add(("Host", str(f["host"])))
        ref = _ref(f.get("indicator_kind"), f.get("indicator"))
        if ref:
            found.add(ref)
        found.update(path_refs(f.get("path") or []))
    return found


@dataclass
class ResultGraph:
    """Nodes and edges of one result, with what produced it (title, query, parameters, window, rows)."""

    nodes: dict[Ref, dict[str, Any]] = field(default_factory=dict)
    edges: dict[EdgeKey, dict[str, Any]] = field(default_factory=dict)
    title: str = ""
    query_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    since: int = 0
    until: int = FOREVER
    engine: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def degree(self, ref: Ref) -> int:
        """Edges of this graph at the node."""
        return sum(1 for e in self.edges if (e[1], e[2]) == ref or (e[3], e[4]) == ref)


def _node_props(store: GraphStore, label: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    names = [p.name for p in NODES[label].props]
    columns = "".join(f", n.{p} AS {p}" for p in names)
    found = store.read(f"MATCH (n:{label}) WHERE n.key IN $keys RETURN n.key AS key{columns}", {"keys": keys})
    return {str(r["key"]): {p: r[p] for p in names if r.get(p) is not None} for r in found}


def _edges_between(
    store: GraphStore, by_label: dict[str, list[str]], since: int, until: int, skip: frozenset[str] = frozenset()
) -> dict[EdgeKey, dict[str, Any]]:
    edges: dict[EdgeKey, dict[str, Any]] = {}
    for rel, spec in RELS.items():
        if rel in skip:
            continue
        names = [p.name for p in spec.props]
        columns = "".join(f", e.{p} AS {p}" for p in names)
        for src, dst in spec.pairs:
            if not by_label.get(src) or not by_label.get(dst):
                continue
            cypher = (
                f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) WHERE a.key IN $src AND b.key IN $dst "
                "AND coalesce(e.last_seen, $since) >= $since AND coalesce(e.first_seen, $until) <= $until "
                f"RETURN a.key AS a, b.key AS b{columns}"
            )
            params = {"src": by_label[src], "dst": by_label[dst], "since": since, "until": until}
            for r in store.read(cypher, params):
                edges[(rel, src, str(r["a"]), dst, str(r["b"]))] = {p: r[p] for p in names if r.get(p) is not None}
    return edges


def result_graph(
    store: GraphStore, refs: Iterable[Ref], *, since: int = 0, until: int = FOREVER, **meta: Any
) -> ResultGraph:
    """The nodes ``refs`` that exist, the edges between them seen in ``since..until``, and their web services."""
    by_label: dict[str, list[str]] = {}
    for label, key in sorted(set(refs)):
        by_label.setdefault(label, []).append(key)
    nodes: dict[Ref, dict[str, Any]] = {}
    for label, keys in by_label.items():
        for key, props in _node_props(store, label, keys).items():
            nodes[(label, key)] = props
    present: dict[str, list[str]] = {}
    for label, key in sorted(nodes):
        present.setdefault(label, []).append(key)
    services: set[str] = set()
    for src in ("Domain", "URL"):
        if present.get(src):
            found = store.read(
                f"MATCH (a:{src})-[:OPERATED_BY]->(w:WebService) WHERE a.key IN $keys RETURN DISTINCT w.key AS key",
                {"keys": present[src]},
            )
            services.update(str(r["key"]) for r in found)
    new_services = sorted(services - set(present.get("WebService", [])))
    if new_services:
        for key, props in _node_props(store, "WebService", new_services).items():
            nodes[("WebService", key)] = props
        present["WebService"] = sorted({*present.get("WebService", []), *new_services})
    edges = _edges_between(store, present, since, until)
    return ResultGraph(nodes=nodes, edges=edges, since=since, until=until, engine=store.engine, **meta)


def whole_graph(store: GraphStore, **meta: Any) -> ResultGraph:
    """Every node and edge of the store."""
    nodes: dict[Ref, dict[str, Any]] = {}
    for label, spec in NODES.items():
        names = [p.name for p in spec.props]
        columns = "".join(f", n.{p} AS {p}" for p in names)
        for r in store.read(f"MATCH (n:{label}) RETURN n.key AS key{columns}"):
            nodes[(label, str(r["key"]))] = {p: r[p] for p in names if r.get(p) is not None}
    edges: dict[EdgeKey, dict[str, Any]] = {}
    for rel, rspec in RELS.items():
        names = [p.name for p in rspec.props]
        columns = "".join(f", e.{p} AS {p}" for p in names)
        for src, dst in rspec.pairs:
            for r in store.read(f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key AS a, b.key AS b{columns}"):
                edges[(rel, src, str(r["a"]), dst, str(r["b"]))] = {p: r[p] for p in names if r.get(p) is not None}
    return ResultGraph(nodes=nodes, edges=edges, title=meta.pop("title", "the whole graph"), engine=store.engine,
                       **meta)


def _window(params: dict[str, Any]) -> tuple[int, int]:
    since, until = params.get("since"), params.get("until")
    return (since if isinstance(since, int) else 0), (until if isinstance(until, int) else FOREVER)


def pivot_graph(
    store: GraphStore, query_id: str, title: str, params: dict[str, Any], rows: list[dict[str, Any]],
    columns: list[str] | None = None,
) -> ResultGraph:
    """The graph of a stored query's result: the nodes its rows and seeds name, and the edges between them."""
    since, until = _window(params)
    return result_graph(store, refs_from_rows(rows, params), since=since, until=until, title=title,
                        query_id=query_id, params=params, rows=rows, columns=list(columns or []))


def findings_graph(
    store: GraphStore, findings: list[dict[str, Any]], *, since: int = 0, until: int = FOREVER, title: str,
    query_id: str, columns: list[str] | None = None,
) -> ResultGraph:
    """The graph of exposure findings (plain form): hosts, indicators, every node on their evidence paths."""
    rows = [{**f, "path": " ".join(f.get("path") or [])} for f in findings]
    params = {"since": since, "until": until}
    return result_graph(store, refs_from_findings(findings), since=since, until=until, title=title,
                        query_id=query_id, params=params, rows=rows, columns=list(columns or []))
