"""The Neo4j Browser style (``cypher/browser/graphpivot.grass``) read into colours and sizes for a page.

GraSS is a small CSS dialect: ``node.Label { color: #...; border-color: ...; diameter: 50px; }``
and ``relationship.TYPE { color: ...; shaft-width: 2px; }``. One file gives Browser and the
rendered pages the same colours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from graphpivot.catalog import cypher_root

_RULE = re.compile(r"(?P<selector>[\w.\-]+)\s*\{(?P<body>[^}]*)\}", re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{3,8}$")


@dataclass(frozen=True)
class NodeStyle:
    color: str = "#A5ABB6"
    border: str = "#9AA1AC"
    text: str = "#FFFFFF"
    diameter: int = 50


@dataclass(frozen=True)
class EdgeStyle:
    color: str = "#A5ABB6"
    width: int = 1


@dataclass(frozen=True)
class Style:
    nodes: dict[str, NodeStyle] = field(default_factory=dict)
    edges: dict[str, EdgeStyle] = field(default_factory=dict)
    node_default: NodeStyle = NodeStyle()
    edge_default: EdgeStyle = EdgeStyle()

    def node(self, label: str) -> NodeStyle:
        return self.nodes.get(label, self.node_default)

    def edge(self, rel: str) -> EdgeStyle:
        return self.edges.get(rel, self.edge_default)


def _props(body: str) -> dict[str, str]:
    out = {}
    for part in body.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            out[name.strip()] = value.strip().strip("'\"")
    return out


def _colour(value: str | None, default: str) -> str:
    return value if value and _COLOUR.match(value) else default


def _px(value: str | None, default: int) -> int:
    match = re.match(r"^(\d+)", value or "")
    return int(match.group(1)) if match else default


def parse_grass(text: str) -> Style:
    """Node and relationship styles from GraSS text (unknown properties ignored)."""
    nodes: dict[str, NodeStyle] = {}
    edges: dict[str, EdgeStyle] = {}
    node_default, edge_default = NodeStyle(), EdgeStyle()
    for match in _RULE.finditer(_COMMENT.sub("", text)):
        kind, _, name = match.group("selector").partition(".")
        p = _props(match.group("body"))
        if kind == "node":
            base = node_default
            made = NodeStyle(_colour(p.get("color"), base.color), _colour(p.get("border-color"), base.border),
                             _colour(p.get("text-color-internal"), base.text), _px(p.get("diameter"), base.diameter))
            if name:
                nodes[name] = made
            else:
                node_default = made
        elif kind == "relationship":
            made_edge = EdgeStyle(_colour(p.get("color"), edge_default.color),
                                  _px(p.get("shaft-width"), edge_default.width))
            if name:
                edges[name] = made_edge
            else:
                edge_default = made_edge
    return Style(nodes, edges, node_default, edge_default)


@cache
def browser_style() -> Style:
    """The shipped Neo4j Browser style."""
    return parse_grass((cypher_root() / "browser" / "graphpivot.grass").read_text(encoding="utf-8"))
