"""``graphpivot hunt``: the AN2028 hunt pack with a ranked report and its blind spots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.catalog import QueryError
from graphpivot.cli.context import err, fail, state
from graphpivot.cli.export import FINDING_COLUMNS, RenderOption, check_render, write_render
from graphpivot.cli.exposure import finding_link, make_options, print_explain, time_option
from graphpivot.cli.options import Browser, HuntFlags, option_block
from graphpivot.cli.progress import query_progress
from graphpivot.export.result_graph import findings_graph
from graphpivot.hunt.model import ExposureError
from graphpivot.hunt.navigator import navigator_layer
from graphpivot.hunt.pack import HuntResult, run_hunt
from graphpivot.hunt.report import report_format, summary, write_report
from graphpivot.hunt.runner import Runner
from graphpivot.output import SafeConsole, iso, render
from graphpivot.store import QueryTimeout

out = SafeConsole()
HOST_COLUMNS = [
    "host", "strength", "confidence", "findings", "leads", "evidence", "indicators", "first_seen", "last_seen",
]


def print_summary(result: HuntResult) -> None:
    """Hosts ranked, then counts and the blind spots in a few lines."""
    render([h.as_dict() for h in result.hosts()], "table", HOST_COLUMNS)
    s = summary(result)
    strengths = ", ".join(f"{n} {label}" for label, n in s["findings_by_strength"].items() if n) or "none"
    out.print(f"{s['findings']} exposure finding(s) ({strengths}); {s['leads']} web-service lead(s); "
              f"{s['indicators']} indicator(s), {s['indicators_unchecked']} not checkable; "
              f"{s['queries']} queries in {s['query_seconds']} s")
    blind = result.blind
    if blind.silent_hosts:
        out.print(f"blind: {len(blind.silent_hosts)} host(s) with no telemetry: {', '.join(blind.silent_hosts[:10])}")
    for channel in blind.missing_channels:
        out.print(f"blind: no {channel} telemetry at all")
    for gap in blind.gaps:
        out.print(f"blind: no {gap.channel} telemetry {iso(gap.start)} .. {iso(gap.end)}")


@option_block(HuntFlags, into="flags")
def hunt(
    ctx: typer.Context,
    seeds: Annotated[list[str] | None, typer.Argument(help="Extra seeds besides the flagged indicators.")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", "-r", help="Write the report: FILE.md, FILE.json or FILE.html.")
    ] = None,
    new_since: Annotated[
        str | None, typer.Option("--new-since", help="First-use window start (default: 30 days before the last log).")
    ] = None,
    expand: Annotated[bool, typer.Option("--expand/--no-expand", help="Expand indicators over infrastructure.")] = True,
    defang: Annotated[bool, typer.Option(
        "--defang/--no-defang",
        help="Defang indicators in the Markdown and HTML report (evil[.]com, hxxps://); JSON keeps real values.",
    )] = True,
    navigator: Annotated[
        Path | None, typer.Option("--navigator", help="Write an ATT&CK Navigator layer (FILE.json) of the findings.")
    ] = None,
    browser: Browser = False,
    render_html: RenderOption = None,
    *,
    flags: HuntFlags,
) -> None:
    """Exposure to every indicator, web-service hunts (T1102, T1567) and blind spots, ranked."""
    if report is not None:
        try:
            report_format(report)
        except ValueError as exc:
            fail(str(exc))
        if not report.parent.is_dir():
            fail(f"{report}: folder {report.parent} does not exist")
    if navigator is not None and (navigator.suffix.lower() != ".json" or not navigator.parent.is_dir()):
        fail(f"--navigator {navigator}: must be a .json file in an existing folder")
    options = make_options(flags, state(ctx).settings.hunt, expand=expand)
    check_render(render_html)
    first_use = None if new_since is None else time_option(new_since, "--new-since", 0)
    explain = print_explain if flags.explain else None
    with state(ctx).store(existing=True) as store, query_progress("hunt", err, also=explain) as on_run:
        runner = Runner(store, timeout=flags.timeout, on_run=on_run)
        try:
            result = run_hunt(runner, options, seeds=list(seeds or []), new_since=first_use)
        except (ExposureError, QueryError) as exc:
            fail(str(exc))
        except QueryTimeout as exc:
            fail(f"{runner.runs[-1].query_id}: {exc}; narrow it with --since/--until or raise --timeout", code=3)
        if render_html is not None:
            write_render(render_html, findings_graph(
                store, [f.as_dict() for f in result.findings], since=options.since, until=options.until,
                title="hunt findings", query_id="hunt", columns=FINDING_COLUMNS))
    print_summary(result)
    if report is not None:
        fmt = write_report(result, report, defang=defang)
        err.print(f"{fmt} report written to {report}", markup=False)
    if navigator is not None:
        layer = navigator_layer(result.findings)
        navigator.write_text(json.dumps(layer, indent=2) + "\n", encoding="utf-8")
        err.print(f"ATT&CK Navigator layer ({len(layer['techniques'])} techniques) written to {navigator}",
                  markup=False)
    if browser:
        for finding in result.findings:
            err.print(f"{finding.host} -> {finding.indicator}: {finding_link(finding)}", markup=False, soft_wrap=True)
