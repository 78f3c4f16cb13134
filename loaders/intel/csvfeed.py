"""CSV indicator feeds with a column mapping (abuse.ch ThreatFox / URLhaus / Feodo Tracker styles).

A :class:`FeedColumns` mapping names the column (header name or 1-based index)
of the value and, optionally, its type, threat, first/last seen times,
confidence, tags, reference and port. Header lines may be ``#`` comments, as in
the abuse.ch exports: when the mapping uses names, the header is the first line
(comment or not) that holds all of them. Without a type column every value is
classified as URL, IP (``ip:port`` too) or domain; ``kind`` forces one kind for
the whole file (e.g. ``ja3`` or ``x509-sha1`` lists).

Each file is a Report that MENTIONS every indicator (``indicator = true``); a
URL also gets its host with ``ON_HOST``; a threat column gives ``ATTRIBUTED_TO``.
Rows whose type is not infrastructure (file hashes ...) are counted as skipped;
unreadable rows are rejected with their line number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.indicators import KINDS, Indicator, optional_epoch, typed_indicator, url_host_records
from graphpivot.loaders.textio import MAX_LINE_BYTES, read_lines

from graphpivot.canonical import InvalidValue, split_host_port
from graphpivot.model import Edge, Loaded, Progress, Record, Reject, Skipped, entity, indicator_node

# Feed type names (lower-cased) -> indicator kind.
FEED_TYPES: dict[str, str] = {
    **{kind: kind for kind in KINDS},
    "hostname": "domain", "fqdn": "domain", "domain-name": "domain", "host": "domain",
    "ipv4": "ip", "ipv6": "ip", "ip-dst": "ip", "ip-src": "ip", "ipv4-addr": "ip", "ipv6-addr": "ip",
    "ip_address": "ip", "ip:port": "ip-port", "ip-dst|port": "ip-port", "ipport": "ip-port",
    "netblock": "cidr", "subnet": "cidr", "email-addr": "email", "email-src": "email", "as": "asn",
    "ja3_md5": "ja3", "ja3-fingerprint-md5": "ja3", "jarm-fingerprint": "jarm",
    "x509-fingerprint-sha256": "x509-sha256", "x509-fingerprint-sha1": "x509-sha1",
    "x509-fingerprint-md5": "x509-md5", "uri": "url", "link": "url",
}
_EMPTY = ("", "none", "null", "n/a", "-")


@dataclass(frozen=True)
class FeedColumns:
    """Which column holds what: a header name or a 1-based column number."""

    value: str
    type: str | None = None
    threat: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    confidence: str | None = None
    tags: str | None = None
    reference: str | None = None
    port: str | None = None

    @classmethod
    def parse(cls, spec: str, base: FeedColumns | None = None) -> FeedColumns:
        """``value=ioc,type=ioc_type,threat=3``; entries override ``base`` (a preset)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, str | None] = {f.name: getattr(base, f.name) for f in fields(cls)} if base else {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, column = part.partition("=")
            if not sep or name.strip() not in known or not column.strip():
                raise ValueError(f"bad column mapping {part!r}: use ROLE=COLUMN with ROLE in {sorted(known)}")
            values[name.strip()] = column.strip()
        if not values.get("value"):
            raise ValueError("the column mapping needs value=COLUMN")
        return cls(**values)  # type: ignore[arg-type]

    def roles(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def named(self) -> list[str]:
        """Columns given by header name (not by number)."""
        return [c for c in self.roles().values() if not c.isdigit()]


PRESETS: dict[str, FeedColumns] = {
    # ThreatFox CSV export: "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware",...
    "threatfox": FeedColumns(
        value="ioc_value", type="ioc_type", threat="malware_printable", first_seen="first_seen_utc",
        last_seen="last_seen_utc", confidence="confidence_level", tags="tags", reference="reference",
    ),
    # URLhaus CSV export: id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
    "urlhaus": FeedColumns(value="url", first_seen="dateadded", last_seen="last_online", tags="tags",
                           reference="urlhaus_link"),
    # Feodo Tracker IP blocklist CSV: first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware
    "feodotracker": FeedColumns(value="dst_ip", port="dst_port", threat="malware", first_seen="first_seen_utc",
                                last_seen="last_online"),
}


@dataclass
class _Feed:
    path: Path
    source: str
    columns: FeedColumns
    kind: str | None
    threat: str | None
    observed_at: int
    report: str
    index: dict[str, int] | None = None  # role -> 0-based column


def read_csv_feed(
    path: Path,
    source: str,
    *,
    columns: FeedColumns,
    observed_at: int,
    kind: str | None = None,
    threat: str | None = None,
    delimiter: str = ",",
) -> Iterator[Record]:
    """Yield the file's Report, its indicators and their edges."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown indicator kind {kind!r}; choose from {', '.join(KINDS)}")
    report = entity("Report", f"{source}:{path.name}", name=path.stem, source=source)
    yield report
    feed = _Feed(path, source, columns, kind, threat, observed_at, report.key)
    if not columns.named():
        feed.index = {role: int(col) - 1 for role, col in columns.roles().items()}
    if threat:
        yield from _threat(feed, threat)
    yield from _records(feed, delimiter)


def _records(feed: _Feed, delimiter: str) -> Iterator[Record]:
    """Every row of the feed as records, rejects or skips, then the file's loaded count."""
    name = str(feed.path)
    columns = feed.columns
    loaded = 0
    for item in csv_records(feed.path):
        if isinstance(item, Reject | Progress):
            yield item
            continue
        start, lines, text = item
        if lines == 0:  # a blank or comment line
            if text.lstrip().startswith("#") and feed.index is None:
                cells = next(csv.reader([text.lstrip().lstrip("#")], skipinitialspace=True), [])
                feed.index = _header(feed, cells)
            yield Skipped(name, "comment lines" if text.strip() else "blank lines")
            continue
        try:
            row = next(csv.reader([text], delimiter=delimiter, skipinitialspace=True, strict=True), [])
        except csv.Error as exc:
            yield Reject(name, start, f"malformed CSV ({exc})", text, units=lines)
            continue
        if not any(cell.strip() for cell in row):
            yield Skipped(name, "blank lines", lines)
            continue
        if feed.index is None:
            header = _header(feed, row)
            if header is None:
                yield Reject(name, start, f"no header line with the columns {columns.named()} "
                             "before the first data row", text, units=lines)
                continue
            feed.index = header
            yield Skipped(name, "header lines", lines)
            continue
        try:
            records = list(_row(feed, start, row, text))
        except Exception as exc:  # any field problem is this row's reject, never the load's crash
            records = [Reject(name, start, f"cannot read row: {exc}"[:500], text)]
        outcome = [r for r in records if isinstance(r, Reject | Skipped)]
        for record in outcome:  # a row spanning several lines accounts for all of them
            if isinstance(record, Reject):
                record.units = lines
            else:
                record.count = lines
        if not outcome:
            loaded += lines
        yield from records
    yield Loaded(name, loaded)


# A quoted field may span lines; a record is cut off (rejected) past this many characters.
MAX_RECORD_CHARS = MAX_LINE_BYTES


def csv_records(path: Path) -> Iterator[tuple[int, int, str] | Reject | Progress]:
    """``(first line, lines spanned, text)`` per CSV record; ``lines`` 0 for blank and ``#`` comment lines.

    Lines come from :func:`read_lines` (an unreadable line is its own reject and
    the rest of the file still loads); a record whose quotes stay open joins the
    next lines, up to :data:`MAX_RECORD_CHARS`.
    """
    name = str(path)
    pending: list[str] = []
    start = 0
    for item in read_lines(path, progress_every=10_000):
        if not isinstance(item, tuple):
            if isinstance(item, Reject) and pending:  # an unreadable line inside an open record ends it
                yield Reject(name, start, "CSV record broken by an unreadable line", "\n".join(pending),
                             units=len(pending))
                pending = []
            yield item
            continue
        lineno, text = item
        if not pending:
            if not text.strip() or text.lstrip().startswith("#"):
                yield lineno, 0, text
                continue
            start = lineno
        pending.append(text)
        joined = "\n".join(pending)
        if joined.count('"') % 2 == 0:
            yield start, len(pending), joined
            pending = []
        elif len(joined) > MAX_RECORD_CHARS:
            yield Reject(name, start, f"CSV record longer than {MAX_RECORD_CHARS} characters (a quote left open?)",
                         joined, units=len(pending))
            pending = []
    if pending:
        yield Reject(name, start, "file ends inside a quoted CSV field", "\n".join(pending), units=len(pending))


def _header(feed: _Feed, cells: list[str]) -> dict[str, int] | None:
    names = [c.strip().lower() for c in cells]
    index: dict[str, int] = {}
    for role, column in feed.columns.roles().items():
        if column.isdigit():
            index[role] = int(column) - 1
        elif column.lower() in names:
            index[role] = names.index(column.lower())
        else:
            return None
    return index


def _cell(feed: _Feed, row: list[str], role: str) -> str | None:
    assert feed.index is not None
    col = feed.index.get(role)
    if col is None or col >= len(row):
        return None
    text = row[col].strip()
    return None if text.lower() in _EMPTY else text


def _threat(feed: _Feed, name: str) -> Iterator[Record]:
    node = entity("Threat", name, name=name)
    yield node
    yield Edge("ABOUT", "Report", feed.report, "Threat", node.key, {"first_seen": feed.observed_at})


def _row(feed: _Feed, lineno: int, row: list[str], raw: str) -> Iterator[Record]:
    value = _cell(feed, row, "value")
    if value is None:
        yield Reject(str(feed.path), lineno, "empty value column", raw)
        return
    kind = feed.kind
    type_cell = _cell(feed, row, "type")
    if kind is None and type_cell is not None:
        kind = FEED_TYPES.get(type_cell.lower())
        if kind is None:
            yield Skipped(str(feed.path), f"feed type {type_cell.lower()}")
            return
    try:
        made = typed_indicator(kind, value, indicator=True) if kind else _classify(value)
        mention = _mention_props(feed, row)
    except InvalidValue as exc:
        yield Reject(str(feed.path), lineno, str(exc), raw)
        return
    node = made.node
    mention["context"] = made.context + mention["context"]
    times = {k: mention[k] for k in ("first_seen", "last_seen")}
    yield node
    yield Edge("MENTIONS", "Report", feed.report, node.label, node.key, mention)
    yield from url_host_records(node, times)
    threats = [t for t in (feed.threat, _cell(feed, row, "threat")) if t]
    for name in dict.fromkeys(threats):
        if name != feed.threat:
            yield from _threat(feed, name)
        yield Edge("ATTRIBUTED_TO", node.label, node.key, "Threat", entity("Threat", name).key, dict(times))


def _classify(value: str) -> Indicator:
    node = indicator_node(value, indicator=True)
    if node.label == "Domain" and "." not in node.key:
        raise InvalidValue(f"single-label name is not an indicator: {value!r}")
    port = split_host_port(value)[1] if node.label != "URL" else None
    return Indicator(node, [f"port: {port}"] if port is not None else [])


def _mention_props(feed: _Feed, row: list[str]) -> dict[str, Any]:
    first = optional_epoch(_cell(feed, row, "first_seen"))
    last = optional_epoch(_cell(feed, row, "last_seen"))
    props: dict[str, Any] = {"first_seen": first if first is not None else feed.observed_at, "context": []}
    props["last_seen"] = max(props["first_seen"], last) if last is not None else props["first_seen"]
    if first is not None:
        props["valid_from"] = first
    if last is not None:
        props["valid_until"] = last
    confidence = _cell(feed, row, "confidence")
    if confidence is not None:
        if not confidence.isdigit() or int(confidence) > 100:
            raise InvalidValue(f"confidence must be 0-100: {confidence!r}")
        props["confidence"] = int(confidence)
    port = _cell(feed, row, "port")
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidValue(f"invalid port {port!r}")
        props["context"].append(f"port: {int(port)}")
    tags = _cell(feed, row, "tags")
    if tags:
        props["context"].extend(f"tag: {t.strip()}" for t in tags.split(",") if t.strip())
    reference = _cell(feed, row, "reference")
    if reference:
        props["context"].append(f"reference: {reference}")
    return props

