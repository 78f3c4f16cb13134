"""Graph files and pictures of a demo pivot on both engines: GraphML and CSV open with the expected counts
(computed from the scenario's records, not the store), and headless Chromium draws the rendered page from a
local file with the expected number of nodes and edges."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import networkx as nx
from support import browse, load
from typer.testing import CliRunner

from graphpivot.catalog import Catalog
from graphpivot.cli import app
from graphpivot.demo_scenario import SEED, scenario
from graphpivot.export.graph_files import write_graph_file
from graphpivot.export.result_graph import ResultGraph, pivot_graph, refs_from_rows
from graphpivot.model import Edge, Node
from graphpivot.render.page import render_page
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

HOSTILE = "</script><img src=x onerror=alert(1)>"


def expected_counts(refs: set[tuple[str, str]]) -> tuple[int, int]:
    """Nodes (the named ones that exist, plus the web services operating them) and edges between them,
    from the scenario's records."""
    records = list(scenario())
    exists = {(r.label, r.key) for r in records if isinstance(r, Node)}
    exists |= {(e.src_label, e.src_key) for e in records if isinstance(e, Edge)}
    exists |= {(e.dst_label, e.dst_key) for e in records if isinstance(e, Edge)}
    nodes = refs & exists
    nodes |= {(e.dst_label, e.dst_key) for e in records if isinstance(e, Edge) and e.type == "OPERATED_BY"
              and (e.src_label, e.src_key) in nodes}
    edges = {(e.type, e.src_label, e.src_key, e.dst_label, e.dst_key) for e in records if isinstance(e, Edge)
             and (e.src_label, e.src_key) in nodes and (e.dst_label, e.dst_key) in nodes}
    domains = {key for label, key in nodes if label == "Domain"}
    # ingest adds SUBDOMAIN_OF from every name to its parent
    edges |= {("SUBDOMAIN_OF", "Domain", d, "Domain", d.split(".", 1)[1]) for d in domains
              if "." in d and d.split(".", 1)[1] in domains}
    return len(nodes), len(edges)


def _expand(store: GraphStore) -> tuple[ResultGraph, list[dict[str, Any]], dict[str, Any]]:
    query = Catalog().get("expand")
    params = query.bind({"seeds": SEED})
    found = store.read(query.cypher_for(store.engine), params)
    return pivot_graph(store, query.id, query.header.title, params, found, query.header.columns), found, params


def test_graph_files_and_picture(store: GraphStore, tmp_path: Path) -> None:
    load(store, scenario(), source="demo")
    graph, found, params = _expand(store)
    want_nodes, want_edges = expected_counts(refs_from_rows(found, params))
    assert (len(graph.nodes), len(graph.edges)) == (want_nodes, want_edges)
    assert want_nodes >= 6 and want_edges >= 6

    (graphml,) = write_graph_file(graph, tmp_path / "expand.graphml")
    g = nx.read_graphml(graphml)
    assert (g.number_of_nodes(), g.number_of_edges()) == (want_nodes, want_edges)
    seed = g.nodes[f"Domain:{SEED}"]
    assert seed["label"] == "Domain" and seed["key"] == SEED and seed["indicator"] is True
    assert {d["type"] for *_, d in g.edges(data=True)} >= {"RESOLVES_TO", "NS"}
    nodes_csv, edges_csv = write_graph_file(graph, tmp_path / "expand.csv")
    with nodes_csv.open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == want_nodes
    with edges_csv.open(encoding="utf-8") as fh:
        edge_rows = list(csv.DictReader(fh))
    assert len(edge_rows) == want_edges and {"source", "target", "type", "first_seen"} <= set(edge_rows[0])

    graph.rows.append({"seed": HOSTILE, "key": HOSTILE})  # a hostile value from intel, in the table
    page = tmp_path / "expand.html"
    page.write_text(render_page(graph), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom")
    main = re.search(r"<main [^>]*>", dom)
    assert main, dom[:500]
    attrs = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', main.group(0)))
    assert attrs["data-status"] == "drawn"
    assert (int(attrs["data-drawn-nodes"]), int(attrs["data-drawn-edges"])) == (want_nodes, want_edges)
    assert (int(attrs["data-nodes"]), int(attrs["data-edges"])) == (want_nodes, want_edges)
    assert "<img" not in dom and "&lt;/script&gt;&lt;img" in dom
    shot = tmp_path / "expand.png"
    browse(page, tmp_path, "--window-size=1400,900", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_cli_render_and_export_graph(tmp_path: Path) -> None:
    db = tmp_path / "demo.lbdb"
    lb = LadybugStore(db)
    lb.init_schema()
    load(lb, scenario(), source="demo")
    lb.close()
    run = CliRunner()
    base = ["--engine", "ladybug", "--db", str(db)]
    page = tmp_path / "pivot.html"
    done = run.invoke(app, [*base, "pivot", "run", "shared-ip", "-p", f"seed={SEED}", "--render", str(page)])
    assert done.exit_code == 0, done.output
    html = page.read_text(encoding="utf-8")
    assert 'data-nodes="4" data-edges="3"' in html and "cytoscape" in html
    out = tmp_path / "exposure.graphml"
    done = run.invoke(app, [*base, "export", "graph", "--exposure", SEED, "-o", str(out),
                            "--render", str(tmp_path / "exposure.html")])
    assert done.exit_code == 0, done.output
    g = nx.read_graphml(out)
    assert "Host:10.0.0.9" in g and g.has_edge("Host:10.0.0.9", f"Domain:{SEED}")
    done = run.invoke(app, [*base, "export", "graph", "--all", "-o", str(tmp_path / "all.graphml")])
    assert done.exit_code == 0, done.output
    whole = nx.read_graphml(tmp_path / "all.graphml")
    lb = LadybugStore(db)  # counted now: the CLI installed the reference data on first open
    node_counts, edge_counts = lb.counts()
    lb.close()
    assert (whole.number_of_nodes(), whole.number_of_edges()) == (sum(node_counts.values()),
                                                                   sum(edge_counts.values()))
    done = run.invoke(app, [*base, "exposure", SEED, "--render", str(tmp_path / "x.txt")])
    assert done.exit_code == 2 and "must end in .html" in done.output
