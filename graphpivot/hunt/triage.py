"""Triage that sticks: an analyst's verdicts on findings, hosts and indicators, kept as graph data.

A mark says ``false-positive``, ``benign`` or ``true-positive`` about one finding (a host and an
indicator), a host, or an indicator, with its author, time, note and an optional end (``until``).
Later exposure runs and hunts hide findings marked false-positive or benign (and list them as
marked, with the mark as the reason) and keep true positives with the confirmation in their reasons.
The most specific mark wins: finding, then host, then indicator. Marks export to and import from
JSON so a team shares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from graphpivot.hunt.exposure import parse_seed
from graphpivot.hunt.model import Finding
from graphpivot.model import Node, entity
from graphpivot.store.base import GraphStore

VERDICTS = ("false-positive", "benign", "true-positive")
HIDING = frozenset({"false-positive", "benign"})
SCOPES = ("finding", "host", "indicator")
TRIAGE_SOURCE = "triage"
_READ_MARKS = (
    "MATCH (t:Triage) RETURN t.key AS key, t.scope AS scope, t.host_key AS host, t.indicator_key AS indicator, "
    "t.verdict AS verdict, t.note AS note, t.author AS author, t.marked_at AS marked_at, t.until AS until "
    "ORDER BY key"
)


class TriageError(ValueError):
    """A mark that cannot be made: unknown verdict or scope, or a target in the wrong form."""


@dataclass(frozen=True)
class Mark:
    """One verdict. ``host``/``indicator`` hold the canonical keys the scope needs."""

    scope: str
    verdict: str
    author: str
    marked_at: int
    host: str | None = None
    indicator: str | None = None
    note: str = ""
    until: int | None = None

    @property
    def key(self) -> str:
        target = {"finding": f"{self.host}|{self.indicator}", "host": self.host, "indicator": self.indicator}
        return f"{self.scope}:{target[self.scope]}"

    def active(self, now: int) -> bool:
        return self.until is None or now <= self.until

    def reason(self) -> str:
        note = f": {self.note}" if self.note else ""
        return f"marked {self.verdict} ({self.scope}) by {self.author}{note}"

    def to_node(self) -> Node:
        return entity(
            "Triage", self.key, scope=self.scope, host_key=self.host, indicator_key=self.indicator,
            verdict=self.verdict,
            note=self.note or None, author=self.author, marked_at=self.marked_at, until=self.until,
            first_seen=self.marked_at, last_seen=self.marked_at,
        )


def make_mark(
    scope: str, target: str, verdict: str, *, author: str, marked_at: int, note: str = "", until: int | None = None
) -> Mark:
    """A checked mark; ``target`` is ``HOST|INDICATOR`` for a finding, else one host or indicator."""
    if verdict not in VERDICTS:
        raise TriageError(f"unknown verdict {verdict!r}; choose one of {', '.join(VERDICTS)}")
    if scope not in SCOPES:
        raise TriageError(f"unknown scope {scope!r}; choose one of {', '.join(SCOPES)}")
    host = indicator = None
    if scope == "finding":
        host_text, sep, indicator_text = target.partition("|")
        if not sep:
            raise TriageError(f"a finding is HOST|INDICATOR, got {target!r}")
        host, indicator = entity("Host", host_text).key, parse_seed(indicator_text)[1]
    elif scope == "host":
        host = entity("Host", target).key
    else:
        indicator = parse_seed(target)[1]
    return Mark(scope, verdict, author, marked_at, host, indicator, note, until)


def read_marks(store: GraphStore) -> list[Mark]:
    """Every mark in the graph."""
    return [
        Mark(
            scope=str(r["scope"]), verdict=str(r["verdict"]), author=str(r["author"] or ""),
            marked_at=int(r["marked_at"] or 0), host=r["host"], indicator=r["indicator"],
            note=str(r["note"] or ""), until=None if r["until"] is None else int(r["until"]),
        )
        for r in store.read(_READ_MARKS, {})
    ]


def mark_for(finding: Finding, marks: dict[str, Mark], now: int) -> Mark | None:
    """The most specific active mark about ``finding``, if any."""
    keys = (f"finding:{finding.host}|{finding.indicator}", f"host:{finding.host}", f"indicator:{finding.indicator}")
    for key in keys:
        mark = marks.get(key)
        if mark is not None and mark.active(now):
            return mark
    return None


def apply_marks(findings: Iterable[Finding], marks: Iterable[Mark], now: int) -> tuple[list[Finding], list[Finding]]:
    """(findings still ranked, findings hidden by a false-positive or benign mark); reasons name the mark."""
    by_key = {m.key: m for m in marks}
    kept: list[Finding] = []
    hidden: list[Finding] = []
    for finding in findings:
        mark = mark_for(finding, by_key, now)
        if mark is None:
            kept.append(finding)
            continue
        finding.reasons = [*finding.reasons, mark.reason()]
        (hidden if mark.verdict in HIDING else kept).append(finding)
    return kept, hidden


def marks_as_data(marks: Iterable[Mark]) -> list[dict[str, object]]:
    """Marks as JSON-ready objects (the export format, read back by :func:`marks_from_data`)."""
    return [asdict(m) for m in marks]


def marks_from_data(items: object) -> list[Mark]:
    """Marks from exported JSON, each checked as if made anew."""
    if not isinstance(items, list):
        raise TriageError("a triage export is a JSON list of marks")
    marks = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise TriageError(f"mark {number}: not an object")
        try:
            target = {"finding": f"{item.get('host')}|{item.get('indicator')}", "host": item.get("host"),
                      "indicator": item.get("indicator")}[str(item.get("scope"))]
            marks.append(make_mark(
                str(item["scope"]), str(target), str(item["verdict"]), author=str(item.get("author") or ""),
                marked_at=int(item["marked_at"]), note=str(item.get("note") or ""),
                until=None if item.get("until") is None else int(item["until"]),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            raise TriageError(f"mark {number}: {exc}") from None
    return marks
