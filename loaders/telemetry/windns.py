"""Windows DNS Server debug log (``dns.log`` from "Enable DNS diagnostic logging"), packet lines.

The server writes a header block describing the fields of a packet line (date, time, thread id,
context, packet id, UDP/TCP, Snd/Rcv, remote IP, xid, ``R`` for a response, opcode, ``[flags (hex),
flag chars, response code]``, question type, question name in the wire form
``(3)www(7)example(3)com(0)``). Lines such as::

    6/4/2024 10:00:01 AM 0E5C PACKET 000000B7E4A3C1E0 UDP Rcv 10.0.0.21 4c2a Q [0001 D NOERROR] A (3)www(3)com(0)

map to the graph as follows:

* ``Rcv`` query (no ``R``) from an internal client: ``(Host)-[:QUERIED {qtypes}]->(Domain)``;
* ``Snd`` response to an internal client: the response code (the header's RCODE bits; the log
  prints the two flag bytes swapped, ``8381`` is the ``0x8183`` of an NXDOMAIN answer) on
  that edge as ``rcodes``, with ``count`` 0 so ``count`` keeps counting queries;
* the server's own traffic (queries it sends to forwarders or other servers, the responses it
  receives from them), queries from external or loopback addresses, and notify/update opcodes are
  not modelled and counted as skipped; so are the header block, non-``PACKET`` lines and the
  indented packet details of "Details" logging.

Times are the server's local time: give ``utc_offset`` (minutes east of UTC). Dates are as the
server's locale writes them: ``M/D/YYYY`` (``day_first`` for ``D/M/YYYY``) or ``YYYY-MM-DD``, with a
12-hour (``AM``/``PM``) or 24-hour clock. A date-led line that is not a well-formed packet line is
rejected with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from graphpivot.loaders.telemetry.edges import Telemetry, line_reason
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.textio import content_lines

from graphpivot.canonical import canonical_ip
from graphpivot.model import Record, Skipped

RCODES = ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
          "NOTAUTH", "NOTZONE")
_DATE_LED = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\s")
_PACKET = re.compile(
    r"(?P<date>\S+)\s+(?P<time>\d{1,2}:\d{2}:\d{2}(?:\s*[AP]M)?)\s+(?P<thread>[0-9A-Fa-f]+)\s+PACKET\s+"
    r"(?P<packet>[0-9A-Fa-f]+)\s+(?P<proto>UDP|TCP)\s+(?P<dir>Snd|Rcv)\s+(?P<ip>\S+)\s+(?P<xid>[0-9A-Fa-f]{1,4})\s+"
    r"(?:(?P<qr>R)\s+)?(?P<opcode>[QNU?])\s+\[(?P<flags>[0-9A-Fa-f]{4})\s+(?P<chars>[ATDR]*)\s*(?P<rcode>[A-Z]*)\]\s+"
    r"(?P<qtype>\S+)\s+(?P<name>\S+)\s*"
)
_HEADER_STARTS = ("DNS Server log file creation", "Log file wrap at", "Message logging key")
_DETAIL_STARTS = ("UDP question info", "TCP question info", "UDP response info", "TCP response info")


def wire_name(text: str) -> str:
    """``(3)www(7)example(3)com(0)`` as ``www.example.com`` (``""`` for the root); raises on a malformed name."""
    labels: list[str] = []
    pos = 0
    while True:
        close = text.find(")", pos)
        if not text.startswith("(", pos) or close < 0 or not text[pos + 1 : close].isdigit():
            raise ValueError(f"question name {text[:80]!r} is not in the (n)label wire form")
        length = int(text[pos + 1 : close])
        if length == 0:
            if close + 1 != len(text):
                raise ValueError(f"question name {text[:80]!r} goes on after its (0) end")
            return ".".join(labels)
        label = text[close + 1 : close + 1 + length]
        if len(label) != length or length > 63:
            raise ValueError(f"question name {text[:80]!r}: label length {length} does not match")
        labels.append(label)
        pos = close + 1 + length


def packet_time(date: str, clock: str, *, day_first: bool = False, utc_offset: int = 0) -> int:
    """Epoch seconds of the log's local date and time (``utc_offset`` minutes east of UTC)."""
    parts = re.split(r"[/.-]", date)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"date {date[:20]!r} is not a date")
    if len(parts[0]) == 4:
        year, month, day = (int(p) for p in parts)
    elif day_first:
        day, month, year = (int(p) for p in parts)
    else:
        month, day, year = (int(p) for p in parts)
    text = clock.replace(" ", "").upper()
    meridiem = text[-2:] if text.endswith(("AM", "PM")) else None
    hour, minute, second = (int(p) for p in text.rstrip("APM").split(":"))
    if meridiem is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"time {clock!r} is not a 12-hour time")
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"date and time {date} {clock} is not a time ({exc})") from None
    return int((moment - timedelta(minutes=utc_offset)).timestamp())


def read_windns(
    paths: Iterable[Path], *, network: Network, day_first: bool = False, utc_offset: int = 0,
    max_pending: int = 100_000,
) -> Iterator[Record]:
    """Every record of a set of Windows DNS Server debug log files (see the module doc)."""
    obs = Observations(max_pending=max_pending, sensor="dns")
    tm = Telemetry(network, obs)
    for path in paths:
        name = str(path)
        in_header = True
        for item in content_lines(path):
            if not isinstance(item, tuple):
                yield item
                continue
            lineno, text = item
            if text.startswith(_HEADER_STARTS):
                in_header = True
            if not _DATE_LED.match(text):
                if in_header:
                    tm.skip_line("header lines")
                    continue
                if text[:1].isspace() or text.startswith(_DETAIL_STARTS):
                    tm.skip_line("packet detail lines")
                    continue
            in_header = False
            apply = partial(_line, tm, name, text, day_first, utc_offset)
            yield from tm.one_line(name, lineno, text, apply, line_reason)
            if obs.full:
                yield from obs.flush()
        yield from tm.file_done(name)
    yield from obs.flush()


def _line(tm: Telemetry, name: str, text: str, day_first: bool, utc_offset: int) -> Skipped | None:
    """One log line's facts into the window, or the record saying why it is not loaded."""
    why = _packet(tm, text, day_first, utc_offset)
    return Skipped(name, why) if why else None


def _packet(tm: Telemetry, text: str, day_first: bool, utc_offset: int) -> str | None:
    if not _DATE_LED.match(text):
        raise ValueError("not a debug log line (no date first)")
    tokens = text.split(maxsplit=5)
    at = 4 if len(tokens) > 2 and tokens[2] in ("AM", "PM") else 3  # date, time[, AM|PM], thread id, context
    if len(tokens) <= at or tokens[at] != "PACKET":
        return "non-packet lines (events, notes)"
    found = _PACKET.fullmatch(text)
    if found is None:
        raise ValueError("malformed PACKET line (fields do not follow the logging key)")
    ts = packet_time(found["date"], found["time"], day_first=day_first, utc_offset=utc_offset)
    address = canonical_ip(found["ip"])
    printed = int(found["flags"], 16)
    flags = (printed & 0xFF) << 8 | printed >> 8  # the log prints the header's two flag bytes swapped
    response = found["qr"] == "R"
    if response != bool(flags & 0x8000):
        raise ValueError(f"flags {found['flags']} disagree with the query/response indicator")
    query = wire_name(found["name"])
    if found["opcode"] != "Q":
        return "notify, update and unknown opcodes"
    if (found["dir"] == "Snd") != response:  # the server's own queries out, and the answers it gets back
        return "the server's own queries to other servers and their responses (forwarding, recursion)"
    host = tm.host(address)
    if host is None:
        return "queries from external addresses"
    if address in ("127.0.0.1", "::1"):
        return "queries from the server itself (loopback)"
    if not query:
        return "queries for the root"
    domain = tm.domain(query)
    if domain is None:
        return None
    qtype = found["qtype"]
    if not response:
        tm.queried(host, domain, ts, qtype, None)
        return None
    code = flags & 0xF
    tm.queried(host, domain, ts, qtype, RCODES[code] if code < len(RCODES) else f"RCODE{code}", count=0)
    return None
