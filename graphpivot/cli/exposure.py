"""``graphpivot exposure``: which internal hosts touched indicator infrastructure, with graded evidence."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from graphpivot.browser import browser_link
from graphpivot.canonical import url_host
from graphpivot.catalog import FOREVER, Catalog, QueryError, parse_time
from graphpivot.cli.context import err, fail, state
from graphpivot.cli.export import RenderOption, check_render, write_render
from graphpivot.cli.options import Browser, HuntFlags, option_block
from graphpivot.cli.progress import query_progress
from graphpivot.config import HuntDefaults
from graphpivot.export.result_graph import findings_graph
from graphpivot.hunt.exposure import Exposure, parse_seed
from graphpivot.hunt.model import ExposureError, Finding, Options
from graphpivot.hunt.runner import QueryRun, Runner
from graphpivot.hunt.triage import apply_marks, read_marks
from graphpivot.hunt.vocabulary import Strength
from graphpivot.output import FORMATS, render
from graphpivot.presence import EXIT_EMPTY, EXIT_UNKNOWN_SEED, present
from graphpivot.store import QueryTimeout
from graphpivot.store.base import GraphStore

TABLE_COLUMNS = [
    "strength", "confidence", "host", "indicator", "evidence", "first_seen", "last_seen", "path", "sources", "events",
]
CSV_COLUMNS = [*TABLE_COLUMNS, "indicator_kind", "threats", "attack", "telemetry", "touched", "reasons", "count",
               "bytes_out", "valid_from", "valid_until"]

def time_option(value: str | None, name: str, default: int) -> int:
    """A --since/--until value, or exit with a message naming the option."""
    if value is None:
        return default
    try:
        return parse_time(value)
    except ValueError as exc:
        fail(f"{name}: {exc}")


def make_options(flags: HuntFlags, defaults: HuntDefaults, *, expand: bool) -> Options:
    """Run options from the CLI flags over the settings' hunt defaults, checked."""
    knobs = {
        "max_fanout": defaults.max_fanout if flags.max_fanout is None else flags.max_fanout,
        "tolerance": defaults.tolerance if flags.tolerance is None else flags.tolerance,
        "rare_hosts": defaults.rare_hosts if flags.rare_hosts is None else flags.rare_hosts,
        "upload_bytes": defaults.upload_bytes if flags.upload_bytes is None else flags.upload_bytes,
    }
    for name, value in knobs.items():
        if value < 0:
            fail(f"--{name.replace('_', '-')} must not be negative, got {value}")
    options = Options(
        since=time_option(flags.since, "--since", 0),
        until=time_option(flags.until, "--until", FOREVER),
        expand=expand,
        rare_population=defaults.rare_population,
        **knobs,
    )
    if options.since > options.until:
        fail("--since is after --until")
    return options


def print_explain(run: QueryRun) -> None:
    err.print(run.explain(), markup=False, soft_wrap=True)


def finding_link(finding: Finding) -> str:
    """A Neo4j Browser link that re-runs the hunt behind ``finding`` for its indicator alone."""
    query = Catalog().get(finding.query_id)
    params = query.bind(finding.query_params)
    return browser_link(query.cypher_for("neo4j"), params)


def short_events(events: list[str]) -> str:
    """The first two raw-event ids and how many more (``CHhAv... C3fq... +6``): the table's short form."""
    shown = " ".join(events[:2])
    return f"{shown} +{len(events) - 2}" if len(events) > 2 else shown


def table_row(finding: Finding, *, short: bool = True) -> dict[str, Any]:
    """A finding as a table (``short``: the events' short form) or CSV row (every event id kept)."""
    row = finding.as_dict()
    row["path"] = " ".join(finding.path)
    row["events"] = short_events(finding.events) if short else " ".join(finding.events)
    return row


@option_block(HuntFlags, into="flags")
def exposure(
    ctx: typer.Context,
    seeds: Annotated[list[str] | None, typer.Argument(help="Indicators: domains, IPs, URLs, ja3:<md5>.")] = None,
    all_indicators: Annotated[
        bool, typer.Option("--all-indicators", help="Check every node intel flags as an indicator.")
    ] = False,
    expand: Annotated[
        bool, typer.Option("--expand", help="Also check infrastructure the 'expand' pivot reaches from them.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "table",
    min_strength: Annotated[
        str, typer.Option("--min-strength", help="weak, low, medium, strong or 'very strong'.")
    ] = "weak",
    browser: Browser = False,
    render_html: RenderOption = None,
    *,
    flags: HuntFlags,
) -> None:
    """Internal hosts that queried, connected to, requested or used a client fingerprint of indicator infrastructure."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        floor = Strength.parse(min_strength)
    except ValueError as exc:
        fail(f"--min-strength: {exc}")
    options = make_options(flags, state(ctx).settings.hunt, expand=expand)
    check_render(render_html)
    explain = print_explain if flags.explain else None
    with state(ctx).store(existing=True) as store, query_progress("exposure", err, also=explain) as on_run:
        runner = Runner(store, timeout=flags.timeout, on_run=on_run)
        try:
            result = Exposure(runner, options).run(list(seeds or []), all_indicators=all_indicators)
        except (ExposureError, QueryError) as exc:
            fail(str(exc))
        except QueryTimeout as exc:
            fail(f"{runner.runs[-1].query_id}: {exc}; narrow it with --since/--until or raise --timeout", code=3)
        kept, hidden = apply_marks(result.findings, read_marks(store), int(time.time()))
        silent = _why_nothing(store, list(seeds or [])) if seeds and not kept and not hidden else None
        findings = [f for f in kept if f.strength >= floor]
        if render_html is not None:
            write_render(render_html, findings_graph(
                store, [f.as_dict() for f in findings], since=options.since, until=options.until,
                title="exposure to " + (", ".join(seeds or []) or "every indicator"), query_id="exposure",
                columns=TABLE_COLUMNS))
    if fmt in ("json", "ndjson"):
        render([f.as_dict() for f in findings], fmt)
    else:
        short = fmt == "table"
        render([table_row(f, short=short) for f in findings], fmt, TABLE_COLUMNS if short else CSV_COLUMNS)
    if hidden:
        err.print(f"{len(hidden)} finding(s) hidden by triage marks (see 'graphpivot triage list')", markup=False)
    if fmt == "table":
        for item in result.unchecked:
            err.print(f"not checked: {item.kind} {item.key}: {item.reason}", markup=False)
        if result.outside_window:
            err.print(f"{result.outside_window} observation(s) outside their indicator's validity window were dropped",
                      markup=False)
    if browser:
        for finding in findings:
            err.print(f"{finding.host} -> {finding.indicator}: {finding_link(finding)}", markup=False, soft_wrap=True)
    if silent is not None:
        err.print(silent[0], markup=False)
        raise typer.Exit(silent[1])


def _in_graph(store: GraphStore, kind: str, key: str) -> bool:
    """Whether the seed is a node of the graph; a URL seed also counts when its site is one."""
    if key in present(store, (kind,), [key]):
        return True
    if kind != "URL":
        return False
    site_kind, site = url_host(key)
    return site in present(store, (site_kind,), [site])


def _why_nothing(store: GraphStore, seeds: list[str]) -> tuple[str, int]:
    """Why explicit seeds gave no finding: not in the graph at all, or no host touched them."""
    parsed = [parse_seed(s) for s in seeds]
    missing = [key for kind, key in parsed if not _in_graph(store, kind, key)]
    if missing:
        return (f"no findings: not in the graph: {', '.join(missing)} (no intel or telemetry names it; "
                "for a URL, neither the URL nor its site)", EXIT_UNKNOWN_SEED)
    return (f"no findings: {', '.join(k for _, k in parsed)} in the graph, but no internal host touched them "
            "inside the window (see 'graphpivot pivot run' for its infrastructure)", EXIT_EMPTY)
