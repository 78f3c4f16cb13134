"""The noise list: shared infrastructure (CDNs, parking and registrar name servers,
privacy e-mail services, free CAs, sinkholes) that links unrelated domains.

A CSV file (``kind,value,category,name,source``; ``#`` comments) of rules. Each
rule that names one node (an ASN, a CIDR netblock, an IP, a domain, an e-mail
address) becomes that node with ``noise = true`` and a ``noise_reason``; how the
rules spread to the nodes they cover (names under a domain, addresses inside a
range, ...) is :mod:`graphpivot.reference.noise_flags`'s job.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graphpivot import canonical as c
from graphpivot.model import Loaded, Progress, Record, Reject, entity

COLUMNS = ("kind", "value", "category", "name", "source")
_NODE_KINDS = {"asn": "ASN", "cidr": "Netblock", "ip": "IP", "domain": "Domain", "email": "Email"}
_CANONICAL: dict[str, Callable[[str], str]] = {
    "asn": c.canonical_asn,
    "cidr": c.canonical_cidr,
    "ip": c.canonical_ip,
    "domain": c.canonical_domain,
    "email": c.canonical_email,
    "cert_cn": lambda v: " ".join(v.split()),
}
KINDS = tuple(_CANONICAL)


@dataclass(frozen=True)
class NoiseRule:
    """One line of the noise list, its value canonical."""

    kind: str
    value: str
    category: str
    name: str
    source: str

    @property
    def reason(self) -> str:
        """What pivots report as ``noise_reason``."""
        return f"{self.category}: {self.name}" if self.name else self.category

    @property
    def label(self) -> str | None:
        """The node label this rule names, if it names one."""
        return _NODE_KINDS.get(self.kind)


def read_rules(path: Path) -> Iterator[NoiseRule | Reject]:
    """Parse the list; a bad line becomes a :class:`Reject` and the rest still loads."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        yield Reject(str(path), None, f"cannot read noise list: {exc}", units=0)
        return
    if not lines or [h.strip().lower() for h in _header(lines[0][1])] != list(COLUMNS):
        yield Reject(str(path), lines[0][0] if lines else None, f"header must be {','.join(COLUMNS)}", units=0)
        return
    for lineno, line in lines[1:]:
        yield _rule(path, lineno, line)


def _header(line: str) -> list[str]:
    fields = csv_fields(line)
    return [] if isinstance(fields, str) else fields


def csv_fields(line: str) -> list[str] | str:
    """The fields of one CSV line, or why the csv module refuses it (a field over its size limit)."""
    try:
        return next(csv.reader([line]))
    except csv.Error as exc:
        return f"not a CSV line: {exc}"


def _rule(path: Path, lineno: int, line: str) -> NoiseRule | Reject:
    fields = csv_fields(line)
    if isinstance(fields, str):
        return Reject(str(path), lineno, fields, line.rstrip("\n"))
    if len(fields) != len(COLUMNS):
        return Reject(str(path), lineno, f"expected {len(COLUMNS)} fields, got {len(fields)}", line.rstrip("\n"))
    kind, value, category, name, source = (f.strip() for f in fields)
    kind = kind.lower()
    if kind not in _CANONICAL:
        return Reject(str(path), lineno, f"unknown kind {kind!r} (one of {', '.join(KINDS)})", line.rstrip("\n"))
    if not category:
        return Reject(str(path), lineno, "empty category", line.rstrip("\n"))
    try:
        canonical = _CANONICAL[kind](value)
    except c.InvalidValue as exc:
        return Reject(str(path), lineno, str(exc), line.rstrip("\n"))
    if not canonical:
        return Reject(str(path), lineno, "empty value", line.rstrip("\n"))
    return NoiseRule(kind, canonical, category.lower(), name, source)


def read_noise_list(path: Path, source: str) -> Iterator[Record]:
    """The nodes the list names, each with ``noise = true`` and its reason; rejects for bad lines."""
    count = loaded = 0
    for item in read_rules(path):
        if isinstance(item, Reject):
            count += item.units
            yield item
            continue
        count += 1
        loaded += 1
        if item.label is not None:
            yield entity(item.label, item.value, noise=True, noise_reason=item.reason, sources=[source])
    yield Loaded(str(path), loaded)
    yield Progress(str(path), count)
