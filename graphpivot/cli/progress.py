"""A live line on stderr while a hunt or an exposure runs its stored queries (terminals only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from graphpivot.hunt.runner import QueryRun

OnRun = Callable[["QueryRun"], None]


@contextmanager
def query_progress(what: str, console: Console, also: OnRun | None = None) -> Iterator[OnRun]:
    """An ``on_run`` hook counting the queries run, their rows and the last one, on a spinner line.

    Drawn only when ``console`` is a terminal and wiped at the end (``transient``), so piped and
    redirected output stays clean; ``also`` (``--explain``) still sees every run.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), TimeElapsedColumn(),
                        console=console, transient=True, disable=not console.is_terminal)
    with progress:
        task = progress.add_task(what, total=None)
        runs = rows = 0

        def on_run(run: QueryRun) -> None:
            nonlocal runs, rows
            runs, rows = runs + 1, rows + run.rows
            progress.update(task, description=f"{what}: {runs} queries, {rows:,} rows; last {run.query_id} "
                                              f"({run.rows:,} rows, {run.seconds:.1f} s)")
            if also is not None:
                also(run)

        yield on_run
