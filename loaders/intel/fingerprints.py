"""Fingerprint tables: JA3/JA3S/JA4/JARM/HASSH values labelled with what produces them.

Two shapes are read:
* with a header naming the fingerprint column (``ja3``, ``ja3_md5``, ``jarm``,
  ``ja4`` ...; that name gives the type) and optionally a name column (``name``,
  ``application``, ``malware``, ``listingreason`` ...) and a verdict column
  (``kind``, ``verdict``, ``category``); other columns become context;
* without a header (``fingerprint,name`` rows, like the Salesforce JA3 list),
  where ``fp_type`` says the type. A leading record with a single filled cell
  that is no fingerprint (a licence notice) is skipped and counted.

A row is malicious when its verdict says so (``c2``, ``malware``, ``malicious``
...) or ``verdict="malicious"`` is given for the whole table: its Fingerprint is
``indicator = true`` and ATTRIBUTED_TO a Threat named in the row. A benign row
(``benign``, ``legit``, ``example`` ..., or ``verdict="benign"``) marks the
Fingerprint ``noise = true`` (common software is no pivot) and keeps the
application names as tags; when the name of a server fingerprint (JARM, JA3S,
JA4S) is a domain, that Domain gets ``HAS_FINGERPRINT``. Each file is a Report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.csvfeed import csv_records

from graphpivot.canonical import FINGERPRINT_TYPES, InvalidValue, canonical_domain
from graphpivot.model import Edge, Loaded, Node, Progress, Record, Reject, Skipped, entity

VALUE_COLUMNS = {"ja3": "ja3", "ja3_md5": "ja3", "ja3_hash": "ja3", "ja3s": "ja3s", "ja3s_md5": "ja3s",
                 "ja4": "ja4", "ja4s": "ja4s", "jarm": "jarm", "jarm_hash": "jarm", "hassh": "hassh",
                 "hassh_server": "hassh_server"}
NAME_COLUMNS = ("name", "application", "app", "client", "malware", "threat", "family", "listingreason",
                "description", "label")
VERDICT_COLUMNS = ("kind", "verdict", "category", "classification")
SERVER_TYPES = ("jarm", "ja3s", "ja4s", "hassh_server")
_MALICIOUS = ("malicious", "malware", "c2", "botnet", "rat", "trojan", "bad", "threat")
_BENIGN = ("benign", "legit", "clean", "good", "example", "whitelist", "allow")
_TOOL_WORDS = ("c2", "framework", "tool", "pentest")


@dataclass
class _Table:
    path: Path
    source: str
    report: str
    observed_at: int
    fp_type: str | None
    verdict: str | None
    value: int = 0
    name: int | None = 1
    kind: int | None = None
    header: list[str] | None = None


def read_fingerprint_table(
    path: Path,
    source: str,
    *,
    observed_at: int,
    fp_type: str | None = None,
    verdict: str | None = None,
) -> Iterator[Record]:
    """Yield the file's Report, its Fingerprints and their Threat or Domain links."""
    if fp_type is not None and fp_type not in FINGERPRINT_TYPES:
        raise ValueError(f"unknown fingerprint type {fp_type!r}; choose from {', '.join(FINGERPRINT_TYPES)}")
    if verdict not in (None, "benign", "malicious"):
        raise ValueError("verdict must be 'benign' or 'malicious'")
    report = entity("Report", f"{source}:{path.name}", name=path.stem, source=source)
    yield report
    table = _Table(path, source, report.key, observed_at, fp_type, verdict)
    name = str(path)
    data_rows = loaded = 0
    for item in csv_records(path):
        if isinstance(item, Reject | Progress):
            yield item
            continue
        lineno, lines, text = item
        if lines == 0:
            yield Skipped(name, "comment lines" if text.strip() else "blank lines")
            continue
        try:
            row = next(csv.reader([text], strict=True), [])
        except csv.Error as exc:
            yield Reject(name, lineno, f"malformed CSV ({exc})", text, units=lines)
            continue
        cells = [c.strip() for c in row]
        if not any(cells):
            yield Skipped(name, "blank lines", lines)
            continue
        if data_rows == 0 and table.header is None and _take_header(table, cells):
            yield Skipped(name, "header lines", lines)
            continue
        if table.header is None and table.fp_type is None:
            yield Reject(name, lineno, "no header naming the fingerprint column and no type given (--type)", text,
                         units=lines)
            continue
        if data_rows == 0 and sum(1 for c in cells if c) == 1 and not _valid(table, cells):
            yield Skipped(name, "fingerprint table notice record", lines)
            continue
        data_rows += 1
        try:
            records = list(_row(table, lineno, cells))
        except Exception as exc:  # any field problem is this row's reject, never the load's crash
            records = [Reject(name, lineno, f"cannot read row: {exc}"[:500], text)]
        problems = [r for r in records if isinstance(r, Reject)]
        for problem in problems:
            problem.units = lines if problem is problems[0] else 0
        if not problems:
            loaded += lines
        yield from records
    yield Loaded(name, loaded)


def _take_header(table: _Table, cells: list[str]) -> bool:
    """Use ``cells`` as the header when one of them names a fingerprint column."""
    names = [c.lower() for c in cells]
    value = next((i for i, n in enumerate(names) if n in VALUE_COLUMNS), None)
    if value is None:
        return False
    table.header = names
    table.value = value
    table.fp_type = table.fp_type or VALUE_COLUMNS[names[value]]
    table.name = next((i for i, n in enumerate(names) if n in NAME_COLUMNS), None)
    table.kind = next((i for i, n in enumerate(names) if n in VERDICT_COLUMNS), None)
    return True


def _valid(table: _Table, cells: list[str]) -> bool:
    try:
        entity("Fingerprint", f"{table.fp_type}:{_cell(cells, table.value)}")
    except InvalidValue:
        return False
    return True


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _verdict(table: _Table, cells: list[str]) -> str | None:
    text = _cell(cells, table.kind).lower()
    words = set(text.replace("-", "_").split("_"))
    if words & set(_MALICIOUS):
        return "malicious"
    if words & set(_BENIGN):
        return "benign"
    return table.verdict


def _row(table: _Table, lineno: int, cells: list[str]) -> Iterator[Record]:
    assert table.fp_type is not None
    value, name = _cell(cells, table.value), _cell(cells, table.name)
    verdict = _verdict(table, cells)
    props: dict[str, Any] = {}
    if verdict == "malicious":
        props["indicator"] = True
    elif verdict == "benign":
        props["noise"] = True
        if name:
            props["tags"] = [n.strip() for n in name.split(",") if n.strip()]
    try:
        node = entity("Fingerprint", f"{table.fp_type}:{value}", **props)
    except InvalidValue as exc:
        yield Reject(str(table.path), lineno, str(exc), ",".join(cells))
        return
    key = node.key
    yield node
    context = [f"name: {name}"] if name else []
    if verdict:
        context.append(f"verdict: {verdict}")
    context += _extra_context(table, cells)
    seen = {"first_seen": table.observed_at}
    yield Edge("MENTIONS", "Report", table.report, "Fingerprint", key, {**seen, "context": context})
    if verdict == "malicious" and name:
        kind_text = _cell(cells, table.kind).lower()
        threat_type = "tool" if any(w in kind_text for w in _TOOL_WORDS) else "malware"
        threat = entity("Threat", name, name=name, threat_type=threat_type)
        yield threat
        yield Edge("ABOUT", "Report", table.report, "Threat", threat.key, dict(seen))
        yield Edge("ATTRIBUTED_TO", "Fingerprint", key, "Threat", threat.key, dict(seen))
    elif verdict == "benign" and name and table.fp_type in SERVER_TYPES:
        domain = _domain(name)
        if domain is not None:
            yield domain
            yield Edge("HAS_FINGERPRINT", "Domain", domain.key, "Fingerprint", key, dict(seen))


def _extra_context(table: _Table, cells: list[str]) -> list[str]:
    if table.header is None:
        return []
    used = {table.value, table.name, table.kind}
    return [f"{table.header[i]}: {cell}" for i, cell in enumerate(cells)
            if i not in used and i < len(table.header) and cell]


def _domain(name: str) -> Node | None:
    try:
        key = canonical_domain(name)
    except InvalidValue:
        return None
    return entity("Domain", key) if "." in key else None
