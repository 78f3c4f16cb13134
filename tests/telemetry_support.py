"""Helpers shared by the telemetry tests: whole-graph dumps for comparing two loads."""

from __future__ import annotations

from typing import Any

from support import rows

from graphpivot.store.base import GraphStore


def graph_dump(store: GraphStore) -> dict[str, Any]:
    """Every node and edge with its properties (sources and degree aside), lists sorted."""
    whole, rel = ("{0}", "label({0})") if store.engine == "ladybug" else ("properties({0})", "type({0})")
    nodes = {}
    for r in rows(store, f"MATCH (n) RETURN n.kind AS kind, n.key AS key, {whole.format('n')} AS props"):
        nodes[(r["kind"], r["key"])] = {k: v for k, v in r["props"].items() if k not in ("sources", "degree")}
    edges = {}
    query = f"MATCH (a)-[e]->(b) RETURN a.key AS a, b.key AS b, {whole.format('e')} AS props, {rel.format('e')} AS rel"
    for r in rows(store, query):
        props = {k: sorted(v) if isinstance(v, list) else v for k, v in r["props"].items() if k != "sources"}
        edges[(r["rel"], r["a"], r["b"])] = props
    return {"nodes": nodes, "edges": edges}


def nonzero_counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Node counts per label and edge counts per type, without the zeros."""
    nodes, edges = store.counts()
    return {k: v for k, v in nodes.items() if v}, {k: v for k, v in edges.items() if v}
