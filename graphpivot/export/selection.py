"""What an export is made of: findings (from a file, an exposure run or a hunt) or a stored query's rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphpivot.catalog import FOREVER, parse_time
from graphpivot.output import is_time_column


class SelectionError(ValueError):
    """Input an export cannot read."""


@dataclass
class PivotRows:
    """A stored query's result: its id, title, bound parameters and rows."""

    query_id: str
    title: str
    params: dict[str, Any]
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)


def _epochs(value: Any, name: str = "") -> Any:
    """ISO 8601 times under time-named keys back to epoch seconds (JSON output shows them as text)."""
    if isinstance(value, dict):
        return {k: _epochs(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_epochs(v, name) for v in value]
    if isinstance(value, str) and name and is_time_column(name):
        try:
            return parse_time(value)
        except ValueError:
            return value
    return value


def read_findings(path: Path) -> list[dict[str, Any]]:
    """Findings from ``exposure --format json`` output (a list) or a ``hunt --report FILE.json`` (its findings)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SelectionError(f"{path}: cannot read findings JSON: {exc}") from None
    items = doc.get("findings") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise SelectionError(f"{path}: expected a list of findings or a hunt report with 'findings'")
    findings = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("host", "indicator",
                                                                                          "indicator_kind")):
            raise SelectionError(f"{path}: finding #{n} lacks host, indicator and indicator_kind")
        findings.append(_epochs(item))
    return findings


def findings_window(findings: list[dict[str, Any]]) -> tuple[int, int]:
    """The span the findings cover (first to last seen), for a picture's time window."""
    firsts = [f["first_seen"] for f in findings if isinstance(f.get("first_seen"), int)]
    lasts = [f["last_seen"] for f in findings if isinstance(f.get("last_seen"), int)]
    return (min(firsts) if firsts else 0), (max(lasts) if lasts else FOREVER)
