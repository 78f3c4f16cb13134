"""Plain indicator lists: one domain, IP, ``ip:port`` or URL a line, with ``#`` comments.

Reads maltrail trails, abuse.ch plain exports and analysts' own lists; defanged
forms are undone. ``# Reference: ...`` comments are kept as context on the
``MENTIONS`` edges of the indicators below them. Each file becomes a Report.

A list under a folder named ``suspicious`` (maltrail's ``trails/static/suspicious/``:
IP-lookup sites, dynamic DNS, ...), or whose file name has the word, is marked so by its publisher: its Report is tagged
``suspicious`` (context, not malicious infrastructure) without ``--tag``. Lines that
are file hashes, e-mail addresses or CIDR ranges are not domains: they are counted as
skipped with their kind, not rejected as invalid names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from graphpivot.loaders.textio import read_lines

from graphpivot.canonical import InvalidValue, split_host_port
from graphpivot.model import Edge, Loaded, Node, Record, Reject, Skipped, entity, host_of_url, indicator_node

_COMMENT_PREFIXES = ("#", ";", "//")
_REFERENCE_PREFIX = "reference:"
SUSPICIOUS_FOLDER = "suspicious"
_HASH_LENGTHS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
_CIDR = re.compile(r"^[0-9a-fA-F:.]+/\d{1,3}$")


def not_a_host(value: str) -> str | None:
    """The kind of a value that is no domain, IP or URL (a hash, an e-mail address, a CIDR), else None."""
    if _HEX.match(value) and len(value) in _HASH_LENGTHS:
        return f"{_HASH_LENGTHS[len(value)]} hashes"
    if _EMAIL.match(value):
        return "e-mail addresses"
    if _CIDR.match(value):
        return "CIDR ranges"
    return None


def publisher_tags(path: Path) -> list[str]:
    """Tags the publisher's naming gives a list: ``suspicious`` when a folder or the file name says so."""
    words = {w for part in (*path.parent.parts, path.stem) for w in re.split(r"[^a-z]+", part.lower())}
    return [SUSPICIOUS_FOLDER] if SUSPICIOUS_FOLDER in words else []


def read_ioc_list(
    path: Path, source: str, *, threat: str | None = None, tags: list[str] | None = None, observed_at: int
) -> Iterator[Record]:
    """Yield the file's Report, its indicators and the ``MENTIONS`` edges to them.

    ``tags`` go on the Report: ``suspicious`` marks a list of services or providers
    (IP-lookup sites, dynamic DNS) rather than of malicious infrastructure, which
    the exposure grading weighs accordingly.
    """
    tags = [*(tags or []), *(t for t in publisher_tags(path) if t not in (tags or []))]
    report = entity("Report", f"{source}:{path.name}", name=path.stem, source=source, tags=tags)
    yield report
    if threat:
        threat_node = entity("Threat", threat, name=threat)
        yield threat_node
        yield Edge("ABOUT", "Report", report.key, "Threat", threat_node.key, {"first_seen": observed_at})
    reference: str | None = None
    name = str(path)
    loaded = 0
    for item in read_lines(path, progress_every=10_000):
        if not isinstance(item, tuple):
            yield item  # a Reject for an unreadable line (invalid UTF-8, NUL, too long) or a Progress
            continue
        lineno, raw_line = item
        line = raw_line.strip()
        if not line:
            yield Skipped(name, "blank lines")
            continue
        if line.startswith(_COMMENT_PREFIXES):
            comment = line.lstrip("#;/ ").strip()
            if comment.lower().startswith(_REFERENCE_PREFIX):
                reference = comment[len(_REFERENCE_PREFIX) :].strip()
            yield Skipped(name, "comment lines")
            continue
        value = line.split(" #", 1)[0].split("\t#", 1)[0].strip()
        kind = not_a_host(value)
        if kind is not None:
            yield Skipped(name, f"ioc {kind}")
            continue
        records = list(_indicator(path, lineno, value, raw_line, report, reference, threat, observed_at))
        if not any(isinstance(r, Reject) for r in records):
            loaded += 1
        yield from records
    yield Loaded(name, loaded)


def _indicator(
    path: Path,
    lineno: int,
    value: str,
    raw_line: str,
    report: Node,
    reference: str | None,
    threat: str | None,
    observed_at: int,
) -> Iterator[Record]:
    try:
        node = indicator_node(value, indicator=True)
        if node.label == "Domain" and "." not in node.key:
            raise InvalidValue(f"single-label name is not an indicator: {value!r}")
        context = [f"reference: {reference}"] if reference else []
        if node.label == "IP":
            port = split_host_port(value)[1]
            if port is not None:
                context.append(f"port: {port}")
        host = _host(node)
    except Exception as exc:  # any value problem is this line's reject, never the load's crash
        yield Reject(str(path), lineno, str(exc)[:500], raw_line)
        return
    yield node
    mention = {"first_seen": observed_at, "context": context}
    yield Edge("MENTIONS", "Report", report.key, node.label, node.key, mention)
    if threat:
        threat_key = entity("Threat", threat).key
        yield Edge("ATTRIBUTED_TO", node.label, node.key, "Threat", threat_key, {"first_seen": observed_at})
    if host is not None:
        yield host
        yield Edge("ON_HOST", "URL", node.key, host.label, host.key, {"first_seen": observed_at})


def _host(node: Node) -> Node | None:
    return host_of_url(node.key) if node.label == "URL" else None
