"""The Neo4j Browser guide: one runnable block per stored pivot and hunt, served with a CORS header, and every
block's Cypher runs on Neo4j with the parameters its ``:param`` lines set."""

from __future__ import annotations

import html
import re
import urllib.request
from pathlib import Path

from support import require_neo4j
from typer.testing import CliRunner

from graphpivot.browser_guide import GUIDE_PATH, example_params, guide_html, make_server, serve_in_thread
from graphpivot.catalog import Catalog
from graphpivot.cli import app
from graphpivot.store.base import GraphStore

BLOCK = re.compile(r'<pre class="pre-scrollable code runnable">(.*?)</pre>', re.S)


def test_guide_has_every_stored_query(tmp_path: Path) -> None:
    queries = [q for q in Catalog() if q.group in ("pivots", "hunts")]
    text = guide_html()
    blocks = [html.unescape(b) for b in BLOCK.findall(text)]
    assert len(blocks) == len(queries) == text.count('<slide class="row-fluid" id=')
    for query, block in zip(queries, blocks, strict=True):
        assert f'id="{query.id}"' in text
        for name in query.header.params:
            assert f":param {name} => " in block
    assert text.startswith('<article class="guide"') and "<script" not in text
    out = tmp_path / "guide.html"
    done = CliRunner().invoke(app, ["browser", "guide", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") == text


def test_guide_is_served_with_cors() -> None:
    text = guide_html()
    server = make_server(text, port=0)
    serve_in_thread(server)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}{GUIDE_PATH}", timeout=10) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert resp.read().decode("utf-8") == text
    finally:
        server.shutdown()
        server.server_close()


def test_guide_queries_run_on_neo4j(neo4j_store: GraphStore | None) -> None:
    store = require_neo4j(neo4j_store)
    for query in Catalog():
        if query.group in ("pivots", "hunts"):
            store.read(query.cypher_for("neo4j"), example_params(query))
