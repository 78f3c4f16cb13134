"""The HTML hunt report, rendered by a Jinja2 template with autoescaping on.

Every value in the report may come from a feed or log an adversary wrote (a STIX
id, an IOC comment, a URL), so nothing is pasted into HTML as text: the template
engine escapes every value (``autoescape`` on, no ``|safe`` anywhere), control
characters are shown as escapes, and the page loads nothing from elsewhere (a
Content-Security-Policy forbids remote images, scripts and frames).
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from graphpivot.output import terminal_safe

_ENV = Environment(
    loader=PackageLoader("graphpivot.hunt", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def cell(value: Any) -> str:
    """A value as one line of text for a table cell (the template escapes it)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return terminal_safe(value)


def columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of the rows, in first-seen order."""
    return list(dict.fromkeys(key for row in rows for key in row))


_ENV.filters["cell"] = cell
_ENV.globals["columns"] = columns


def render_html(data: dict[str, Any], css: str, max_rows: int) -> str:
    """The report page from the report's plain data (:func:`graphpivot.hunt.report.to_data`)."""
    return _ENV.get_template("report.html.j2").render(data=data, css=css, max_rows=max_rows)
