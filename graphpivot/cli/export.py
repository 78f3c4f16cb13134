"""``graphpivot export stix|misp|graph``: findings and pivots out to STIX 2.1, MISP, GraphML/CSV; ``--render``.

Each export takes one source: ``--findings FILE.json`` (``exposure --format json`` output or a
``hunt --report FILE.json``), ``--pivot ID --param name=value ...`` (a stored query run now),
``--hunt`` (the hunt pack run now); graph files also take ``--exposure SEED ...`` and ``--all``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from graphpivot.catalog import FOREVER, Catalog, QueryError
from graphpivot.cli import complete, detections, export_taxii
from graphpivot.cli.context import err, fail, state
from graphpivot.export.graph_files import write_graph_file
from graphpivot.export.result_graph import ResultGraph, findings_graph, pivot_graph, whole_graph
from graphpivot.export.selection import PivotRows, SelectionError, read_findings
from graphpivot.hunt.model import ExposureError, Options
from graphpivot.render.page import render_page
from graphpivot.store import QueryTimeout
from graphpivot.store.base import GraphStore

app = typer.Typer(help="Findings and pivots out of graphpivot: STIX 2.1, MISP, GraphML/CSV.", no_args_is_help=True)

RenderOption = Annotated[
    Path | None,
    typer.Option("--render", help="Also write a self-contained HTML picture of the result graph (FILE.html)."),
]
FINDING_COLUMNS = ["strength", "confidence", "host", "indicator", "evidence", "first_seen", "last_seen", "path",
                   "sources"]


def check_render(path: Path | None) -> None:
    """Exit early on a ``--render`` path that cannot be written."""
    if path is None:
        return
    if path.suffix.lower() not in (".html", ".htm"):
        fail(f"--render: {path} must end in .html")
    if not path.parent.is_dir():
        fail(f"--render: folder {path.parent} does not exist")


def write_render(path: Path, graph: ResultGraph) -> None:
    path.write_text(render_page(graph), encoding="utf-8")
    err.print(f"picture of {len(graph.nodes)} node(s) and {len(graph.edges)} edge(s) written to {path}",
              markup=False)


# ---------------------------------------------------------------- sources


FindingsOption = Annotated[
    Path | None, typer.Option("--findings", help="Findings JSON: exposure --format json, or hunt --report X.json.")
]
PivotOption = Annotated[str | None, typer.Option(
    "--pivot", help="Run this stored query and export its result.", autocompletion=complete.query_ids)]
ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="name=value for --pivot, repeatable.", autocompletion=complete.query_params)]
HuntOption = Annotated[bool, typer.Option("--hunt", help="Run the hunt pack (every indicator, expanded).")]


@dataclass
class Source:
    """Which result to export (exactly one of these)."""

    findings: Path | None = None
    pivot: str | None = None
    param: list[str] | None = None
    hunt: bool = False


def run_pivot(store: GraphStore, query_id: str, pairs: list[str]) -> PivotRows:
    from graphpivot.cli.pivot import parse_params

    try:
        query = Catalog().get(query_id)
        params = query.bind(parse_params(pairs))
        rows = store.read(query.cypher_for(store.engine), params)
    except QueryError as exc:
        fail(str(exc))
    except QueryTimeout as exc:
        fail(f"{query_id}: {exc}", 3)
    return PivotRows(query.id, query.header.title, params, rows, query.header.columns)


def run_hunt_findings(store: GraphStore) -> list[dict[str, Any]]:
    from graphpivot.hunt.pack import run_hunt
    from graphpivot.hunt.runner import Runner

    try:
        result = run_hunt(Runner(store), Options(expand=True))
    except (ExposureError, QueryError) as exc:
        fail(str(exc))
    return [f.as_dict() for f in result.findings]


def _one_source(source: Source, *extra: bool) -> None:
    chosen = sum([source.findings is not None, source.pivot is not None, source.hunt, *extra])
    if chosen != 1:
        fail("give exactly one source: --findings FILE, --pivot ID (with --param), or --hunt")
    if source.param and source.pivot is None:
        fail("--param goes with --pivot")


def _file_findings(path: Path) -> list[dict[str, Any]]:
    try:
        return read_findings(path)
    except SelectionError as exc:
        fail(str(exc))


def _select(ctx: typer.Context, source: Source) -> list[dict[str, Any]] | PivotRows:
    _one_source(source)
    if source.findings is not None:
        return _file_findings(source.findings)
    with state(ctx).store() as store:
        if source.pivot is not None:
            return run_pivot(store, source.pivot, source.param or [])
        return run_hunt_findings(store)


def _out(path: Path) -> None:
    if not path.parent.is_dir():
        fail(f"folder {path.parent} does not exist")


Output = Annotated[Path, typer.Option("--output", "-o", help="File to write.")]
GraphOutput = Annotated[Path, typer.Option(
    "--output", "-o", help="FILE.graphml, FILE.csv (FILE.nodes.csv, FILE.edges.csv) or a folder (nodes/edges.csv).")]


# ---------------------------------------------------------------- commands


def stix(
    ctx: typer.Context,
    output: Output,
    findings: FindingsOption = None,
    pivot: PivotOption = None,
    param: ParamOption = None,
    hunt: HuntOption = False,
    taxii: Annotated[str | None, typer.Option(
        "--taxii", help="Also push the bundle to this TAXII 2.1 API root (credentials: GRAPHPIVOT_TAXII_USER, "
        "GRAPHPIVOT_TAXII_PASSWORD).")] = None,
    collection: Annotated[str | None, typer.Option("--collection", help="TAXII collection id (with --taxii).")] = None,
) -> None:
    """A STIX 2.1 bundle: indicators, infrastructure, observables, relationships, sightings of exposed hosts."""
    from graphpivot.cli.export_taxii import push_bundle
    from graphpivot.export.stix_bundle import bundle_from_findings, bundle_from_pivot, serialize

    if (taxii is None) != (collection is None):
        fail("--taxii and --collection go together")
    _out(output)
    selected = _select(ctx, Source(findings, pivot, param, hunt))
    bundle = bundle_from_pivot(selected) if isinstance(selected, PivotRows) else bundle_from_findings(selected)
    output.write_text(serialize(bundle), encoding="utf-8")
    kinds: dict[str, int] = {}
    for obj in bundle["objects"]:
        kinds[obj["type"]] = kinds.get(obj["type"], 0) + 1
    err.print(f"STIX bundle written to {output}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())),
              markup=False)
    if taxii is not None and collection is not None:
        push_bundle(bundle, taxii, collection)


def misp(
    ctx: typer.Context,
    output: Output,
    findings: FindingsOption = None,
    pivot: PivotOption = None,
    param: ParamOption = None,
    hunt: HuntOption = False,
) -> None:
    """A MISP event (JSON, PyMISP objects): the findings' attributes, objects and sightings."""
    from graphpivot.export.misp_event import event_from_findings, event_from_pivot, event_json

    _out(output)
    selected = _select(ctx, Source(findings, pivot, param, hunt))
    event = event_from_pivot(selected) if isinstance(selected, PivotRows) else event_from_findings(selected)
    output.write_text(event_json(event), encoding="utf-8")
    sightings = sum(len(a.sightings) for a in event.attributes)
    err.print(f"MISP event written to {output}: {len(event.attributes)} attribute(s), {len(event.objects)} "
              f"object(s), {sightings} sighting(s)", markup=False)


def graph(
    ctx: typer.Context,
    output: GraphOutput,
    findings: FindingsOption = None,
    pivot: PivotOption = None,
    param: ParamOption = None,
    hunt: HuntOption = False,
    exposure: Annotated[
        list[str] | None, typer.Option("--exposure", help="Run exposure (expanded) for this seed, repeatable.")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="The whole graph.")] = False,
    render: RenderOption = None,
) -> None:
    """Graph files (GraphML for Gephi and yEd, CSV nodes/edges) of a pivot, an exposure result or the whole graph."""
    source = Source(findings, pivot, param, hunt)
    chosen = sum([findings is not None, pivot is not None, hunt, bool(exposure), everything])
    if chosen != 1:
        fail("give exactly one source: --findings FILE, --pivot ID (with --param), --hunt, --exposure SEED or --all")
    if output.suffix.lower() not in (".graphml", ".csv") and not output.is_dir():
        fail(f"{output}: must end in .graphml or .csv, or be an existing folder")
    _out(output)
    check_render(render)
    with state(ctx).store() as store:
        result = _graph_of(store, source, exposure or [], everything)
    written = write_graph_file(result, output)
    err.print(f"{len(result.nodes)} node(s), {len(result.edges)} edge(s) written to "
              + ", ".join(str(p) for p in written), markup=False)
    if render is not None:
        write_render(render, result)


def _graph_of(store: GraphStore, source: Source, seeds: list[str], everything: bool) -> ResultGraph:
    if everything:
        return whole_graph(store)
    if source.pivot is not None:
        rows = run_pivot(store, source.pivot, source.param or [])
        return pivot_graph(store, rows.query_id, rows.title, rows.params, rows.rows, rows.columns)
    if seeds:
        from graphpivot.hunt.exposure import Exposure
        from graphpivot.hunt.runner import Runner

        try:
            result = Exposure(Runner(store), Options(expand=True)).run(seeds)
        except (ExposureError, QueryError) as exc:
            fail(str(exc))
        found = [f.as_dict() for f in result.findings]
        return findings_graph(store, found, title=f"exposure to {', '.join(seeds)}", query_id="exposure",
                              columns=FINDING_COLUMNS)
    if source.hunt:
        found = run_hunt_findings(store)
        return findings_graph(store, found, title="hunt findings", query_id="hunt", columns=FINDING_COLUMNS)
    assert source.findings is not None
    found = _file_findings(source.findings)
    return findings_graph(store, found, since=0, until=FOREVER, title=f"findings from {source.findings.name}",
                          query_id="findings", columns=FINDING_COLUMNS)


app.command("stix")(stix)
app.command("misp")(misp)
app.command("graph")(graph)
app.command("zeek-intel")(detections.export_zeek_intel)
app.command("suricata")(detections.export_suricata)
app.command("rpz")(detections.export_rpz)
app.command("taxii")(export_taxii.taxii_push)
