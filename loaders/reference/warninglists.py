"""MISP warninglists and the table that says what each one means for a finding.

The lists come from ``pymispwarninglists`` (the MISP project's lists, CC0, shipped
as JSON inside that package); :func:`read_table` reads graphpivot's table
(``graphpivot/data/warninglists.csv``, overridable) that maps each list to a meaning
(benign-popular, abusable-service, provider-hub, suspicious-context, off) and adds
local ``domain`` and ``cidr`` entries, each row with its source. :func:`read_list`
yields one list's values as domain or network entries. No database here: turning
entries into graph data is :mod:`graphpivot.reference.warninglists`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from graphpivot.loaders.reference.noise_list import csv_fields

from graphpivot import canonical as c
from graphpivot.model import Reject

COLUMNS = ("kind", "value", "meaning", "source")
MEANINGS = ("benign-popular", "abusable-service", "provider-hub", "suspicious-context", "off")
KINDS = ("list", "domain", "cidr")
LOCAL_LIST = "local"
_PLAIN_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")  # already canonical


@dataclass(frozen=True)
class TableRow:
    """One row of the meaning table: a list's meaning, or a local domain/range entry."""

    kind: str
    value: str
    meaning: str
    source: str


@dataclass(frozen=True)
class Entry:
    """One value of a list: a domain (``suffix``: only names under it) or a network (version, first, last)."""

    kind: str  # "domain" or "cidr"
    value: str
    suffix: bool = False
    span: tuple[int, int, int] = (0, 0, 0)


def network_span(text: str) -> tuple[int, int, int]:
    """(IP version, first address, last address) of a CIDR or address; fast for plain IPv4."""
    address, _, bits = text.partition("/")
    parts = address.split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts) and (not bits or bits.isdigit()):
        prefix = int(bits) if bits else 32
        if prefix <= 32:
            value = (int(parts[0]) << 24) | (int(parts[1]) << 16) | (int(parts[2]) << 8) | int(parts[3])
            size = 1 << (32 - prefix)
            first = value & ~(size - 1) & 0xFFFFFFFF
            return 4, first, first + size - 1
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)


def lists_root() -> Path:
    """Folder of the MISP lists inside the installed ``pymispwarninglists``."""
    return Path(str(resources.files("pymispwarninglists") / "data" / "misp-warninglists" / "lists"))


def package_version() -> str:
    return metadata.version("pymispwarninglists")


def read_table(path: Path) -> Iterator[TableRow | Reject]:
    """Rows of a meaning table; a bad line becomes a :class:`Reject`."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        yield Reject(str(path), None, f"cannot read the warninglist table: {exc}")
        return
    header = csv_fields(lines[0][1]) if lines else []
    if isinstance(header, str) or [h.strip().lower() for h in header] != list(COLUMNS):
        yield Reject(str(path), lines[0][0] if lines else None, f"header must be {','.join(COLUMNS)}")
        return
    for lineno, line in lines[1:]:
        cells = csv_fields(line)
        if isinstance(cells, str):
            yield Reject(str(path), lineno, cells, line.rstrip("\n"))
            continue
        fields = [f.strip() for f in cells]
        if len(fields) != len(COLUMNS):
            yield Reject(str(path), lineno, f"expected {len(COLUMNS)} fields, got {len(fields)}", line.rstrip("\n"))
            continue
        kind, value, meaning, source = fields
        kind, meaning = kind.lower(), meaning.lower()
        if kind not in KINDS or meaning not in MEANINGS:
            yield Reject(str(path), lineno, f"kind must be one of {KINDS}, meaning one of {MEANINGS}",
                         line.rstrip("\n"))
            continue
        try:
            if kind == "domain":
                suffix = value.startswith(".")
                value = ("." if suffix else "") + c.canonical_domain(value.lstrip("."))
            elif kind == "cidr":
                value = c.canonical_cidr(value)
            elif not (lists_root() / value / "list.json").is_file():
                raise c.InvalidValue(f"no MISP warninglist named {value!r} in pymispwarninglists {package_version()}")
        except c.InvalidValue as exc:
            yield Reject(str(path), lineno, str(exc), line.rstrip("\n"))
            continue
        yield TableRow(kind, value, meaning, source)


def merged_table(packaged: Path, override: Path | None) -> tuple[list[TableRow], list[Reject]]:
    """The packaged table with an override file's rows on top (a list row replaces that list's row)."""
    rows: dict[tuple[str, str], TableRow] = {}
    rejects: list[Reject] = []
    for path in (packaged, override):
        if path is None:
            continue
        for item in read_table(path):
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                rows[(item.kind, item.value)] = item
    return list(rows.values()), rejects


def read_list(name: str) -> tuple[dict[str, str], Iterator[Entry]]:
    """A list's metadata and its values as entries (values that are neither names nor networks are left out)."""
    doc = json.loads((lists_root() / name / "list.json").read_text(encoding="utf-8"))
    meta = {"name": str(doc.get("name", name)), "version": str(doc.get("version", "")),
            "type": str(doc.get("type", ""))}
    return meta, _entries(str(doc.get("type", "")), doc.get("list") or [])


def _entries(list_type: str, values: list[object]) -> Iterator[Entry]:
    for raw in values:
        if not isinstance(raw, str) or not raw.strip():
            continue
        text = raw.strip().lower()
        if list_type == "cidr":
            try:
                yield Entry("cidr", text, span=network_span(text))
            except ValueError:
                continue
        elif list_type in ("hostname", "string"):
            suffix = text.startswith((".", "*."))
            name = text.removeprefix("*.").lstrip(".")
            if not name or "/" in name or "*" in name or ":" in name or "." not in name:
                continue
            if _PLAIN_NAME.match(name):
                yield Entry("domain", name, suffix)
                continue
            try:
                yield Entry("domain", c.canonical_domain(name), suffix)
            except c.InvalidValue:
                continue


def table_digest(rows: list[TableRow]) -> str:
    """A short digest of the table's rows: part of the installed version."""
    text = "\n".join(sorted(f"{r.kind},{r.value},{r.meaning}" for r in rows))
    return hashlib.sha256(text.encode()).hexdigest()[:10]
