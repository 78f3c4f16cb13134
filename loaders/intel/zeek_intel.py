"""Zeek Intel framework files (``Intel::ADDR``, ``DOMAIN``, ``URL``, ``EMAIL``, ``SUBNET``, hashes …).

A tab-separated file with a ``#fields`` header naming at least ``indicator`` and
``indicator_type`` (``meta.source``, ``meta.desc``, ``meta.url`` are kept as context on
the ``MENTIONS`` edges). Each file becomes a Report. Indicator kinds the graph does not
key (file hashes, certificate SHA-1s, subnets, software and user names) are counted as
skipped per kind, never rejected as malformed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graphpivot.loaders.textio import content_lines

from graphpivot.canonical import InvalidValue
from graphpivot.model import Edge, Loaded, Node, Record, Reject, Skipped, entity, host_of_url, indicator_node

# Zeek indicator type -> graph label (None: read, counted as skipped).
ZEEK_TYPES: dict[str, str | None] = {
    "Intel::ADDR": "IP",
    "Intel::DOMAIN": "Domain",
    "Intel::URL": "URL",
    "Intel::EMAIL": "Email",
    "Intel::SUBNET": None,
    "Intel::FILE_HASH": None,
    "Intel::FILE_NAME": None,
    "Intel::CERT_HASH": None,  # SHA-1 of a certificate: graphpivot keys certificates by SHA-256
    "Intel::PUBKEY_HASH": None,
    "Intel::SOFTWARE": None,
    "Intel::USER_NAME": None,
}
_CONTEXT_FIELDS = ("meta.source", "meta.desc", "meta.url")


def read_zeek_intel(path: Path, source: str, *, observed_at: int) -> Iterator[Record]:
    """Yield the file's Report, its indicators and the ``MENTIONS`` edges to them.

    Accounting unit: a line (header and comment lines skipped, unreadable lines rejected, see
    :func:`~graphpivot.loaders.textio.read_lines`).
    """
    name = str(path)
    report = entity("Report", f"{source}:{path.name}", name=path.stem, source=source)
    yield report
    fields: list[str] = []
    loaded = 0
    for item in content_lines(path):
        if not isinstance(item, tuple):
            yield item
            continue
        lineno, line = item
        if line.startswith("#"):
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            yield Skipped(name, "Zeek Intel header and comment lines")
        elif "indicator" not in fields or "indicator_type" not in fields:
            yield Reject(name, lineno, "no '#fields' header naming indicator and indicator_type", line)
        else:
            records = list(_row(path, lineno, line, fields, report, observed_at))
            if any(isinstance(r, Node) for r in records):
                loaded += 1
            yield from records
    yield Loaded(name, loaded)


def _row(path: Path, lineno: int, line: str, fields: list[str], report: Node, observed_at: int) -> Iterator[Record]:
    cells = line.split("\t")
    if len(cells) != len(fields):
        yield Reject(str(path), lineno, f"{len(cells)} columns where the header names {len(fields)}", line)
        return
    row = dict(zip(fields, cells, strict=True))
    kind = row["indicator_type"].strip()
    if kind not in ZEEK_TYPES:
        yield Reject(str(path), lineno, f"unknown Zeek indicator type {kind!r}", line)
        return
    label = ZEEK_TYPES[kind]
    if label is None:
        yield Skipped(str(path), f"Zeek {kind} indicator (not a graph key)")
        return
    value = row["indicator"].strip()
    try:
        if label == "URL":  # Zeek matches URLs as host/path, without a scheme
            node = entity("URL", value if "://" in value else f"http://{value}", indicator=True)
        elif label == "Email":
            node = entity("Email", value, indicator=True)
        else:
            node = indicator_node(value, indicator=True)
            if node.label != label:
                raise InvalidValue(f"{kind} value {value!r} is not a {label}")
    except InvalidValue as exc:
        yield Reject(str(path), lineno, str(exc), line)
        return
    context = [
        f"{name.removeprefix('meta.')}: {row[name]}" for name in _CONTEXT_FIELDS if row.get(name, "-") not in ("", "-")
    ]
    yield node
    yield Edge("MENTIONS", "Report", report.key, node.label, node.key, {"first_seen": observed_at, "context": context})
    if node.label == "URL":
        host = host_of_url(node.key)
        yield host
        yield Edge("ON_HOST", "URL", node.key, host.label, host.key, {"first_seen": observed_at})
