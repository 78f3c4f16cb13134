"""A self-contained HTML picture of a result graph, with its rows beside it.

The page inlines the vendored cytoscape.js (``vendor/``, MIT) and carries its data as JSON in a
``<script type="application/json">`` block, so it opens from a file with no network access (a
Content-Security-Policy forbids every fetch). Colours and sizes come from the Neo4j Browser style;
a node's size grows with its degree (how many domains use an attribute, else its edges here);
noise is drawn dashed and grey, web services as diamonds, indicators with a dark red ring.

Values from intel are hostile input: the JSON block escapes ``<``, ``>``, ``&`` and the line
separators, the table is built with :func:`html.escape`, and the graph's captions are drawn on a
canvas, never parsed as HTML. The page states what it drew in its DOM: the ``<main>`` element
carries ``data-nodes``/``data-edges`` (the graph) and, once cytoscape has laid it out,
``data-drawn-nodes``/``data-drawn-edges`` and ``data-status="drawn"``.
"""

from __future__ import annotations

import html
import json
import math
from functools import cache
from importlib import resources
from typing import Any

from graphpivot.export.result_graph import Ref, ResultGraph
from graphpivot.output import is_time_column, iso
from graphpivot.render.style import Style, browser_style

CAPTION_CHARS = 38
MAX_TABLE_ROWS = 500
INDICATOR_RING = "#8B0000"
NOISE_COLOUR = "#C8C8C8"
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:"
CSS = """
body{font-family:system-ui,sans-serif;margin:0;color:#222}
header{padding:.6em 1em;border-bottom:1px solid #ddd}
header h1{font-size:1.2em;margin:0 0 .2em}
header p{margin:.15em 0;font-size:.9em}
.layout{display:flex;height:calc(100vh - 7.5em);min-height:30em}
#graph{flex:3;min-width:0;border-right:1px solid #ddd}
#rows{flex:2;overflow:auto;font-size:.8em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ddd;padding:.2em .4em;text-align:left;vertical-align:top;word-break:break-all}
th{background:#f3f3f3;position:sticky;top:0}
.legend span{display:inline-block;margin-right:.8em}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.25em;vertical-align:middle}
code{font-size:90%}
"""
SCRIPT = """
(function () {
  var main = document.getElementById('graphpivot-result');
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  var cy = cytoscape({
    container: document.getElementById('graph'),
    elements: data.elements,
    wheelSensitivity: 0.3,
    style: [
      {selector: 'node', style: {
        'background-color': 'data(color)', 'border-color': 'data(border)', 'border-width': 2,
        'width': 'data(size)', 'height': 'data(size)', 'label': 'data(caption)', 'font-size': 9,
        'text-valign': 'bottom', 'text-margin-y': 3, 'color': '#222',
        'text-background-color': '#fff', 'text-background-opacity': 0.7}},
      {selector: 'node.indicator', style: {'border-color': '%(ring)s', 'border-width': 5}},
      {selector: 'node.noise', style: {'border-style': 'dashed', 'background-color': '%(noise)s'}},
      {selector: 'node.webservice', style: {'shape': 'round-diamond'}},
      {selector: 'node.on-webservice', style: {'border-style': 'double', 'border-width': 6}},
      {selector: 'edge', style: {
        'line-color': 'data(color)', 'target-arrow-color': 'data(color)', 'target-arrow-shape': 'triangle',
        'width': 'data(width)', 'curve-style': 'bezier', 'label': 'data(type)', 'font-size': 7,
        'text-rotation': 'autorotate', 'color': '#555'}}
    ],
    layout: {name: 'cose', animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 90,
             padding: 30}
  });
  cy.ready(function () {
    main.setAttribute('data-drawn-nodes', String(cy.nodes().length));
    main.setAttribute('data-drawn-edges', String(cy.edges().length));
    main.setAttribute('data-status', 'drawn');
  });
  window.graphpivotCy = cy;
})();
"""


@cache
def cytoscape_js() -> str:
    """The vendored cytoscape.js (checked to hold no ``</script``, so it can be inlined as it is)."""
    text = resources.files("graphpivot.render").joinpath("vendor/cytoscape.min.js").read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise RuntimeError("vendored cytoscape.min.js holds '</script' and cannot be inlined")
    return text


def json_for_script(value: Any) -> str:
    """JSON that is inert inside a ``<script>`` element (no tag, entity or line-separator can end it)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _caption(ref: Ref, props: dict[str, Any]) -> str:
    text = str(props.get("name") or ref[1]) if ref[0] in ("WebService", "Report", "Threat") else ref[1]
    return text if len(text) <= CAPTION_CHARS else text[: CAPTION_CHARS - 1] + "…"


def elements(graph: ResultGraph, style: Style) -> list[dict[str, Any]]:
    """Cytoscape elements: one node per graph node, one edge per relationship."""
    on_service = {(e[1], e[2]) for e in graph.edges if e[0] == "OPERATED_BY"}
    ids = {ref: f"n{n}" for n, ref in enumerate(sorted(graph.nodes))}
    out: list[dict[str, Any]] = []
    for ref in sorted(graph.nodes):
        props = graph.nodes[ref]
        look = style.node(ref[0])
        stored = props.get("degree")
        degree = int(stored) if isinstance(stored, int) and not isinstance(stored, bool) else graph.degree(ref)
        classes = [cls for cls, on in (("indicator", props.get("indicator") is True),
                                       ("noise", props.get("noise") is True),
                                       ("webservice", ref[0] == "WebService"),
                                       ("on-webservice", ref in on_service)) if on]
        out.append({
            "group": "nodes",
            "data": {"id": ids[ref], "kind": ref[0], "key": ref[1], "caption": _caption(ref, props),
                     "color": look.color, "border": look.border, "degree": degree,
                     "size": round(look.diameter * 0.6 * (1 + math.log2(1 + degree) / 3), 1),
                     "noise_reason": props.get("noise_reason") or ""},
            "classes": " ".join(classes),
        })
    for n, ekey in enumerate(sorted(graph.edges)):
        rel, src_label, src_key, dst_label, dst_key = ekey
        look_edge = style.edge(rel)
        out.append({"group": "edges", "data": {
            "id": f"e{n}", "source": ids[(src_label, src_key)], "target": ids[(dst_label, dst_key)], "type": rel,
            "color": look_edge.color, "width": look_edge.width}})
    return out


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if is_time_column(name):
        value = iso(value)
    if isinstance(value, list):
        return ", ".join(_cell(name, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def rows_table(graph: ResultGraph) -> str:
    rows = graph.rows[:MAX_TABLE_ROWS]
    columns = graph.columns or (list(rows[0]) if rows else [])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(c, row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows
    )
    more = (f"<p>{len(graph.rows) - len(rows)} more row(s) not shown.</p>" if len(graph.rows) > len(rows) else "")
    return f'<table id="rows-table" data-rows="{len(graph.rows)}"><thead><tr>{head}</tr></thead>' \
           f"<tbody>{body}</tbody></table>{more}"


def _legend(graph: ResultGraph, style: Style) -> str:
    labels = sorted({ref[0] for ref in graph.nodes})
    items = "".join(
        f'<span><i class="swatch" style="background:{style.node(label).color}"></i>{html.escape(label)}</span>'
        for label in labels
    )
    return (f'<p class="legend">{items}<span>size: degree</span><span>dashed grey: noise</span>'
            "<span>diamond: web service</span><span>double ring: on a web service</span>"
            "<span>dark red ring: indicator</span></p>")


def render_page(graph: ResultGraph, style: Style | None = None) -> str:
    """The HTML page for ``graph``."""
    look = style or browser_style()
    data = {"elements": elements(graph, look)}
    params = ", ".join(f"{k}={_cell(k, v)}" for k, v in sorted(graph.params.items()) if v is not None)
    title = graph.title or graph.query_id or "graphpivot result"
    window = f"{iso(graph.since)} .. {iso(graph.until)}"
    e = html.escape
    script = SCRIPT % {"ring": INDICATOR_RING, "noise": NOISE_COLOUR}
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body>\n"
        f'<main id="graphpivot-result" data-nodes="{len(graph.nodes)}" data-edges="{len(graph.edges)}" '
        f'data-rows="{len(graph.rows)}" data-status="loading">\n'
        f"<header><h1>{e(title)}</h1>"
        f"<p>query <code>{e(graph.query_id or '-')}</code> on {e(graph.engine or '-')}; parameters "
        f"<code>{e(params or '-')}</code></p>"
        f'<p>time window <span id="window" data-since="{graph.since}" data-until="{graph.until}">{e(window)}</span>'
        f" (UTC); {len(graph.nodes)} node(s), {len(graph.edges)} edge(s), {len(graph.rows)} row(s)</p>"
        f"{_legend(graph, look)}</header>\n"
        '<div class="layout"><div id="graph"></div><div id="rows">'
        f"{rows_table(graph)}</div></div>\n</main>\n"
        f'<script id="graph-data" type="application/json">{json_for_script(data)}</script>\n'
        f"<script>{cytoscape_js()}</script>\n<script>{script}</script>\n</body></html>\n"
    )
