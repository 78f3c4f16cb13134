"""Render result rows: table, json, csv, ndjson; times as ISO 8601."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from typing import IO, Any

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv", "ndjson")
_TIME_SUFFIXES = ("first_seen", "last_seen", "valid_from", "valid_until", "published", "not_before", "not_after", "_at")


def is_time_column(name: str) -> bool:
    """Columns holding epoch seconds, shown as ISO 8601."""
    return name.endswith(_TIME_SUFFIXES)


def iso(value: Any) -> Any:
    """Epoch seconds to ``YYYY-MM-DDTHH:MM:SSZ``; other values unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def humanise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with time columns converted to ISO 8601."""
    return [{k: iso(v) if is_time_column(k) else v for k, v in row.items()} for row in rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def render(
    rows: list[dict[str, Any]], fmt: str, columns: list[str] | None = None, stream: IO[str] | None = None
) -> None:
    """Write rows in ``fmt`` to ``stream`` (stdout by default)."""
    stream = stream or sys.stdout
    rows = humanise(rows)
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        json.dump(rows, stream, indent=2, default=str)
        stream.write("\n")
    elif fmt == "ndjson":
        for row in rows:
            stream.write(json.dumps(row, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
    elif fmt == "table":
        table = Table(show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(row.get(col)) for col in columns))
        Console(file=stream, highlight=False, width=None if stream.isatty() else 200).print(table)
        Console(file=stream, highlight=False).print(f"{len(rows)} row(s)")
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
