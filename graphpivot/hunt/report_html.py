"""The HTML hunt report, rendered by a Jinja2 template with autoescaping on.

Every value in the report may come from a feed or log an adversary wrote (a STIX
id, an IOC comment, a URL), so nothing is pasted into HTML as text: the template
engine escapes every value (``autoescape`` on, no ``|safe`` anywhere; the ``ident``
filter escapes each value itself before wrapping it in its span), control
characters are shown as escapes, and the page loads nothing from elsewhere (a
Content-Security-Policy forbids remote images, scripts and frames).

Identifiers (hosts, indicators, evidence-path steps) are never broken inside a token:
each is a ``<span class="id">`` that does not wrap (``white-space: nowrap``); a list
wraps between its items, and a table too wide for the page scrolls sideways.
The TLP banner opens the page; sections are ``<details>``; the list of indicators the
hunt could not check is shown as counts (with a few examples) when long.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

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


def ident(value: Any) -> Markup:
    """Identifiers, each escaped and in its own unbreakable span; a list is joined by commas (wraps between)."""
    values = value if isinstance(value, list) else [] if value is None or value == "" else [value]
    return Markup(", ").join(Markup('<span class="id">{}</span>').format(escape(cell(v))) for v in values)


def path_steps(value: Any) -> Markup:
    """An evidence path: each node and edge an unbreakable span, wrapping between steps only."""
    steps = value if isinstance(value, list) else [] if value is None else [value]
    return Markup(" ").join(Markup('<span class="id">{}</span>').format(escape(cell(v))) for v in steps)


def unchecked_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Indicators that could not be checked, counted by kind and reason (most first)."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        slot = (cell(row.get("kind")), cell(row.get("reason")))
        counts[slot] = counts.get(slot, 0) + 1
    return [{"kind": k, "reason": r, "count": n} for (k, r), n in sorted(counts.items(), key=lambda kv: -kv[1])]


_ENV.filters["cell"] = cell
_ENV.filters["ident"] = ident
_ENV.filters["path_steps"] = path_steps
_ENV.globals["unchecked_counts"] = unchecked_counts


def render_html(data: dict[str, Any], css: str, max_rows: int, long_table: int = 25) -> str:
    """The report page from the report's display data (:func:`graphpivot.hunt.report.for_display`)."""
    return _ENV.get_template("report.html.j2").render(data=data, css=css, max_rows=max_rows, long_table=long_table)
