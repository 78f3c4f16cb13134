"""A Neo4j Browser guide: one slide per stored query, each query a click away.

Neo4j Browser shows an HTML guide with ``:play URL`` (``<article class="guide">`` holding a
``<carousel>`` of ``<slide>`` elements); a ``<pre class="code runnable">`` block is copied into the
editor by one click. Each block here is the query's ``:param`` lines (its defaults, and an example
value for a required parameter, to edit) followed by its Cypher, as :func:`graphpivot.browser.editor_text`
writes it. Browser fetches remote guides only from hosts in ``browser.remote_content_hostname_allowlist``
(``localhost`` by default), and needs a CORS header: :func:`serve` gives both.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from graphpivot.browser import cypher_literal, editor_text
from graphpivot.catalog import Catalog, StoredQuery

GUIDE_PATH = "/graphpivot.html"
GROUPS = ("pivots", "hunts")
EXAMPLES = {"domain": "example.com", "host": "example.com", "ip": "192.0.2.1", "url": "https://example.com/",
            "str": "example.com", "sha256": "0" * 64, "int": 0, "time": 0, "bool": False, "float": 0.0,
            "fp_type": "jarm"}


def example_params(query: StoredQuery) -> dict[str, Any]:
    """Bound defaults, and an example of the right type for every required parameter."""
    raw: dict[str, Any] = {}
    for name, spec in query.header.params.items():
        if spec.required:
            inner = spec.type.removeprefix("list[").removesuffix("]")
            example = EXAMPLES.get(inner, "example.com")
            raw[name] = [example] if spec.type.startswith("list[") else example
    return query.bind(raw)


def runnable_text(query: StoredQuery) -> str:
    """The editor text of one query: ``:param`` lines, then the Cypher Neo4j runs."""
    params = example_params(query)
    try:
        return editor_text(query.cypher_for("neo4j"), params)
    except ValueError:  # characters a link could not carry are fine in a guide
        lines = [f":param {name} => {cypher_literal(value)};" for name, value in params.items()]
        return "\n".join([*lines, query.cypher_for("neo4j").rstrip(";") + ";"])


def _slide(query: StoredQuery) -> str:
    h = query.header
    e = html.escape
    required = [n for n, s in h.params.items() if s.required]
    note = (f"<p>Edit the example value of {', '.join(f'<code>{e(n)}</code>' for n in required)} "
            "in the <code>:param</code> lines, then run.</p>" if required else "<p>Click the block, then run.</p>")
    params = "".join(
        f"<li><code>{e(name)}</code> ({e(spec.type)}{', required' if spec.required else ''}): "
        f"{e(spec.description)}</li>" for name, spec in h.params.items()
    )
    return (
        f'<slide class="row-fluid" id="{e(h.id)}">\n<div class="col-sm-12">\n'
        f"<h3>{e(h.title)}</h3>\n<p><code>{e(h.id)}</code> ({e(query.group)}, {e(h.maturity)}; ATT&amp;CK "
        f"{e(', '.join(h.attack) or '-')})</p>\n<p>{e(h.description.strip())}</p>\n{note}\n"
        f'<figure><pre class="pre-scrollable code runnable">{e(runnable_text(query))}</pre></figure>\n'
        f"<ul>{params}</ul>\n</div>\n</slide>\n"
    )


def guide_html(catalog: Catalog | None = None) -> str:
    """The whole guide: an index slide, then one slide per stored pivot and hunt."""
    queries = [q for q in (catalog or Catalog()) if q.group in GROUPS]
    index = "".join(f"<li><code>{html.escape(q.id)}</code>: {html.escape(q.header.title)}</li>" for q in queries)
    first = (
        '<slide class="row-fluid">\n<div class="col-sm-12">\n<h3>graphpivot stored queries</h3>\n'
        "<p>One slide per stored pivot and hunt. Load the style first (<code>graphpivot pivot style</code>, "
        "drag the file onto Browser). Each block sets its parameters with <code>:param</code> and runs the "
        "query; the multi-statement editor runs both with one press of Run.</p>\n"
        f"<ol>{index}</ol>\n</div>\n</slide>\n"
    )
    slides = first + "".join(_slide(q) for q in queries)
    return (
        '<article class="guide" ng-controller="AppCtrl" data-queries="' + str(len(queries)) + '">\n'
        f'<carousel class="deck container-fluid">\n{slides}</carousel>\n</article>\n'
    )


def make_server(text: str, host: str = "127.0.0.1", port: int = 8001) -> ThreadingHTTPServer:
    """An HTTP server answering ``GET /graphpivot.html`` with the guide and a CORS header (Browser needs it)."""
    body = text.encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] not in (GUIDE_PATH, "/"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
