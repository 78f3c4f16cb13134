"""Plain indicator lists: one domain, IP, ``ip:port`` or URL a line, with ``#`` comments.

Reads maltrail trails, abuse.ch plain exports and analysts' own lists; defanged
forms are undone. ``# Reference: ...`` comments are kept as context on the
``MENTIONS`` edges of the indicators below them. Each file becomes a Report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from graphpivot.loaders.textio import read_lines

from graphpivot.canonical import InvalidValue, split_host_port
from graphpivot.model import Edge, Loaded, Node, Record, Reject, Skipped, entity, host_of_url, indicator_node

_COMMENT_PREFIXES = ("#", ";", "//")
_REFERENCE_PREFIX = "reference:"


def read_ioc_list(
    path: Path, source: str, *, threat: str | None = None, tags: list[str] | None = None, observed_at: int
) -> Iterator[Record]:
    """Yield the file's Report, its indicators and the ``MENTIONS`` edges to them.

    ``tags`` go on the Report: ``suspicious`` marks a list of services or providers
    (IP-lookup sites, dynamic DNS) rather than of malicious infrastructure, which
    the exposure grading weighs accordingly.
    """
    report = entity("Report", f"{source}:{path.name}", name=path.stem, source=source, tags=tags or [])
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
