"""Graph files of a result: GraphML (Gephi, yEd, networkx) and CSV nodes/edges.

Node ids are ``Label:key`` (unique: keys are unique per label). Every node carries its
``label`` and ``key`` and the properties that are set (lists joined with ``;``, since
GraphML holds scalars only); every edge its ``type`` and properties. Times stay epoch
seconds (sortable, what Gephi's timeline wants) with ISO 8601 twins (``first_seen_iso``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphpivot.export.result_graph import Ref, ResultGraph
from graphpivot.output import is_time_column, iso

if TYPE_CHECKING:
    import networkx as nx

LIST_SEPARATOR = ";"
GRAPH_FORMATS = {".graphml": "graphml", ".csv": "csv"}


def node_id(ref: Ref) -> str:
    return f"{ref[0]}:{ref[1]}"


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _attributes(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in sorted(props.items()):
        if value is None:
            continue
        out[name] = _scalar(value)
        if is_time_column(name) and isinstance(value, int) and not isinstance(value, bool):
            out[f"{name}_iso"] = iso(value)
    return out


def to_networkx(graph: ResultGraph) -> nx.MultiDiGraph:
    """The result as a networkx multigraph (one edge per relationship type between two nodes)."""
    import networkx as nx

    g = nx.MultiDiGraph(name=graph.title or "graphpivot result")
    for ref in sorted(graph.nodes):
        g.add_node(node_id(ref), label=ref[0], key=ref[1], **_attributes(graph.nodes[ref]))
    for ekey in sorted(graph.edges):
        rel, src_label, src_key, dst_label, dst_key = ekey
        g.add_edge(node_id((src_label, src_key)), node_id((dst_label, dst_key)), key=rel, type=rel,
                   **_attributes(graph.edges[ekey]))
    return g


def _homogeneous(g: nx.MultiDiGraph) -> None:
    """GraphML declares one type per attribute name: make a name with mixed value types text."""
    for items in (list(g.nodes(data=True)), [(None, d) for *_, d in g.edges(keys=True, data=True)]):
        types: dict[str, set[type]] = {}
        for _, data in items:
            for name, value in data.items():
                types.setdefault(name, set()).add(type(value))
        mixed = {name for name, kinds in types.items() if len(kinds) > 1}
        for _, data in items:
            for name in mixed & set(data):
                data[name] = str(data[name])


def write_graphml(graph: ResultGraph, path: Path) -> None:
    import networkx as nx

    g = to_networkx(graph)
    _homogeneous(g)
    nx.write_graphml(g, path, encoding="utf-8", prettyprint=True, named_key_ids=True)


def csv_paths(path: Path) -> tuple[Path, Path]:
    """``X.csv`` gives ``X.nodes.csv`` and ``X.edges.csv``; a folder gives ``nodes.csv`` and ``edges.csv`` in it."""
    if path.suffix.lower() == ".csv":
        stem = path.with_suffix("")
        return stem.with_name(stem.name + ".nodes.csv"), stem.with_name(stem.name + ".edges.csv")
    return path / "nodes.csv", path / "edges.csv"


def write_csv(graph: ResultGraph, path: Path) -> tuple[Path, Path]:
    """Write the nodes and edges CSV files; returns their paths."""
    nodes_path, edges_path = csv_paths(path)
    nodes = [{"id": node_id(ref), "label": ref[0], "key": ref[1], **_attributes(graph.nodes[ref])}
             for ref in sorted(graph.nodes)]
    edges = [{"source": node_id((e[1], e[2])), "target": node_id((e[3], e[4])), "type": e[0],
              **_attributes(graph.edges[e])} for e in sorted(graph.edges)]
    for target, rows, first in ((nodes_path, nodes, ["id", "label", "key"]),
                                (edges_path, edges, ["source", "target", "type"])):
        extra = sorted({k for row in rows for k in row} - set(first))
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[*first, *extra])
            writer.writeheader()
            writer.writerows(rows)
    return nodes_path, edges_path


def write_graph_file(graph: ResultGraph, path: Path) -> list[Path]:
    """GraphML for ``*.graphml``; CSV nodes/edges for ``*.csv`` or a folder."""
    if path.suffix.lower() == ".graphml":
        write_graphml(graph, path)
        return [path]
    if path.suffix.lower() == ".csv" or path.is_dir():
        return list(write_csv(graph, path))
    raise ValueError(f"{path}: graph file must end in .graphml or .csv (or be a folder for nodes.csv/edges.csv)")
