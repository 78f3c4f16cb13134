"""Render result rows: table, json, csv, ndjson; times as ISO 8601; terminal output made safe.

Graph values come from feeds and logs an adversary can write. Everything printed
to a terminal goes through :class:`SafeConsole`: Rich markup is off (``[/red]``
in an IOC comment is text, not a style that could crash the print) and control
characters (ANSI escapes, CR, backspace, bidi overrides) are shown as escapes
(:func:`terminal_safe`), so a value cannot rewrite the analyst's screen.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "csv", "ndjson")
_TIME_SUFFIXES = ("first_seen", "last_seen", "valid_from", "valid_until", "published", "not_before", "not_after", "_at")


# C0 controls, DEL, C1 controls and the Unicode bidi/line controls that reorder or hide text.
_UNSAFE = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))},
    **{code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}
_UNSAFE_KEEP_LINES = {k: v for k, v in _UNSAFE.items() if k not in (0x0A, 0x09)}


def terminal_safe(value: Any, *, keep_newlines: bool = False) -> str:
    """``value`` as text with every control character escaped (``\\x1b``, ``\\r``, ``\\u202e`` ...)."""
    text = value if isinstance(value, str) else str(value)
    return text.translate(_UNSAFE_KEEP_LINES if keep_newlines else _UNSAFE)


class SafeConsole(Console):
    """A Rich console for untrusted text: markup, emoji and highlighting off; strings escaped.

    A caller that wants styling passes a :class:`rich.text.Text` (or ``markup=True``
    with every interpolated value through :func:`markup_value`).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        safe = [terminal_safe(o, keep_newlines=True) if isinstance(o, str) and not kwargs.get("markup") else o
                for o in objects]
        super().print(*safe, **kwargs)


def markup_value(value: Any) -> str:
    """A value to interpolate into a markup string: control characters and markup escaped."""
    return escape(terminal_safe(value))


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


def _table_cell(value: Any) -> Text:
    """A table cell: plain text (never markup), control characters escaped."""
    return Text(terminal_safe(_cell(value)))


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
        shown = terminal_safe if stream.isatty() else str  # a terminal gets escapes; a file gets the data
        for row in rows:
            writer.writerow({k: shown(_cell(row.get(k))) for k in columns})
    elif fmt == "table":
        table = Table(show_lines=False)
        for col in columns:
            table.add_column(Text(terminal_safe(col)), overflow="fold")
        for row in rows:
            table.add_row(*(_table_cell(row.get(col)) for col in columns))
        SafeConsole(file=stream, width=None if stream.isatty() else 200).print(table)
        SafeConsole(file=stream).print(f"{len(rows)} row(s)")
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
