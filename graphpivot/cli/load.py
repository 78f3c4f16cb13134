"""``graphpivot load``: intel and telemetry into the graph."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.cli.context import fail, state
from graphpivot.cli.loading import run_load
from graphpivot.ingest import LoadSummary
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.model import Record

app = typer.Typer(help="Load intel and telemetry into the graph.", no_args_is_help=True)

Paths = Annotated[list[Path], typer.Argument(help="Files to load", exists=False)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Parse and count; write nothing.")]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 1 when any line was rejected.")]
Rejects = Annotated[Path | None, typer.Option("--rejects", help="Write every rejected line here (NDJSON).")]
SummaryJson = Annotated[bool, typer.Option("--json", help="Print the load summary as JSON.")]


def check_paths(paths: list[Path]) -> None:
    """Exit with a clear message when a named file is missing."""
    for path in paths:
        if not path.is_file():
            fail(f"{path}: no such file")


def load_files(
    ctx: typer.Context,
    source: str,
    paths: list[Path],
    read: Callable[[Path, int], Iterable[Record]],
    *,
    dry_run: bool,
    strict: bool,
    rejects: Path | None,
    summary_json: bool,
) -> LoadSummary:
    """Check the files exist, read each with one shared observation time, and load the records."""
    check_paths(paths)
    now = int(time.time())
    records = itertools.chain.from_iterable(read(path, now) for path in paths)
    return run_load(
        state(ctx),
        source,
        records,
        dry_run=dry_run,
        strict=strict,
        rejects_path=rejects,
        summary_json=summary_json,
        observed_at=now,
    )


@app.command("ioc")
def ioc(
    ctx: typer.Context,
    paths: Paths,
    source: Annotated[str, typer.Option("--source", help="Name of the intel source, recorded on every node and edge.")],
    threat: Annotated[str | None, typer.Option(help="Threat (malware, actor, tool) the list is about.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Tag for the list's Report, repeatable; 'suspicious' = services, not malicious infra."),
    ] = None,
    dry_run: DryRun = False,
    strict: Strict = False,
    rejects: Rejects = None,
    summary_json: SummaryJson = False,
) -> None:
    """Plain indicator lists: domains, IPs, ip:port, URLs, defanged forms, # comments."""
    load_files(
        ctx,
        source,
        paths,
        lambda path, now: read_ioc_list(path, source, threat=threat, tags=tag, observed_at=now),
        dry_run=dry_run,
        strict=strict,
        rejects=rejects,
        summary_json=summary_json,
    )


from graphpivot.cli import load_intel, load_noise, load_telemetry  # noqa: E402, F401  (register their commands)
