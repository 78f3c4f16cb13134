"""AWS cloud telemetry: Route 53 Resolver query logs and VPC Flow Logs on both engines.

No sample of either exists under ../shared/data, so the files are built here from AWS's published
format specifications:

* Amazon Route 53 Developer Guide, "Resolver query logging: values that appear in query logs" (and its
  query log example): one JSON object per query with ``query_timestamp``, ``query_name`` (with the
  trailing dot), ``query_type``, ``rcode``, ``answers`` (``Rdata``/``Type``/``Class``), ``srcaddr``,
  ``srcport``, ``srcids.instance``; the reverse lookup ``15.3.4.32.in-addr.arpa.`` is the guide's own;
* Amazon VPC User Guide, "Flow log records: available fields / default format version 2": the
  space-separated version 2 fields (``version account-id interface-id srcaddr dstaddr srcport dstport
  protocol packets bytes start end action log-status``), ``NODATA``/``SKIPDATA`` records with ``-`` for
  every flow field, and a custom format whose first line (as S3 delivery writes it) names the fields,
  here the guide's own custom example with ``instance-id`` and ``tcp-flags`` (2 SYN, 18 SYN-ACK, 1 FIN).

Expected edges, hosts and rejected line numbers are computed from the rows written here with
``json``/``ipaddress`` and a reading of those specifications, never from the loader.
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.telemetry.assets import load_inventory
from graphpivot.loaders.telemetry.aws import VPC_V2_FIELDS, read_route53, read_vpc_flow
from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from support import check_nodes, check_rels, load
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

ACCOUNT = "123456789010"
INVENTORY = [  # asset_id, hostname, ip, owner, criticality
    ("web-1", "i-0a1b2c3d4e5f60001", "10.0.1.10", "web team", "high"),
    ("nat-box", "eni-0f00000000000000c", "10.0.2.20", "netops", "medium"),
    ("build-runner", "i-0b2c3d4e5f6a70002", "10.0.4.4", "ci", "low"),
]
BY_ID = {row[1]: row[0] for row in INVENTORY}
BY_IP = {row[2]: row[0] for row in INVENTORY}
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp"}


def inventory_file(tmp_path: Path) -> Path:
    path = tmp_path / "assets.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["asset_id", "hostname", "ip", "owner", "criticality"])
        out.writerows(INVENTORY)
    return path


def network(tmp_path: Path) -> Network:
    inventory, rejects = load_inventory([inventory_file(tmp_path)])
    assert rejects == []
    return Network(DEFAULT_INTERNAL, inventory)


def host_of(address: str, *ids: str) -> str:
    """The spec's reading: an inventory row naming the instance or interface id, else the address's row."""
    for ident in ids:
        if ident in BY_ID:
            return BY_ID[ident]
    return BY_IP.get(address, address)


INTERNAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def internal(address: str) -> bool:
    """RFC 1918 (the documentation ranges used for the Internet side are not private here)."""
    return any(ipaddress.ip_address(address) in n for n in INTERNAL)


# ---------------------------------------------------------------- Route 53 Resolver query logs

def resolver(ts: str, name: str, qtype: str, rcode: str, src: str, instance: str | None,
             answers: list[tuple[str, str]]) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "version": "1.100000", "account_id": ACCOUNT, "region": "us-east-1", "vpc_id": "vpc-7example",
        "query_timestamp": ts, "query_name": name, "query_type": qtype, "query_class": "IN", "rcode": rcode,
        "answers": [{"Rdata": r, "Type": t, "Class": "IN"} for t, r in answers],
        "srcaddr": src, "srcport": "56067", "transport": "UDP",
    }
    if instance:
        rec["srcids"] = {"instance": instance}
    return rec


GOOD_QUERIES = [
    # web-1 asks from an address the inventory does not list for it: the instance id names the host
    resolver("2024-05-01T10:00:00Z", "api.telegram.org.", "A", "NOERROR", "10.0.1.99", "i-0a1b2c3d4e5f60001",
             [("A", "149.154.167.220")]),
    resolver("2024-05-01T10:00:30Z", "www.example-cdn.com.", "A", "NOERROR", "10.0.3.5", None,
             [("CNAME", "d111111abcdef8.cloudfront.net."), ("A", "203.0.113.10"), ("A", "203.0.113.11")]),
    resolver("2024-05-01T10:01:00Z", "c2-7f3a.badcorp.xyz.", "A", "NXDOMAIN", "10.0.1.99", "i-0a1b2c3d4e5f60001",
             []),
    resolver("2024-05-01T10:02:00Z", "api.telegram.org.", "AAAA", "NOERROR", "10.0.1.10", None,
             [("AAAA", "2001:67c:4e8:f004::9")]),
    resolver("2024-05-01T10:03:00Z", "example.org.", "MX", "NOERROR", "10.0.4.4", "i-0b2c3d4e5f6a70002",
             [("MX", "10 mail.example.org.")]),
]
REVERSE = resolver("2021-02-04T17:51:55Z", "15.3.4.32.in-addr.arpa.", "PTR", "NOERROR", "10.0.3.5", None,
                   [("PTR", "203.0.113.9")])


def route53_file(tmp_path: Path) -> tuple[Path, list[int]]:
    """The query log with hostile lines between the good ones; returns the path and the hostile line numbers."""
    no_name = dict(GOOD_QUERIES[0])
    del no_name["query_name"]
    lines: list[tuple[str, bool]] = [
        (json.dumps(GOOD_QUERIES[0]), False),
        ("{not json", True),
        (json.dumps(GOOD_QUERIES[1]), False),
        ("[" * 5000 + "]" * 5000, True),  # nested far deeper than any log record
        (json.dumps(REVERSE), False),  # skipped: a reverse name is no one's infrastructure
        (json.dumps(GOOD_QUERIES[2]), False),
        (json.dumps(no_name), True),
        (json.dumps({**GOOD_QUERIES[3], "srcaddr": "not-an-address"}), True),
        (json.dumps([1, 2]), True),
        (json.dumps({**GOOD_QUERIES[3], "answers": "203.0.113.1"}), True),
        (json.dumps(GOOD_QUERIES[3]), False),
        (json.dumps(GOOD_QUERIES[4]), False),
    ]
    path = tmp_path / "resolver-queries.log"
    path.write_text("\n".join(text for text, _ in lines) + "\n", encoding="utf-8")
    return path, [n for n, (_, bad) in enumerate(lines, 1) if bad]


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def expected_route53(path: Path, bad: list[int]) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)

    def note(rel: str, a: str, b: str, ts: int, **lists: str) -> None:
        e = out[rel].setdefault((a, b), {"first": ts, "last": ts, "count": 0, "qtypes": set(), "rcodes": set()})
        e["first"], e["last"], e["count"] = min(e["first"], ts), max(e["last"], ts), e["count"] + 1
        for key, value in lists.items():
            e[key].add(value)

    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if n in bad:
            continue
        rec = json.loads(text)
        name = rec["query_name"].rstrip(".").lower()
        if name.endswith(".arpa"):
            continue
        ts = _epoch(rec["query_timestamp"])
        host = host_of(rec["srcaddr"], rec.get("srcids", {}).get("instance", ""))
        note("QUERIED", host, name, ts, qtypes=rec["query_type"], rcodes=rec["rcode"])
        owner = name
        for answer in rec["answers"]:
            rdata = answer["Rdata"].rstrip(".").lower()
            if answer["Type"] == "CNAME":
                note("CNAME", owner, rdata, ts)
                owner = rdata
            elif answer["Type"] in ("A", "AAAA"):
                note("RESOLVES_TO", owner, rdata, ts)
            elif answer["Type"] == "MX":
                note("MX", owner, rdata.split()[-1], ts)
    return out


def test_route53_resolver_queries_and_answers(store: GraphStore, tmp_path: Path) -> None:
    path, bad = route53_file(tmp_path)
    summary = load(store, read_route53([path], network=network(tmp_path)), source="route53-resolver")
    assert [(r.file, r.line) for r in summary.rejects] == [(str(path), n) for n in bad]
    reasons = [r.reason for r in summary.rejects]
    assert reasons[0].startswith("invalid JSON") and "nested deeper" in reasons[1]
    assert "query_name" in reasons[2] and "expected a JSON object" in reasons[4]
    want = expected_route53(path, bad)
    assert check_rels(store, "Host", "QUERIED", "Domain", "first_seen", "last_seen", "count", "qtypes", "rcodes") == {
        (h, d, e["first"], e["last"], e["count"], tuple(sorted(e["qtypes"])), tuple(sorted(e["rcodes"])))
        for (h, d), e in want["QUERIED"].items()
    }
    # api.telegram.org was asked twice by web-1 (once by instance id from a new address, once by its address)
    assert ("web-1", "api.telegram.org", ("A", "AAAA")) in check_rels(store, "Host", "QUERIED", "Domain", "qtypes")
    assert check_rels(store, "Domain", "RESOLVES_TO", "IP") == set(want["RESOLVES_TO"])
    assert check_rels(store, "Domain", "CNAME", "Domain") == set(want["CNAME"])
    assert check_rels(store, "Domain", "MX", "Domain") == set(want["MX"])
    hosts = {h for h, _ in want["QUERIED"]}
    assert hosts == {"web-1", "10.0.3.5", "build-runner"}
    assert {k for k, *_ in check_nodes(store, "Host")} == hosts  # the reverse lookup's line adds no host
    assert ("web-1", "web team", "high") in check_nodes(store, "Host", "owner", "criticality")
    assert summary.skipped["reverse-lookup (.arpa) names"] == 1
    assert (summary.read, summary.loaded, summary.rejected_units) == (12, 12 - len(bad) - 1, len(bad))
    assert summary.balanced, summary.unbalanced


# ---------------------------------------------------------------- VPC Flow Logs

CUSTOM_FIELDS = ["version", "vpc-id", "subnet-id", "instance-id", "interface-id", "account-id", "type", "srcaddr",
                 "dstaddr", "srcport", "dstport", "pkt-srcaddr", "pkt-dstaddr", "protocol", "bytes", "packets",
                 "start", "end", "action", "tcp-flags", "log-status"]
ENI_NAT = "eni-0f00000000000000c"


def v2(src: str, dst: str, sport: str, dport: str, proto: str, packets: str, size: str, start: int | str,
       end: int | str, action: str = "ACCEPT", status: str = "OK", eni: str = ENI_NAT) -> str:
    return " ".join(["2", ACCOUNT, eni, src, dst, sport, dport, proto, packets, size, str(start), str(end), action,
                     status])


def custom(instance: str, src: str, dst: str, sport: str, dport: str, size: str, start: int, flags: str,
           action: str = "ACCEPT") -> str:
    row = {"version": "3", "vpc-id": "vpc-abcdefab012345678", "subnet-id": "subnet-aaaaaaaa012345678",
           "instance-id": instance, "interface-id": "eni-1235b8ca123456789", "account-id": ACCOUNT, "type": "IPv4",
           "srcaddr": src, "dstaddr": dst, "srcport": sport, "dstport": dport, "pkt-srcaddr": src,
           "pkt-dstaddr": dst, "protocol": "6", "bytes": size, "packets": "5", "start": str(start),
           "end": str(start + 60), "action": action, "tcp-flags": flags, "log-status": "OK"}
    return " ".join(row[f] for f in CUSTOM_FIELDS)


T0 = 1_700_000_000


def flow_files(tmp_path: Path) -> tuple[list[Path], list[tuple[str, int]]]:
    """A default-format file (as CloudWatch Logs exports it, no header) and a custom-format one (header first)."""
    default: list[tuple[str, bool]] = [
        # nat-box's secondary address: the interface id names it; request and reply directions of one flow
        (v2("10.0.2.77", "198.51.100.7", "49152", "443", "6", "10", "8400", T0, T0 + 60), False),
        (v2("198.51.100.7", "10.0.2.77", "443", "49152", "6", "12", "50000", T0, T0 + 60), False),
        # a scanner refused by the security group: an attempt, loaded
        (v2("203.0.113.200", "10.0.3.5", "51515", "22", "6", "1", "40", T0 + 100, T0 + 160, "REJECT",
            eni="eni-0aaaaaaaaaaaaaaa1"), False),
        (v2("-", "-", "-", "-", "-", "-", "-", T0 + 200, T0 + 260, "-", "NODATA"), False),
        (v2("-", "-", "-", "-", "-", "-", "-", T0 + 200, T0 + 260, "-", "SKIPDATA"), False),
        (v2("10.0.2.77", "10.0.1.10", "40000", "5432", "6", "3", "300", T0 + 300, T0 + 360), False),  # internal
        (" ".join(["2", ACCOUNT, ENI_NAT, "10.0.2.77"]), True),  # too few fields
        (v2("10.0.2.77", "198.51.100.9", "http", "443", "6", "1", "60", T0, T0 + 60), True),  # the local port
        (v2("10.0.2.77", "999.1.1.1", "40001", "443", "6", "1", "60", T0, T0 + 60), True),
        (v2("10.0.2.77", "198.51.100.9", "40001", "443", "6", "1", "60", "soon", T0 + 60), True),
        (v2("10.0.3.5", "192.0.2.53", "53000", "53", "17", "1", "70", T0 + 400, T0 + 400,
            eni="eni-0aaaaaaaaaaaaaaa1"), False),
    ]
    header = " ".join(CUSTOM_FIELDS)
    custom_lines: list[tuple[str, bool]] = [
        (header, False),
        # web-1 by instance id from an address the inventory does not list for it; SYN|FIN: it opened the flow
        (custom("i-0a1b2c3d4e5f60001", "10.0.1.99", "192.0.2.44", "50318", "8443", "3000", T0 + 500, "3"), False),
        # a client from outside opens web-1's port 80 (SYN from the client, SYN-ACK from web-1)
        (custom("i-0a1b2c3d4e5f60001", "198.51.100.50", "10.0.1.99", "40000", "80", "900", T0 + 600, "2"), False),
        (custom("i-0a1b2c3d4e5f60001", "10.0.1.99", "198.51.100.50", "80", "40000", "5000", T0 + 600, "18"), False),
        (" ".join(["3"] * 14), True),  # the version 2 field count under a 21-field header
        (custom("-", "10.0.4.4", "192.0.2.80", "41000", "443", "-", T0 + 700, "-", "REJECT"), False),
    ]
    # A custom format need not begin with version: its records then begin with an interface id, not a number.
    short = "interface-id srcaddr dstaddr srcport dstport protocol bytes start end action tcp-flags log-status"
    short_lines: list[tuple[str, bool]] = [
        (short, False),
        (f"{ENI_NAT} 10.0.2.77 192.0.2.99 50000 8080 6 777 {T0 + 800} {T0 + 860} ACCEPT 3 OK", False),
    ]
    paths, bad = [], []
    for name, lines in (("flows-default.log", default), ("flows-custom.log", custom_lines),
                        ("flows-short.log", short_lines)):
        path = tmp_path / name
        path.write_text("\n".join(text for text, _ in lines) + "\n", encoding="utf-8")
        paths.append(path)
        bad += [(str(path), n) for n, (_, hostile) in enumerate(lines, 1) if hostile]
    return paths, bad


def _opened_by(flags: str) -> str | None:
    """Spec: SYN (2) without the SYN-ACK bit pattern (18) means the source opened it."""
    if not flags.isdigit():
        return None
    value = int(flags)
    if value & 18 == 18:
        return "dst"
    return "src" if value & 2 else None


def expected_flows(paths: list[Path], bad: list[tuple[str, int]]) -> tuple[dict[tuple[str, str], dict[str, Any]],
                                                                           dict[str, int]]:
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    not_loaded: dict[str, int] = defaultdict(int)
    for path in paths:
        fields = list(VPC_V2_FIELDS)
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            values = text.split()
            if "srcaddr" in values:
                fields = values
                continue
            if (str(path), n) in bad:
                continue
            row = dict(zip(fields, values, strict=True))
            if row["log-status"] in ("NODATA", "SKIPDATA"):
                not_loaded[row["log-status"]] += 1
                continue
            src, dst = row["srcaddr"], row["dstaddr"]
            if internal(src) and internal(dst):
                not_loaded["internal"] += 1
                continue
            host_is_src = internal(src)
            local, peer = (src, dst) if host_is_src else (dst, src)
            host = host_of(local, row.get("instance-id", "-"), row["interface-id"])
            e = edges.setdefault((host, peer), {"first": int(row["start"]), "last": int(row["end"]), "count": 0,
                                               "out": None, "in": None, "ports": set(), "protocols": set(),
                                               "directions": set()})
            e["first"], e["last"] = min(e["first"], int(row["start"])), max(e["last"], int(row["end"]))
            e["count"] += 1
            if row["bytes"] != "-":
                side = "out" if host_is_src else "in"
                e[side] = (e[side] or 0) + int(row["bytes"])
            e["ports"].add(int(row["dstport"] if host_is_src else row["srcport"]))
            e["protocols"].add(PROTOCOL_NAMES[row["protocol"]])
            opener = _opened_by(row.get("tcp-flags", "-"))
            if opener is not None:
                e["directions"].add("outbound" if (opener == "src") == host_is_src else "inbound")
    return edges, not_loaded


def test_vpc_flow_logs_default_and_custom_formats(store: GraphStore, tmp_path: Path) -> None:
    paths, bad = flow_files(tmp_path)
    summary = load(store, read_vpc_flow(paths, network=network(tmp_path)), source="vpc-flow")
    assert [(r.file, r.line) for r in summary.rejects] == bad
    reasons = [r.reason for r in summary.rejects]
    assert reasons[0] == "4 fields, the record format has 14"
    assert "srcport should be a number" in reasons[1] and "not" in reasons[2].lower()
    assert "start should be a number" in reasons[3] and reasons[4] == "14 fields, the record format has 21"
    want, not_loaded = expected_flows(paths, bad)
    got = check_rels(store, "Host", "CONNECTED_TO", "IP", "first_seen", "last_seen", "count", "bytes_out",
                     "bytes_in", "ports", "protocols", "directions")
    assert got == {
        (h, p, e["first"], e["last"], e["count"], e["out"], e["in"], tuple(sorted(e["ports"])),
         tuple(sorted(e["protocols"])), tuple(sorted(e["directions"])) or None)
        for (h, p), e in want.items()
    }
    # The interface id (nat-box), the instance id (web-1) and the address (build-runner, 10.0.3.5) name the hosts.
    assert {h for h, _ in want} == {"nat-box", "web-1", "build-runner", "10.0.3.5"}
    assert ("10.0.3.5", "203.0.113.200", (51515,)) in check_rels(store, "Host", "CONNECTED_TO", "IP", "ports")
    assert summary.skipped["vpc flow NODATA records"] == not_loaded["NODATA"] == 1
    assert summary.skipped["vpc flow SKIPDATA records"] == not_loaded["SKIPDATA"] == 1
    assert summary.skipped["between two internal addresses"] == not_loaded["internal"] == 1
    assert summary.skipped["header lines"] == 2
    assert ("nat-box", "192.0.2.99", (8080,), ("outbound",)) in check_rels(
        store, "Host", "CONNECTED_TO", "IP", "ports", "directions")
    assert [n for n in summary.notes if "REJECTed" in n] == [  # one refused attempt in each file
        f"{p}: 1 REJECTed flow records loaded as connection attempts" for p in paths[:2]]
    total = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in paths)
    assert summary.read == total and summary.rejected_units == len(bad)
    assert summary.loaded == sum(e["count"] for e in want.values())
    assert summary.balanced, summary.unbalanced


@pytest.mark.parametrize("command", ["route53", "vpcflow"])
def test_cli_loads_with_the_asset_inventory(tmp_path: Path, command: str) -> None:
    """``load route53|vpcflow --assets``: the inventory reaches the loader and names cloud hosts by id."""
    paths = [route53_file(tmp_path)[0]] if command == "route53" else flow_files(tmp_path)[0]
    files = [str(p) for p in paths]
    db = tmp_path / "aws.lbdb"
    result = CliRunner().invoke(app, ["--engine", "ladybug", "--db", str(db), "load", command, *files,
                                      "--assets", str(inventory_file(tmp_path)), "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["source"] == {"route53": "route53-resolver", "vpcflow": "vpc-flow"}[command]
    store = LadybugStore(db)
    try:
        assert "web-1" in {k for k, *_ in check_nodes(store, "Host")}
    finally:
        store.close()
