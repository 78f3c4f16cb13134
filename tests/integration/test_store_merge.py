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
    routed = [entity("IP", "1.2.3.4"), entity("Netblock", "1.2.3.0/24"), entity("ASN", "13335"),
              Edge("ANNOUNCED_BY", "IP", "1.2.3.4", "ASN", "13335", {"first_seen": 1}),  # one type, two pairs
              Edge("ANNOUNCED_BY", "Netblock", "1.2.3.0/24", "ASN", "13335", {"first_seen": 1})]
    for _ in range(2):  # and a graph cleared loads again as into a new one
        load(store, [*_observation(1, 2, 1, "zeek", "A"), *routed])
        nodes, edges = store.counts()
        assert (nodes["Host"], nodes["ASN"], edges["QUERIED"], edges["ANNOUNCED_BY"]) == (1, 1, 1, 2)
        store.clear()
        nodes, edges = store.counts()
        assert sum(nodes.values()) == 0 and sum(edges.values()) == 0


def _hub_traffic() -> list[object]:
    """Two hosts revisiting the same names over time: every node and edge recurs in later batches."""
    records: list[object] = []
    for step in range(12):
        for host in ("10.0.0.5", "10.0.0.6"):
            for name in ("a.evil.com", "b.evil.com", f"n{step % 3}.evil.com"):
                ts = 1000 + 10 * step
                records += [
                    entity("Host", host, last_seen=ts),
                    entity("Domain", name),
                    Edge("QUERIED", "Host", host, "Domain", name,
                         {"first_seen": ts, "last_seen": ts, "count": 1, "qtypes": ["A" if step % 2 else "AAAA"]}),
                ]
    return records


def _dump(store: GraphStore) -> list[dict[str, object]]:
    return rows(
        store,
        "MATCH (x:Host)-[q:QUERIED]->(y:Domain) RETURN x.key AS h, y.key AS d, q.first_seen AS f, "
        "q.last_seen AS l, q.count AS c, q.qtypes AS t, x.last_seen AS hl ORDER BY h, d",
    )


def test_many_small_batches_merge_like_one(store: GraphStore) -> None:
    load(store, _hub_traffic(), batch_size=4)  # dozens of batches: existing edges are taken and merged each time
    small = _dump(store)
    store.clear()
    load(store, _hub_traffic(), batch_size=100_000)
    whole = _dump(store)
    for row in small + whole:
        row["t"] = sorted(row["t"])  # type: ignore[arg-type]
    assert small == whole
    assert len(whole) == 2 * 5  # two hosts x (a, b, n0, n1, n2)
    first = whole[0]
    assert (first["h"], first["d"], first["f"], first["l"], first["c"]) == ("10.0.0.5", "a.evil.com", 1000, 1110, 12)
    assert first["t"] == ["A", "AAAA"] and first["hl"] == 1110
    _, edges = store.counts()
    assert edges["QUERIED"] == 10  # no duplicate edges from re-created rows


def test_batch_size_is_the_engines_unless_set(store: GraphStore) -> None:
    from graphpivot.config import from_env
    from graphpivot.ingest import Ingestor

    assert from_env({}).batch_size is None
    assert Ingestor(store, "test").batch_size == store.batch_size
    assert Ingestor(store, "test", batch_size=from_env({"GRAPHPIVOT_BATCH_SIZE": "7"}).batch_size).batch_size == 7
    assert {"ladybug": 50_000, "neo4j": 5000}[store.engine] == store.batch_size
