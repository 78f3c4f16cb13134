"""What every ``graphpivot load ...`` command shares: ingest, progress, summary, rejects, exit code."""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from graphpivot.cli.context import State, err, fail
from graphpivot.cli.options import LoadFlags
from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.maintenance import refresh
from graphpivot.model import Progress, Record
from graphpivot.output import SafeConsole, terminal_safe

REJECTS_SHOWN = 20
EXIT_REJECTS = 1


def check_paths(paths: list[Path]) -> None:
    """Exit with a clear message when a named file is missing."""
    for path in paths:
        if not path.is_file():
            fail(f"{path}: no such file")


def load_files(
    st: State, source: str, paths: list[Path], read: Callable[[Path, int], Iterable[Record]], flags: LoadFlags
) -> LoadSummary:
    """Check the files exist, read each with one shared observation time, and load the records."""
    check_paths(paths)
    now = int(time.time())
    records = itertools.chain.from_iterable(read(path, now) for path in paths)
    return run_load(st, source, records, flags, observed_at=now)


def run_load(
    st: State,
    source: str,
    records: Iterable[Record],
    flags: LoadFlags,
    *,
    observed_at: int | None = None,
) -> LoadSummary:
    """Ingest ``records`` into the configured store, print the summary, and exit non-zero when due.

    Rejects are printed (the first few) and written in full to ``flags.rejects``
    (NDJSON). The exit code is 1 when lines were rejected and ``flags.strict`` is set.
    """
    dry_run, rejects_path = flags.dry_run, flags.rejects
    with ExitStack() as stack:
        store = None if dry_run else stack.enter_context(st.store())
        if store is not None:
            store.init_schema()
        rejects_out = stack.enter_context(rejects_path.open("w", encoding="utf-8")) if rejects_path else None
        bar = stack.enter_context(
            Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)
        ) if sys.stderr.isatty() else None
        task = bar.add_task(f"loading {source}") if bar else None

        def on_progress(p: Progress) -> None:
            if bar is not None and task is not None:
                bar.update(task, description=f"{Path(p.file).name}: {p.lines:,} lines")

        ingestor = Ingestor(
            store,
            source,
            batch_size=st.settings.batch_size,
            batch_mb=st.settings.batch_mb,
            dry_run=dry_run,
            rejects_out=rejects_out,
            on_progress=on_progress,
            observed_at=observed_at,
        )
        summary = ingestor.run(records)
        if store is not None:
            started = time.perf_counter()
            refresh(store)
            summary.notes.append(f"degrees and noise flags refreshed in {time.perf_counter() - started:.2f} s")
    print_summary(summary, rejects_path, as_json=flags.summary_json)
    if summary.rejected and flags.strict:
        raise typer.Exit(EXIT_REJECTS)
    return summary


def print_summary(summary: LoadSummary, rejects_path: Path | None, *, as_json: bool) -> None:
    """Summary on stdout; rejects on stderr."""
    out = SafeConsole(soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        verb = "would write" if summary.dry_run else "wrote"
        nodes = ", ".join(f"{k} {v}" for k, v in sorted(summary.nodes.items())) or "none"
        edges = ", ".join(f"{k} {v}" for k, v in sorted(summary.edges.items())) or "none"
        out.print(
            f"{summary.source}: read {summary.lines:,} lines, {summary.records:,} records, "
            f"rejected {summary.rejected:,} in {summary.seconds:.2f} s (run {summary.run_id})"
        )
        out.print(f"  {verb} nodes: {nodes}")
        out.print(f"  {verb} edges: {edges}")
        out.print(
            f"  accounting: read {summary.read:,} = loaded {summary.loaded:,} + rejected {summary.rejected_units:,}"
            f" + skipped {summary.skipped_units:,}" + ("" if summary.balanced else "  UNBALANCED")
        )
        if summary.skipped:
            skipped = ", ".join(f"{what} {n:,}" for what, n in sorted(summary.skipped.items()))
            out.print(f"  skipped (not loaded): {skipped}")
        if summary.skipped_parts:
            parts = ", ".join(f"{what} {n:,}" for what, n in sorted(summary.skipped_parts.items()))
            out.print(f"  not loaded (parts of loaded input): {parts}")
        for problem in summary.unbalanced:
            out.print(f"  accounting error: {problem}")
        for note in summary.notes:
            out.print(f"  {note}")
    for reject in summary.rejects[:REJECTS_SHOWN]:
        err.print(f"rejected {terminal_safe(reject)}" + (f"  [{terminal_safe(reject.raw.strip()[:120])}]"
                                                          if reject.raw else ""), markup=False)
    if summary.rejected > REJECTS_SHOWN:
        where = f"all in {rejects_path}" if rejects_path else "write all with --rejects FILE"
        err.print(f"... {summary.rejected - REJECTS_SHOWN} more rejected lines ({where})", markup=False)
