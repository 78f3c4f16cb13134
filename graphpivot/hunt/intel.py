"""What intel says about each indicator: reports, validity window, threats, and whether it is only context.

Intel *context* is what intel says about a value without calling it an indicator: a MISP
attribute with ``to_ids = false`` (a URL object's host and domain among them), a STIX
observable no indicator pattern names, a value a report mentions whose node is not flagged
``indicator``, and lists their publisher marks as *suspicious* rather than malicious
(maltrail's ``suspicious/`` folder, ``--tag suspicious``, a mention with
``category: suspicious``). Context informs the grade and the report; it never makes a
finding strong on its own and never seeds an expansion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphpivot.hunt.vocabulary import SUSPICIOUS_MARKERS
from graphpivot.tlp import strictest


@dataclass
class Intel:
    """What intel says about one indicator: reports, window, threats, and whether it is only 'suspicious'."""

    kind: str
    key: str
    reports: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    threats: set[str] = field(default_factory=set)
    techniques: set[str] = field(default_factory=set)  # ATT&CK ids its reports and threats name
    valid_from: int | None = None
    valid_until: int | None = None
    confidence: int | None = None
    suspicious: bool = False
    flagged: bool = False
    context: bool = False
    context_why: list[str] = field(default_factory=list)
    tlp: str | None = None  # the most restrictive TLP marking among its reports

    def overlaps(self, first: int, last: int) -> bool:
        """Whether ``first..last`` meets the window in which the intel holds."""
        return (self.valid_from is None or last >= self.valid_from) and (
            self.valid_until is None or first <= self.valid_until
        )

    def clip(self, first: int, last: int) -> tuple[int, int]:
        """``first..last`` cut to the window."""
        lo = first if self.valid_from is None else max(first, self.valid_from)
        hi = last if self.valid_until is None else min(last, self.valid_until)
        return lo, hi


def intel_from_rows(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Intel]:
    """Fold ``indicator-intel`` rows (one per indicator and report) into one :class:`Intel` each.

    The window is the hull of the mentions' windows; a mention without ``valid_from``
    (or ``valid_until``) leaves that side open. An indicator is *suspicious* when every
    report that mentions it says so; one malware list is enough to make it malicious.
    It is *context* when no mention calls it an indicator (each is suspicious, ``to_ids``
    false, or the node is not flagged); one indicator mention is enough.
    """
    intel: dict[tuple[str, str], Intel] = {}
    opened: dict[tuple[str, str], set[str]] = defaultdict(set)
    verdicts: dict[tuple[str, str], list[bool]] = defaultdict(list)
    contexts: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for row in rows:
        slot = (row["kind"], row["key"])
        item = intel.setdefault(slot, Intel(row["kind"], row["key"]))
        item.flagged = item.flagged or bool(row.get("flagged"))
        item.sources.update(row.get("node_sources") or [])
        if row.get("report") is None:
            continue
        item.reports.add(row["report"])
        if row.get("report_source"):
            item.sources.add(row["report_source"])
        item.threats.update(row.get("threats") or [])
        item.tlp = strictest([item.tlp, row.get("report_tlp")])
        item.techniques.update(row.get("techniques") or [])
        for lists in (row.get("report_threat_techniques") or [], row.get("threat_techniques") or []):
            item.techniques.update(t for names in lists for t in names or [])
        if row.get("confidence") is not None:
            item.confidence = max(item.confidence or 0, int(row["confidence"]))
        _widen(item, opened[slot], row.get("valid_from"), row.get("valid_until"))
        markers = {str(m).strip().lower() for m in [*(row.get("report_tags") or []), *(row.get("context") or [])]}
        suspicious = bool(markers & SUSPICIOUS_MARKERS)
        verdicts[slot].append(suspicious)
        if suspicious:
            contexts[slot].append(f"{row['report']} lists it as suspicious (a service or provider), not malicious")
        elif row.get("to_ids") is False:
            contexts[slot].append(f"{row['report']} mentions it as context (to_ids false / an observable)")
        elif not row.get("flagged"):
            contexts[slot].append(f"{row['report']} mentions it without calling it an indicator")
        else:
            contexts[slot].append(None)
    for slot, item in intel.items():
        item.suspicious = bool(verdicts[slot]) and all(verdicts[slot])
        whys = contexts[slot]
        item.context = bool(whys) and all(why is not None for why in whys)
        item.context_why = sorted({why for why in whys if why}) if item.context else []
    return intel


def _widen(item: Intel, opened: set[str], valid_from: int | None, valid_until: int | None) -> None:
    if valid_from is None:
        opened.add("from")
    if "from" in opened:
        item.valid_from = None
    elif valid_from is not None:
        item.valid_from = valid_from if item.valid_from is None else min(item.valid_from, valid_from)
    if valid_until is None:
        opened.add("until")
    if "until" in opened:
        item.valid_until = None
    elif valid_until is not None:
        item.valid_until = valid_until if item.valid_until is None else max(item.valid_until, valid_until)
