"""The same files give the same graph on Neo4j and Ladybug, read back through the engine-neutral dump."""

from __future__ import annotations

import json
from pathlib import Path

from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import check_nodes, check_rels, graph_dump, load, require_neo4j

from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

T0 = 1_700_000_000


def test_zeek_json_sample_is_the_same_graph_on_both_engines(
    data_dir: Path, tmp_path: Path, neo4j_store: GraphStore | None
) -> None:
    files = sorted((data_dir / "zeek-zat" / "json").glob("*.log"))
    neo = require_neo4j(neo4j_store)
    neo.clear()
    ladybug = LadybugStore(tmp_path / "graph.lbdb")
    ladybug.init_schema()
    try:
        for store in (ladybug, neo):
            load(store, read_zeek(files, network=Network(DEFAULT_INTERNAL)), source="zeek", observed_at=T0)
        embedded, server = graph_dump(ladybug), graph_dump(neo)
        assert embedded["nodes"] and embedded["edges"]
        assert embedded == server
        # Spot checks, read from the raw http.log: who fetched pages on the Ursnif sites, and that the
        # set-of-tuples helpers see the same on both engines.
        raw = [json.loads(line) for line in (data_dir / "zeek-zat" / "json" / "http.log").read_text().splitlines()]
        fetched = {(r["id.orig_h"], r["host"]) for r in raw if r.get("host", "").endswith("wensa.at")}
        assert fetched, "the sample holds requests to wensa.at"
        for store in (ladybug, neo):
            requested = {(host, url.split("/")[2]) for host, url in check_rels(store, "Host", "REQUESTED", "URL")}
            assert fetched <= requested
            assert {site for _, site in fetched} <= {k for (k, _) in check_nodes(store, "Domain", "kind")}
        queried = [check_rels(store, "Host", "QUERIED", "Domain", "count") for store in (ladybug, neo)]
        assert queried[0] and queried[0] == queried[1]
    finally:
        ladybug.close()
        neo.clear()
