"""``graphpivot triage``: mark findings, hosts and indicators so later hunts remember the verdict."""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.cli.context import fail, state
from graphpivot.cli.exposure import time_option
from graphpivot.hunt.triage import (
    SCOPES,
    TRIAGE_SOURCE,
    VERDICTS,
    Mark,
    make_mark,
    marks_as_data,
    marks_from_data,
    read_marks,
)
from graphpivot.ingest import Ingestor
from graphpivot.output import render

app = typer.Typer(help="Mark findings, hosts or indicators as false-positive, benign or true-positive.",
                  no_args_is_help=True)


def _write(ctx: typer.Context, marks: list[Mark]) -> None:
    with state(ctx).store() as store:
        store.init_schema()
        summary = Ingestor(store, TRIAGE_SOURCE).run(m.to_node() for m in marks)
    if summary.rejected:
        fail(f"{summary.rejected} mark(s) not written: {summary.rejects[0]}")


@app.command("mark")
def mark(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(help="HOST|INDICATOR (a finding), a host, or an indicator.")],
    verdict: Annotated[str, typer.Option("--as", help=f"One of {', '.join(VERDICTS)}.")],
    scope: Annotated[
        str | None, typer.Option(help=f"{', '.join(SCOPES)}; default: finding when TARGET holds '|', else indicator.")
    ] = None,
    note: Annotated[str, typer.Option(help="Why: kept with the mark and shown in reasons and reports.")] = "",
    until: Annotated[str | None, typer.Option(help="The mark ends at this time (ISO 8601 or epoch).")] = None,
    author: Annotated[str | None, typer.Option(help="Who marks it (default: the login name).")] = None,
) -> None:
    """Record a verdict; marking the same target again replaces it."""
    chosen = scope or ("finding" if "|" in target else "indicator")
    try:
        made = make_mark(chosen, target, verdict, author=author or getpass.getuser(), marked_at=int(time.time()),
                         note=note, until=None if until is None else time_option(until, "--until", 0))
    except ValueError as exc:
        fail(str(exc))
    _write(ctx, [made])
    typer.echo(f"marked {made.key} {made.verdict}")


@app.command("list")
def list_marks(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or ndjson")] = "table",
) -> None:
    """Every mark in the graph."""
    with state(ctx).store(existing=True) as store:
        marks = read_marks(store)
    render(marks_as_data(marks), fmt)


@app.command("export")
def export(ctx: typer.Context, path: Annotated[Path, typer.Argument(help="JSON file to write.")]) -> None:
    """Write every mark to a JSON file another analyst can import."""
    with state(ctx).store(existing=True) as store:
        marks = read_marks(store)
    path.write_text(json.dumps(marks_as_data(marks), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(f"{len(marks)} mark(s) written to {path}")


@app.command("import")
def import_marks(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="JSON file from 'triage export'.")]
) -> None:
    """Add the marks of an export (a mark for the same target replaces the one here)."""
    try:
        marks = marks_from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        fail(f"{path}: {exc}")
    _write(ctx, marks)
    typer.echo(f"{len(marks)} mark(s) imported from {path}")
