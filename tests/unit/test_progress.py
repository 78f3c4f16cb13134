"""The query progress line: drawn on a terminal with the count of queries and rows, silent when piped."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from graphpivot.cli.progress import query_progress
from graphpivot.hunt.runner import QueryRun


def _runs(n: int) -> list[QueryRun]:
    return [QueryRun("exposure-domain", "ladybug", "MATCH (d:Domain) RETURN d", {}, rows=5, seconds=0.3)
            for _ in range(n)]


def test_a_terminal_sees_the_queries_counted_and_the_line_wiped() -> None:
    out = StringIO()
    seen: list[QueryRun] = []
    with query_progress("hunt", Console(file=out, force_terminal=True, width=160), also=seen.append) as on_run:
        for run in _runs(3):
            on_run(run)
    text = out.getvalue()
    assert "hunt: 3 queries, 15 rows; last exposure-domain (5 rows, 0.3 s)" in text
    assert text.endswith("\x1b[2K")  # transient: the line is cleared when the run ends
    assert len(seen) == 3  # --explain still sees every run


def test_piped_output_stays_clean() -> None:
    out = StringIO()
    with query_progress("exposure", Console(file=out, force_terminal=False)) as on_run:
        for run in _runs(2):
            on_run(run)
    assert out.getvalue() == ""
