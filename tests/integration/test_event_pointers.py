"""Raw-event pointers (``events``) on telemetry edges, on both engines, from the real shared samples.

Expected ids are read straight from the log files by a small reader here: Zeek ``uid`` per
(client, query) and per connection pair, Suricata EVE ``flow_id`` per (client, query). An edge
keeps the :data:`~graphpivot.schema.EVENTS_KEPT` smallest ids in string order, whatever order
and batching the lines come in: the same file reversed and loaded in two halves (so the store,
not the batcher, merges the two parts) gives the same ``events``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.proxy import read_proxy
from graphpivot.loaders.telemetry.sysmon import read_sysmon
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import load, rows

from graphpivot.cli.exposure import short_events, table_row
from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import Options
from graphpivot.hunt.report import _findings_section, _Show
from graphpivot.hunt.runner import Runner
from graphpivot.schema import EVENTS_KEPT
from graphpivot.store.base import GraphStore


def tsv_records(path: Path) -> list[dict[str, str]]:
    """A Zeek TSV log's data lines as field -> text."""
    fields: list[str] = []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            found.append(dict(zip(fields, line.split("\t"), strict=True)))
    return found


def split_reversed(path: Path, out: Path) -> tuple[Path, Path]:
    """The data lines of a TSV log in reverse order, in two files with the header each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    head = [line for line in lines if line.startswith("#") and not line.startswith("#close")]
    data = [line for line in lines if line and not line.startswith("#")][::-1]
    half = len(data) // 2
    out.mkdir(parents=True, exist_ok=True)
    first, second = out / f"a.{path.name}", out / f"b.{path.name}"
    first.write_text("\n".join(head + data[:half]) + "\n", encoding="utf-8")
    second.write_text("\n".join(head + data[half:]) + "\n", encoding="utf-8")
    return first, second


def edge_events(store: GraphStore, rel: str) -> dict[tuple[str, str], list[str]]:
    found = rows(store, f"MATCH (h:Host)-[e:{rel}]->(x) RETURN h.key AS h, x.key AS x, e.events AS events")
    return {(str(r["h"]), str(r["x"])): list(r["events"] or []) for r in found}  # type: ignore[call-overload]


def smallest(ids: set[str]) -> list[str]:
    return sorted(ids)[:EVENTS_KEPT]


def test_zeek_edges_carry_the_uids_of_their_lines(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    dns, conn = data_dir / "zeek-zat" / "tsv" / "dns.log", data_dir / "zeek-zat" / "tsv" / "conn.log"
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rec in tsv_records(dns):
        asked[(rec["id.orig_h"], rec["query"].lower().rstrip("."))].add(rec["uid"])
    flows: dict[frozenset[str], set[str]] = defaultdict(set)
    for rec in tsv_records(conn):
        flows[frozenset((rec["id.orig_h"], rec["id.resp_h"]))].add(rec["uid"])

    load(store, read_zeek([dns, conn], network=Network(), columnar=False, max_pending=10))
    queried, connected = edge_events(store, "QUERIED"), edge_events(store, "CONNECTED_TO")
    assert len(queried) > 20 and len(connected) > 20
    for (host, name), events in queried.items():
        assert events == smallest(asked[(host, name)]), (host, name)
    for (host, peer), events in connected.items():
        assert events == smallest(flows[frozenset((host, peer))]), (host, peer)
    assert max(len(flows[frozenset(pair)]) for pair in connected) > EVENTS_KEPT  # the bound was needed
    assert max(len(e) for e in connected.values()) == EVENTS_KEPT

    # Reversed, in two loads: the second load's events merge with the stored ones in the engine.
    store.clear()
    halves = [split_reversed(dns, tmp_path / "dns"), split_reversed(conn, tmp_path / "conn")]
    for part in (0, 1):
        load(store, read_zeek([halves[0][part], halves[1][part]], network=Network(), columnar=False, max_pending=7))
    assert edge_events(store, "QUERIED") == queried
    assert edge_events(store, "CONNECTED_TO") == connected


def test_eve_edges_carry_flow_ids(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    files = sorted((data_dir / "suricata-eve-tenzir").glob("*.json"))
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    irc: set[str] = set()  # the flows between the infected host and its IRC C2
    lines = []
    for path in files:
        for text in path.read_text(encoding="utf-8").splitlines():
            lines.append(text)
            event: dict[str, Any] = json.loads(text)
            if event["event_type"] == "dns" and event["dns"]["type"] == "query":
                asked[(event["src_ip"], event["dns"]["rrname"])].add(str(event["flow_id"]))
            if {event["src_ip"], event["dest_ip"]} == {"147.32.84.165", "78.40.125.4"}:
                irc.add(str(event["flow_id"]))
    assert len(asked) == 2 and irc
    network = Network(["147.32.84.0/24", "10.0.0.0/8"])

    load(store, read_eve(files, network=network))
    queried = edge_events(store, "QUERIED")
    for pair, ids in asked.items():
        assert queried[pair] == smallest(ids)
    connected = edge_events(store, "CONNECTED_TO")
    assert connected[("147.32.84.165", "78.40.125.4")] == smallest(irc)
    assert "1031464864740687" in irc  # the ET alert on the IRC C2 traffic

    store.clear()
    reversed_file = tmp_path / "eve.json"
    reversed_file.write_text("\n".join(lines[::-1]) + "\n", encoding="utf-8")
    load(store, read_eve([reversed_file], network=network))
    assert edge_events(store, "QUERIED") == queried
    assert edge_events(store, "CONNECTED_TO") == connected


def test_proxy_requests_point_at_their_lines(store: GraphStore, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    line = "1714521600.000 {ms} 10.0.0.5 TCP_MISS/200 512 GET http://evil.example.com/x - DIRECT/203.0.113.7 text/html"
    log.write_text("\n".join(line.format(ms=n) for n in range(1, 12)) + "\n", encoding="utf-8")
    load(store, read_proxy([log], network=Network(), fmt="squid"))
    (events,) = edge_events(store, "REQUESTED").values()
    assert events == sorted(f"access.log:{n}" for n in range(1, 12))[:EVENTS_KEPT]
    assert "access.log:10" in events and "access.log:9" not in events  # string order, not line order


def test_sysmon_events_point_at_record_ids_or_lines(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    source = data_dir / "sysmon-otrf" / "otrf_psh_cmstp_execution_bypassuac_sysmon_eid3_eid22.json"
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    with source.open(encoding="utf-8", newline="") as handle:
        for lineno, raw in enumerate(handle, start=1):
            d = json.loads(raw)
            if d["EventID"] == 22:  # no EventRecordID in this export: the file's name and the line
                asked[(d["Hostname"].lower(), d["QueryName"].rstrip(".").lower())].add(f"{source.name}:{lineno}")
    with_id = tmp_path / "one.json"
    with_id.write_text(json.dumps({
        "Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 22, "EventRecordID": 81723,
        "Hostname": "ws9.corp.example", "UtcTime": "2024-05-01 10:00:00.000", "QueryName": "rec.example.com",
        "QueryStatus": "0", "QueryResults": "192.0.2.8;", "Image": "C:\\x.exe",
    }) + "\n", encoding="utf-8")
    load(store, read_sysmon([source, with_id], network=Network()))
    queried = edge_events(store, "QUERIED")
    assert queried.pop(("ws9.corp.example", "rec.example.com")) == ["81723"]
    assert len(queried) > 20
    for pair, events in queried.items():
        assert events == smallest(asked[pair]), pair


def test_exposure_findings_show_the_events(store: GraphStore, data_dir: Path) -> None:
    dns = data_dir / "zeek-zat" / "tsv" / "dns.log"
    uids = {rec["uid"] for rec in tsv_records(dns) if rec["query"] == "j.maxmind.com"}
    load(store, read_zeek([dns], network=Network()))
    result = Exposure(Runner(store), Options()).run(["j.maxmind.com"])
    (finding,) = [f for f in result.findings if f.host == "192.168.33.10"]
    shown = finding.as_dict()
    assert json.loads(json.dumps(shown))["events"] == smallest(uids)
    assert len(uids) >= 2
    assert table_row(finding)["events"] == short_events(smallest(uids))
    assert table_row(finding, short=False)["events"] == " ".join(smallest(uids))
    (line,) = [text for text in _findings_section([finding], _Show(defang=False)) if "raw events" in text]
    assert all(f"`{uid}`" in line for uid in smallest(uids))


def test_short_events() -> None:
    assert short_events([]) == ""
    assert short_events(["a", "b"]) == "a b"
    assert short_events(["a", "b", "c", "d"]) == "a b +2"
