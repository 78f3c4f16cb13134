"""Sysmon EID 22 / EID 3 (../shared/data/sysmon-otrf, OTRF's exporter JSON lines with CRLF) on both engines.

Expectations come from the raw lines with ``json`` and ``ipaddress`` (UtcTime is the event time;
the exporter's TimeCreated is local time and is ignored), never from the loader.
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
from graphpivot.loaders.telemetry.sysmon import flatten, query_answers, read_sysmon
from support import check_rels, load

from graphpivot.store.base import GraphStore

FILES = ("otrf_psh_cmstp_execution_bypassuac_sysmon_eid3_eid22.json",
         "otrf_lsass_campaign_05_sharpdump_sysmon_eid3_eid22.json")


def _ts(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp())


def _external(address: str) -> bool:
    a = ipaddress.ip_address(address)
    return not (a.is_private or a.is_multicast or a.is_loopback or a.is_link_local or a.is_unspecified)


def expected(paths: list[Path]) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)

    def note(rel: str, a: str, b: str, ts: int, process: str | None = None) -> None:
        e = out[rel].setdefault((a, b), {"first": ts, "last": ts, "count": 0, "processes": set()})
        e["first"], e["last"] = min(e["first"], ts), max(e["last"], ts)
        e["count"] += 1
        if process:
            e["processes"].add(process.lower())

    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for raw in handle:
                assert raw.endswith("\r\n")
                d = json.loads(raw)
                host, ts = d["Hostname"].lower(), _ts(d["UtcTime"])
                if d["EventID"] == 22:
                    name = d["QueryName"].rstrip(".").lower()
                    if "." not in name or name.endswith(".arpa"):
                        continue
                    note("QUERIED", host, name, ts, d["Image"])
                    if d["QueryStatus"] != "0":
                        continue
                    owner = name
                    for part in filter(None, (p.strip() for p in d["QueryResults"].split(";"))):
                        cname = re.fullmatch(r"type:\s+5\s+(\S+)", part)
                        if cname:
                            note("CNAME", owner, cname.group(1).lower(), ts)
                            owner = cname.group(1).lower()
                        elif not part.startswith("type:"):
                            note("RESOLVES_TO", owner, part.removeprefix("::ffff:"), ts)
                elif d["EventID"] == 3:
                    peer = d["DestinationIp"] if d["Initiated"] == "true" else d["SourceIp"]
                    if _external(peer):
                        note("CONNECTED_TO", host, peer, ts, d["Image"])
    return out


def test_otrf_sysmon_loads_with_the_process_on_each_edge(store: GraphStore, data_dir: Path) -> None:
    paths = [data_dir / "sysmon-otrf" / f for f in FILES]
    summary = load(store, read_sysmon(paths, network=Network()), source="sysmon")
    assert summary.rejected == 0
    want = expected(paths)
    assert len(want["CONNECTED_TO"]) == 2 and len(want["QUERIED"]) > 200
    assert check_rels(store, "Host", "QUERIED", "Domain", "first_seen", "last_seen", "count", "processes") == {
        (h, d, e["first"], e["last"], e["count"], tuple(sorted(e["processes"])))
        for (h, d), e in want["QUERIED"].items()
    }
    assert check_rels(store, "Host", "CONNECTED_TO", "IP", "count", "processes", "ports") == {
        (h, ip, e["count"], tuple(sorted(e["processes"])), (443,)) for (h, ip), e in want["CONNECTED_TO"].items()
    }
    assert check_rels(store, "Domain", "RESOLVES_TO", "IP") == set(want["RESOLVES_TO"])
    assert check_rels(store, "Domain", "CNAME", "Domain") == set(want["CNAME"])
    powershell = r"c:\windows\system32\windowspowershell\v1.0\powershell.exe"
    by_edge = {(h, d): p for h, d, p in check_rels(store, "Host", "QUERIED", "Domain", "processes")}
    for name in ("github.com", "raw.githubusercontent.com"):  # PowerShell fetching the INF (and Defender looking)
        assert powershell in by_edge[("workstation5", name)]
    # Single-label probes (msedge's random names) and internal/multicast connections are counted, not loaded.
    not_loaded = summary.skipped + summary.skipped_parts
    assert any("single-label names" in why for why in not_loaded), not_loaded
    assert not_loaded["between two internal addresses"] > 0, not_loaded
    assert summary.balanced, summary.unbalanced


def test_bad_lines_are_rejected_and_other_events_skipped(store: GraphStore, tmp_path: Path, data_dir: Path) -> None:
    good = (data_dir / "sysmon-otrf" / FILES[0]).read_bytes().split(b"\r\n")[:3]
    path = tmp_path / "mixed.json"
    no_time = json.loads(good[1])
    del no_time["UtcTime"]
    path.write_bytes(b"\r\n".join([
        good[0],
        b"{not json",
        json.dumps(no_time).encode(),
        json.dumps({"Channel": "Security", "EventID": 4624}).encode(),
        json.dumps({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Hostname": "x"}).encode(),
        good[2],
    ]) + b"\r\n")
    summary = load(store, read_sysmon([path], network=Network()), source="sysmon")
    assert [(r.file, r.line) for r in summary.rejects] == [(str(path), 2), (str(path), 3)]
    assert summary.rejects[1].reason == "event lacks UtcTime"
    assert summary.skipped == {"events from other channels than Sysmon": 1, "sysmon event 1": 1}
    names = {json.loads(good[i])["QueryName"].lower() for i in (0, 2) if json.loads(good[i])["EventID"] == 22}
    assert {d for _, d in check_rels(store, "Host", "QUERIED", "Domain")} == names


def test_shipper_layouts_flatten_alike() -> None:
    """Winlogbeat (ECS) and EVTX-as-JSON (the ``evtx`` library's layout) give the same event as the flat form."""
    data = {"UtcTime": "2024-01-02 03:04:05.678", "QueryName": "pastebin.com", "QueryStatus": "0",
            "QueryResults": "type:  5 pastebin.map.fastly.net;::ffff:104.20.67.143;", "Image": r"C:\x\powershell.exe"}
    winlogbeat = {"winlog": {"event_id": "22", "channel": "Microsoft-Windows-Sysmon/Operational",
                             "computer_name": "WS1.corp.example", "event_data": data}}
    evtx_json = {"Event": {"System": {"EventID": 22, "Channel": "Microsoft-Windows-Sysmon/Operational",
                                      "Computer": "WS1.corp.example",
                                      "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}},
                           "EventData": data}}
    flat = {"EventID": 22, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS1.corp.example", **data}
    events = [flatten(doc)[0] for doc in (winlogbeat, evtx_json, flat)]
    assert all(e is not None for e in events)
    assert {(e.eid, e.computer, e.get("QueryName")) for e in events if e} == {(22, "WS1.corp.example", "pastebin.com")}
    assert query_answers(data["QueryResults"]) == ["pastebin.map.fastly.net", "104.20.67.143"]
