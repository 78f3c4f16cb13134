"""The HTML picture without a browser: hostile values stay text, the vendored library is the recorded one,
the Browser style's colours reach the page."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from importlib import resources

from graphpivot.export.result_graph import ResultGraph, path_refs, refs_from_rows
from graphpivot.render.page import json_for_script, render_page
from graphpivot.render.style import browser_style, parse_grass

HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_vendored_cytoscape_is_the_recorded_file() -> None:
    vendor = resources.files("graphpivot.render").joinpath("vendor")
    data = vendor.joinpath("cytoscape.min.js").read_bytes()
    provenance = vendor.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in provenance
    assert "Permission is hereby granted" in vendor.joinpath("LICENSE-cytoscape.txt").read_text(encoding="utf-8")


def test_hostile_values_cannot_inject_markup() -> None:
    graph = ResultGraph(
        nodes={("Domain", HOSTILE): {"indicator": True}, ("IP", "192.0.2.1"): {"noise": True, "degree": 300}},
        edges={("RESOLVES_TO", "Domain", HOSTILE, "IP", "192.0.2.1"): {"first_seen": 1}},
        title=HOSTILE, query_id="shared-ip", params={"seed": HOSTILE}, rows=[{"domain": HOSTILE, "n": 1}],
    )
    page = render_page(graph)
    parser = Tags()
    parser.feed(page)
    assert parser.tags.count("script") == 3 and "img" not in parser.tags
    data = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', page, re.S)
    assert data is not None and "<" not in data.group(1)
    nodes = [e for e in json.loads(data.group(1))["elements"] if e["group"] == "nodes"]
    assert {n["data"]["key"] for n in nodes} == {HOSTILE, "192.0.2.1"}
    assert 'data-nodes="2" data-edges="1"' in page
    assert "content=\"default-src 'none'" in page
    ip = next(n for n in nodes if n["data"]["kind"] == "IP")
    assert "noise" in ip["classes"] and ip["data"]["color"] == browser_style().node("IP").color


def test_json_for_script_round_trips() -> None:
    value = {"a": "</script>&\u2028<!--"}
    assert json.loads(json_for_script(value)) == value


def test_grass_parsing() -> None:
    style = parse_grass("node { color: #111111; } node.IP { color: #F79767; diameter: 40px; }"
                        " relationship.NS { color: #4C8EDA; shaft-width: 3px; } /* node.X { color: red } */")
    assert style.node("IP").color == "#F79767" and style.node("IP").diameter == 40
    assert style.node("Other").color == "#111111" and style.edge("NS").width == 3
    assert "X" not in style.nodes


def test_refs_from_rows_and_paths() -> None:
    refs = refs_from_rows(
        [{"seed": "evil.example", "kind": "IP", "key": "192.0.2.1", "via": ["ns1.evil.example"],
          "via_kinds": ["Domain"], "indicator": True}],
        {"seeds": ["evil.example"]},
    )
    assert refs == {("Domain", "evil.example"), ("IP", "192.0.2.1"), ("Domain", "ns1.evil.example")}
    assert path_refs(["Host:10.0.0.1", "-QUERIED->", "Domain:a.example", "-[IP 192.0.2.1]-", "Domain:b.example"]) \
        == [("Host", "10.0.0.1"), ("Domain", "a.example"), ("IP", "192.0.2.1"), ("Domain", "b.example")]
