"""Windows DNS Server debug log (``load windns``) on both engines.

No sample exists under ../shared/data, so the log is built here from Microsoft's published format:
the header block the DNS server writes at the top of ``dns.log`` when debug logging is enabled
("Enable DNS diagnostic logging" / DNS debug log format: "Message logging key (for packets - other
items use a subset of these fields)", fields 1-16 from Date to Question Name), packet lines in that
field order with the question name in the ``(3)www(7)example(3)com(0)`` wire form, and the flags as
the log prints them (``0001`` for a recursive query, ``8081`` / ``8381`` / ``8281`` for NOERROR /
NXDOMAIN / SERVFAIL answers: the header's two flag bytes swapped).

The server is an internal resolver forwarding to 8.8.8.8. Expected edges and rejected line numbers
are computed from the lines written here with ``re``/``ipaddress``, never from the loader.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.windns import read_windns
from support import check_nodes, check_rels, load
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

HEADER = """DNS Server log file creation at 6/4/2024 9:59:58 AM
Log file wrap at 6/4/2024 9:59:58 AM

Message logging key (for packets - other items use a subset of these fields):
\tField #  Information         Values
\t-------  -----------         ------
\t   1     Date
\t   2     Time
\t   3     Thread ID
\t   4     Context
\t   5     Internal packet identifier
\t   6     UDP/TCP indicator
\t   7     Send/Receive indicator
\t   8     Remote IP
\t   9     Xid (hex)
\t  10     Query/Response      R = Response
\t                             blank = Query
\t  11     Opcode              Q = Standard Query
\t                             N = Notify
\t                             U = Update
\t                             ? = Unknown
\t  12     [ Flags (hex)
\t  13     Flags (char codes)  A = Authoritative Answer
\t                             T = Truncated Response
\t                             D = Recursion Desired
\t                             R = Recursion Available
\t  14     ResponseCode ]
\t  15     Question Type
\t  16     Question Name
"""
RCODE_NAMES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN"}


def wire(name: str) -> str:
    return "".join(f"({len(label)}){label}" for label in name.split(".") if label) + "(0)"


def packet(clock: str, direction: str, ip: str, xid: str, response: bool, flags: str, chars: str, rcode: str,
           qtype: str, name: str, opcode: str = "Q", proto: str = "UDP") -> str:
    qr = "R" if response else " "
    return (f"6/4/2024 {clock} 0E5C PACKET  000000B7E4A3C1E0 {proto} {direction} {ip:<15} {xid:>4} {qr} {opcode} "
            f"[{flags} {chars:>3}   {rcode}] {qtype:<6} {name}")


def log_lines() -> list[tuple[str, bool]]:
    """The debug log's lines, each with whether it is hostile (must be rejected)."""
    lines: list[tuple[str, bool]] = [(text, False) for text in HEADER.splitlines()]
    lines += [
        (packet("10:00:01 AM", "Rcv", "10.0.0.21", "4c2a", False, "0001", "D", "NOERROR", "A",
                wire("www.example.com")), False),
        (packet("10:00:01 AM", "Snd", "8.8.8.8", "b6a2", False, "0001", "D", "NOERROR", "A",
                wire("www.example.com")), False),  # forwarded: not modelled
        (packet("10:00:01 AM", "Rcv", "8.8.8.8", "b6a2", True, "8081", "DR", "NOERROR", "A",
                wire("www.example.com")), False),  # the forwarder's answer: not modelled
        (packet("10:00:01 AM", "Snd", "10.0.0.21", "4c2a", True, "8081", "DR", "NOERROR", "A",
                wire("www.example.com")), False),
        (packet("10:00:05 AM", "Rcv", "10.0.0.33", "0a11", False, "0001", "D", "NOERROR", "A",
                wire("c2-7f3a.badcorp.xyz")), False),
        (packet("10:00:05 AM", "Snd", "10.0.0.33", "0a11", True, "8381", "DR", "NXDOMAIN", "A",
                wire("c2-7f3a.badcorp.xyz")), False),
        ("UDP question info at 000000B7E4A3C1E0", False),  # "Details" logging: packet dump lines
        ("  Socket = 508", False),
        ("  Remote addr 10.0.0.33, port 53001", False),
        (packet("10:00:07 AM", "Rcv", "10.0.0.21", "4c2b", False, "0001", "D", "NOERROR", "AAAA",
                wire("www.example.com")), False),
        (packet("10:00:09 AM", "Rcv", "10.0.0.21", "4c2c", False, "0001", "D", "NOERROR", "A",
                "(3)www(9)example(3)com(0)"), True),  # label length does not match
        (packet("10:00:09 AM", "Rcv", "10.0.0.999", "4c2d", False, "0001", "D", "NOERROR", "A",
                wire("www.example.com")), True),
        ("6/4/2024 10:00:10 AM 0E5C PACKET  000000B7E4A3C1E0 UDP Rcv", True),  # cut short
        ("\u2603 not a log line {\"a\": [[[[", True),
        (packet("10:00:11 AM", "Snd", "10.0.0.21", "4c2e", True, "0001", "D", "NOERROR", "A",
                wire("www.example.com")), True),  # R, but the flags say query
        (packet("10:00:12 AM", "Rcv", "10.0.0.21", "4c2f", False, "0001", "D", "NOERROR", "A",
                wire("www.example.com")).replace("6/4/2024", "13/45/2024"), True),
        (packet("10:00:13 AM", "Rcv", "10.0.0.21", "77aa", False, "0028", "", "NOERROR", "SOA",
                wire("corp.example"), opcode="U"), False),  # dynamic update: not a query
        (packet("10:00:14 AM", "Rcv", "203.0.113.50", "1234", False, "0001", "D", "NOERROR", "ANY",
                wire("corp.example")), False),  # an outside client: not an internal host
        (packet("10:00:15 AM", "Rcv", "127.0.0.1", "1235", False, "0001", "D", "NOERROR", "A",
                wire("time.windows.com")), False),  # the server itself
        ("6/4/2024 10:00:20 AM 0E5C EVENT   The DNS server has finished the background loading of zones.", False),
        (packet("10:00:21 AM", "Rcv", "10.0.0.21", "4c30", False, "0001", "D", "NOERROR", "A",
                wire("printer")), False),  # single-label
        (packet("10:00:22 AM", "Rcv", "10.0.0.21", "4c31", False, "0001", "D", "NOERROR", "PTR",
                wire("21.0.0.10.in-addr.arpa")), False),
        ("Log file wrap at 6/4/2024 10:30:00 AM", False),
        (packet("10:30:01 AM", "Rcv", "10.0.0.33", "0b01", False, "0001", "D", "NOERROR", "TXT",
                wire("Pastebin.com"), proto="TCP"), False),
        (packet("10:30:02 AM", "Snd", "10.0.0.33", "0b01", True, "8281", "DR", "SERVFAIL", "TXT",
                wire("Pastebin.com"), proto="TCP"), False),
        (packet("1:05:00 PM", "Rcv", "10.0.0.33", "0b02", False, "0001", "D", "NOERROR", "A",
                wire("c2-7f3a.badcorp.xyz")), False),
    ]
    return lines


def write_log(tmp_path: Path) -> tuple[Path, list[int]]:
    lines = log_lines()
    path = tmp_path / "dns.log"
    path.write_text("\r\n".join(text for text, _ in lines) + "\r\n", encoding="utf-8")  # the server writes CRLF
    return path, [n for n, (_, bad) in enumerate(lines, 1) if bad]


def _ts(date: str, clock: str) -> int:
    return int(datetime.strptime(f"{date} {clock}", "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=UTC).timestamp())


def expected(path: Path, bad: list[int]) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, int]]:
    """QUERIED edges by a reading of the logging key; and how many packet lines were left out, by kind."""
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    left_out: dict[str, int] = defaultdict(int)
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        t = text.split()
        if n in bad or "PACKET" not in t[:5]:
            continue
        k = t.index("PACKET")
        direction, ip = t[k + 3], t[k + 4]
        response = t[k + 6] == "R"
        opcode = t[k + 7] if response else t[k + 6]
        flags = next(x for x in t if x.startswith("["))[1:]
        labels = [label for label in re.findall(r"\(\d+\)([^(]*)", t[-1]) if label]
        name = ".".join(labels).lower()
        if opcode != "Q":
            left_out["opcode"] += 1
            continue
        if (direction == "Snd") != response:
            left_out["server's own"] += 1
            continue
        if not ipaddress.ip_address(ip).is_private or ip.startswith("203.0.113."):
            left_out["external"] += 1
            continue
        if ip == "127.0.0.1" or len(labels) < 2 or name.endswith(".arpa"):
            left_out["other"] += 1
            continue
        ts = _ts(t[0], f"{t[1]} {t[2]}")
        e = edges.setdefault((ip, name), {"first": ts, "last": ts, "count": 0, "qtypes": set(), "rcodes": set()})
        e["first"], e["last"] = min(e["first"], ts), max(e["last"], ts)
        e["qtypes"].add(t[-2])
        if response:
            e["rcodes"].add(RCODE_NAMES[int(flags[:2], 16) & 0xF])
        else:
            e["count"] += 1
    return edges, left_out


def test_windns_debug_log_client_queries_and_response_codes(store: GraphStore, tmp_path: Path) -> None:
    path, bad = write_log(tmp_path)
    summary = load(store, read_windns([path], network=Network()), source="windns")
    assert [(r.file, r.line) for r in summary.rejects] == [(str(path), n) for n in bad]
    reasons = [r.reason for r in summary.rejects]
    assert reasons[0].startswith("question name '(3)www(9)example(3)com(0)'")
    assert "10.0.0.999" in reasons[1] and reasons[2].startswith("malformed PACKET line")
    assert reasons[3] == "not a debug log line (no date first)" and "disagree" in reasons[4]
    assert "is not a time" in reasons[5]
    want, left_out = expected(path, bad)
    got = check_rels(store, "Host", "QUERIED", "Domain", "first_seen", "last_seen", "count", "qtypes", "rcodes")
    assert got == {(h, d, e["first"], e["last"], e["count"], tuple(sorted(e["qtypes"])),
                    tuple(sorted(e["rcodes"])) or None) for (h, d), e in want.items()}
    assert ("10.0.0.33", "c2-7f3a.badcorp.xyz", 2, ("NXDOMAIN",)) in check_rels(
        store, "Host", "QUERIED", "Domain", "count", "rcodes")
    assert {k for k, *_ in check_nodes(store, "Host")} == {"10.0.0.21", "10.0.0.33"}
    skipped = summary.skipped
    assert skipped["the server's own queries to other servers and their responses (forwarding, recursion)"] == \
        left_out["server's own"] == 2
    assert skipped["queries from external addresses"] == left_out["external"] == 1
    assert skipped["notify, update and unknown opcodes"] == left_out["opcode"] == 1
    assert skipped["queries from the server itself (loopback)"] == 1
    assert skipped["single-label names"] == skipped["reverse-lookup (.arpa) names"] == 1
    assert skipped["non-packet lines (events, notes)"] == 1
    assert skipped["packet detail lines"] == 3
    assert skipped["header lines"] == len([x for x in HEADER.splitlines() if x.strip()]) + 1  # and the wrap line
    assert summary.loaded == sum(1 for _ in log_lines()) - len(bad) - sum(summary.skipped.values())
    assert summary.balanced, summary.unbalanced


def test_cli_day_first_dates_and_utc_offset(tmp_path: Path) -> None:
    """``--day-first --utc-offset +02:00``: a D/M/YYYY 24-hour log in local time lands at the right UTC moment."""
    path = tmp_path / "dns-de.log"
    line = ("04.06.2024 14:00:01 0E5C PACKET  000000B7E4A3C1E0 UDP Rcv 10.0.0.21       4c2a   Q [0001   D   NOERROR] "
            "A      (3)www(7)example(3)com(0)")
    path.write_text(HEADER + "\n" + line + "\n", encoding="utf-8")
    db = tmp_path / "windns.lbdb"
    result = CliRunner().invoke(app, ["--engine", "ladybug", "--db", str(db), "load", "windns", str(path),
                                      "--day-first", "--utc-offset", "+02:00", "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert json.loads(result.stdout.strip().splitlines()[-1])["source"] == "windns"
    store = LadybugStore(db)
    try:
        got = check_rels(store, "Host", "QUERIED", "Domain", "first_seen")
    finally:
        store.close()
    assert got == {("10.0.0.21", "www.example.com", int(datetime(2024, 6, 4, 12, 0, 1, tzinfo=UTC).timestamp()))}
