"""``graphpivot exposure``: which internal hosts touched indicator infrastructure, with graded evidence."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from graphpivot.browser import browser_link
from graphpivot.catalog import FOREVER, Catalog, QueryError, parse_time
from graphpivot.cli.context import err, fail, state
from graphpivot.cli.export import RenderOption, check_render, write_render
from graphpivot.cli.options import Browser, HuntFlags, option_block
from graphpivot.export.result_graph import findings_graph
from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import ExposureError, Finding, Options
from graphpivot.hunt.runner import QueryRun, Runner
from graphpivot.hunt.vocabulary import Strength
from graphpivot.output import FORMATS, render
from graphpivot.store import QueryTimeout

TABLE_COLUMNS = [
    "strength", "confidence", "host", "indicator", "evidence", "first_seen", "last_seen", "path", "sources",
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


def make_options(flags: HuntFlags, *, expand: bool) -> Options:
    """Run options from the CLI flags, checked."""
    options = Options(
        since=time_option(flags.since, "--since", 0),
        until=time_option(flags.until, "--until", FOREVER),
        expand=expand,
        max_fanout=flags.max_fanout,
        tolerance=flags.tolerance,
        rare_hosts=flags.rare_hosts,
        upload_bytes=flags.upload_bytes,
    )
    if options.since > options.until:
        fail("--since is after --until")
    for name, value in (("--max-fanout", flags.max_fanout), ("--tolerance", flags.tolerance),
                        ("--rare-hosts", flags.rare_hosts), ("--upload-bytes", flags.upload_bytes)):
        if value < 0:
            fail(f"{name} must not be negative, got {value}")
    return options


def print_explain(run: QueryRun) -> None:
    err.print(run.explain(), markup=False, soft_wrap=True)


def finding_link(finding: Finding) -> str:
    """A Neo4j Browser link that re-runs the hunt behind ``finding`` for its indicator alone."""
    query = Catalog().get(finding.query_id)
    params = query.bind(finding.query_params)
    return browser_link(query.cypher_for("neo4j"), params)


def table_row(finding: Finding) -> dict[str, Any]:
    row = finding.as_dict()
    row["path"] = " ".join(finding.path)
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
    options = make_options(flags, expand=expand)
    check_render(render_html)
    with state(ctx).store() as store:
        runner = Runner(store, timeout=flags.timeout, on_run=print_explain if flags.explain else None)
        try:
            result = Exposure(runner, options).run(list(seeds or []), all_indicators=all_indicators)
        except (ExposureError, QueryError) as exc:
            fail(str(exc))
        except QueryTimeout as exc:
            fail(f"{runner.runs[-1].query_id}: {exc}; narrow it with --since/--until or raise --timeout", code=3)
        findings = [f for f in result.findings if f.strength >= floor]
        if render_html is not None:
            write_render(render_html, findings_graph(
                store, [f.as_dict() for f in findings], since=options.since, until=options.until,
                title="exposure to " + (", ".join(seeds or []) or "every indicator"), query_id="exposure",
                columns=TABLE_COLUMNS))
    if fmt in ("json", "ndjson"):
        render([f.as_dict() for f in findings], fmt)
    else:
        render([table_row(f) for f in findings], fmt, TABLE_COLUMNS if fmt == "table" else CSV_COLUMNS)
    if fmt == "table":
        for item in result.unchecked:
            err.print(f"not checked: {item.kind} {item.key}: {item.reason}", markup=False)
        if result.outside_window:
            err.print(f"{result.outside_window} observation(s) outside their indicator's validity window were dropped",
                      markup=False)
    if browser:
        for finding in findings:
            err.print(f"{finding.host} -> {finding.indicator}: {finding_link(finding)}", markup=False, soft_wrap=True)
