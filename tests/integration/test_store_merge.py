"""Merge semantics are the same on both engines: min, max, sum, union, or, latest."""

from __future__ import annotations

from support import load, rows

from graphpivot.model import Edge, entity
from graphpivot.store.base import GraphStore


def _observation(first: int, last: int, count: int, source: str, qtype: str) -> list[object]:
    return [
        entity("Host", "10.0.0.5"),
        entity("Domain", "c2.evil.com"),
        Edge(
            "QUERIED",
            "Host",
            "10.0.0.5",
            "Domain",
            "c2.evil.com",
            {"first_seen": first, "last_seen": last, "count": count, "sources": [source], "qtypes": [qtype]},
        ),
    ]


def test_edge_merge_rules_across_loads(store: GraphStore) -> None:
    load(store, _observation(100, 200, 3, "zeek", "A"))
    load(store, _observation(50, 150, 2, "eve", "AAAA"))
    load(store, _observation(120, 400, 1, "zeek", "A"))
    (edge,) = rows(
        store,
        "MATCH (h:Host {key: $h})-[q:QUERIED]->(d:Domain {key: $d}) "
        "RETURN q.first_seen AS first, q.last_seen AS last, q.count AS count, q.sources AS sources, q.qtypes AS qtypes",
        h="10.0.0.5",
        d="c2.evil.com",
    )
    assert (edge["first"], edge["last"], edge["count"]) == (50, 400, 6)
    assert sorted(edge["sources"]) == ["eve", "zeek"]
    assert sorted(edge["qtypes"]) == ["A", "AAAA"]


def test_duplicates_inside_one_batch_are_folded(store: GraphStore) -> None:
    records = _observation(100, 200, 3, "zeek", "A") + _observation(10, 20, 4, "zeek", "TXT")
    summary = load(store, records)
    assert summary.edges["QUERIED"] == 1
    (edge,) = rows(store, "MATCH ()-[q:QUERIED]->() RETURN q.first_seen AS f, q.last_seen AS l, q.count AS c")
    assert (edge["f"], edge["l"], edge["c"]) == (10, 200, 7)


def test_node_merge_indicator_or_and_latest(store: GraphStore) -> None:
    load(store, [entity("Domain", "x.evil.com", indicator=True, description="first")])
    load(store, [entity("Domain", "x.evil.com", description="second")])
    load(store, [entity("Domain", "x.evil.com", indicator=False)])
    (node,) = rows(
        store,
        "MATCH (d:Domain {key: $k}) RETURN d.indicator AS indicator, d.description AS description, "
        "d.kind AS kind, d.registered_domain AS reg",
        k="x.evil.com",
    )
    assert node == {"indicator": True, "description": "second", "kind": "Domain", "reg": "evil.com"}


def test_subdomain_chain_and_endpoint_nodes(store: GraphStore) -> None:
    load(store, _observation(1, 2, 1, "zeek", "A"))
    chain = rows(
        store,
        "MATCH (a:Domain)-[:SUBDOMAIN_OF]->(b:Domain) RETURN a.key AS child, b.key AS parent ORDER BY child",
    )
    assert chain == [{"child": "c2.evil.com", "parent": "evil.com"}]
    nodes, edges = store.counts()
    assert nodes["Domain"] == 2 and nodes["Host"] == 1
    assert edges["QUERIED"] == 1 and edges["SUBDOMAIN_OF"] == 1


def test_clear_empties_graph(store: GraphStore) -> None:
    load(store, _observation(1, 2, 1, "zeek", "A"))
    store.clear()
    nodes, edges = store.counts()
    assert sum(nodes.values()) == 0 and sum(edges.values()) == 0
