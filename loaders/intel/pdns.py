"""Passive DNS in the Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof), JSON lines.

One JSON object per line with ``rrname``, ``rrtype``, ``rdata`` (a string or a
list of strings), ``time_first``, ``time_last`` and ``count``, as Farsight
DNSDB (API v1, and v2 "SAF" lines wrapped in ``{"obj": ...}`` between ``cond``
lines) and CIRCL pDNS export it. Zone-file observations (``zone_time_first`` /
``zone_time_last``) stand in when the sensor times are absent; times are epoch
seconds or ISO 8601 text.

Each answer becomes an edge with the history's real first/last seen and count:
A/AAAA ``(Domain)-[:RESOLVES_TO]->(IP)``, ``CNAME``, ``NS`` and ``MX`` (the
preference dropped) ``(Domain)->(Domain)``, PTR ``(IP)-[:PTR]->(Domain)``. So the
IP-reuse and shared-infrastructure pivots work on history the enterprise never
observed itself. Other record types are read and counted as skipped; a line
that is not a COF record is rejected with its reason and the rest loads.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.indicators import epoch
from graphpivot.loaders.textio import content_lines, loads_limited

from graphpivot.canonical import InvalidValue, canonical_domain, canonical_ip
from graphpivot.model import Edge, Loaded, Note, Record, Reject, Skipped

NAME_TYPES = {"CNAME": "CNAME", "NS": "NS", "MX": "MX"}
ADDRESS_TYPES = ("A", "AAAA")


def read_pdns(path: Path, source: str = "pdns") -> Iterator[Record]:
    """Every edge of one COF JSON-lines file; a bad line is rejected with file, line and reason.

    Accounting unit: a line. One that gives edges is loaded, a bad one rejected; blank lines,
    DNSDB v2 framing lines and records of types not modelled are skipped.
    """
    name = str(path)
    loaded = 0
    for item in content_lines(path):
        if not isinstance(item, tuple):
            yield item
            continue
        lineno, text = item
        try:
            records = cof_records(text, name, source)
        except (ValueError, InvalidValue) as exc:
            yield Reject(name, lineno, str(exc), text)
            continue
        if any(isinstance(r, Edge) for r in records):
            loaded += 1
        elif not any(isinstance(r, Skipped) for r in records):  # framing: {"cond": ...}, maybe with a Note
            records.append(Skipped(name, "pdns stream framing lines (DNSDB 'cond')"))
        yield from records
    yield Loaded(name, loaded)


def cof_records(text: str, where: str = "pdns", source: str = "pdns") -> list[Record]:
    """The records of one COF line (pure; raises ``ValueError`` for a line that is not a COF record)."""
    doc = loads_limited(text)  # a ValueError naming the problem: invalid, too deep, a non-finite number
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, found {type(doc).__name__}")
    if "cond" in doc and "obj" not in doc:  # DNSDB v2 stream framing
        if doc["cond"] == "limited":
            return [Note(f"{where}: the service cut its answer short ({doc.get('msg') or 'result limit'})")]
        return []
    obj = doc.get("obj", doc)
    if not isinstance(obj, dict):
        raise ValueError("'obj' is not a JSON object")
    return cof_object(obj, where, source)


def cof_object(obj: dict[str, Any], where: str = "pdns", source: str = "pdns") -> list[Record]:
    """The records of one COF object (a dict); used by the loader and the ``enrich pdns`` job."""
    missing = [f for f in ("rrname", "rrtype", "rdata") if obj.get(f) in (None, "", [])]
    if missing:
        raise ValueError(f"COF record lacks {', '.join(missing)}")
    first_raw = obj.get("time_first", obj.get("zone_time_first"))
    last_raw = obj.get("time_last", obj.get("zone_time_last", first_raw))
    if first_raw is None:
        raise ValueError("COF record lacks time_first (and zone_time_first)")
    first, last = epoch(first_raw), epoch(last_raw if last_raw is not None else first_raw)
    if last < first:
        raise ValueError(f"time_last {last} is before time_first {first}")
    count = obj.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        try:
            count = int(str(count))
        except ValueError:
            raise ValueError(f"count should be a whole number, found {str(count)[:40]!r}") from None
    rrtype = str(obj["rrtype"]).upper()
    rdata = obj["rdata"] if isinstance(obj["rdata"], list) else [obj["rdata"]]
    props = {"first_seen": first, "last_seen": last, "count": count, "sources": [source]}
    rrname = str(obj["rrname"])
    if rrtype == "PTR":
        address = _reverse_address(rrname)
        return [Edge("PTR", "IP", address, "Domain", _name(v), dict(props)) for v in rdata]
    if rrtype not in ADDRESS_TYPES and rrtype not in NAME_TYPES:
        return [Skipped(where, f"pdns {rrtype} records")]
    owner = _name(rrname)
    records: list[Record] = []
    for value in rdata:
        text = str(value).strip()
        if rrtype in ADDRESS_TYPES:
            records.append(Edge("RESOLVES_TO", "Domain", owner, "IP", canonical_ip(text), dict(props)))
        else:
            target = text.split()[-1] if rrtype == "MX" else text  # "10 mx.example.com."
            records.append(Edge(NAME_TYPES[rrtype], "Domain", owner, "Domain", _name(target), dict(props)))
    return records


def _name(text: str) -> str:
    name = canonical_domain(str(text))
    if "." not in name:
        raise InvalidValue(f"single-label name {name!r} is no one's infrastructure")
    return name


def _reverse_address(rrname: str) -> str:
    """``4.3.2.1.in-addr.arpa.`` (or an ``ip6.arpa`` name) as the address it stands for."""
    labels = rrname.rstrip(".").lower().split(".")
    if labels[-2:] == ["in-addr", "arpa"] and len(labels) == 6:
        return canonical_ip(".".join(reversed(labels[:4])))
    if labels[-2:] == ["ip6", "arpa"] and len(labels) == 34:
        nibbles = "".join(reversed(labels[:32]))
        return canonical_ip(str(ipaddress.IPv6Address(int(nibbles, 16))))
    raise InvalidValue(f"PTR owner {rrname!r} is not a full reverse name")
