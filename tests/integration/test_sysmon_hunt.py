"""A Sysmon-fed hunt: the same paste-site use from a browser on one host and from powershell.exe on another.

The Sysmon lines are the real OTRF EID 22 / EID 3 records (../shared/data/sysmon-otrf) with host,
name, image, time and answers changed: the shape is what Sysmon writes. Also checks the
``"ws-processes"`` stored hunt against a plain-Python answer on both engines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.sysmon import read_sysmon
from support import load

from graphpivot.catalog import Catalog
from graphpivot.hunt.model import Options
from graphpivot.hunt.processes import classify
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.webservice_leads import web_service_leads
from graphpivot.reference.install import install_catalogue
from graphpivot.store.base import GraphStore

SAMPLE = "otrf_psh_cmstp_execution_bypassuac_sysmon_eid3_eid22.json"
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
EDGE = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
DROPPER = r"C:\Users\bob\AppData\Local\Temp\upd.exe"
PASTE_IP = "104.20.67.143"
# (host, image, UtcTime of the query) — the connection follows one second later.
USES = [
    ("WS-BROWSER", EDGE, "2024-03-01 10:00:00.100"),
    ("WS-SCRIPT", POWERSHELL, "2024-03-01 10:00:00.100"),
    ("WS-DROPPER", DROPPER, "2024-03-01 11:00:00.100"),
]


def sysmon_file(data_dir: Path, tmp_path: Path, uses: list[tuple[str, str, str]]) -> Path:
    lines = (data_dir / "sysmon-otrf" / SAMPLE).read_bytes().split(b"\r\n")
    dns = next(json.loads(x) for x in lines if x and json.loads(x)["EventID"] == 22)
    conn = next(json.loads(x) for x in lines if x and json.loads(x)["EventID"] == 3)
    out = []
    for n, (host, image, when) in enumerate(uses):
        out.append({**dns, "Hostname": host, "Image": image, "UtcTime": when, "QueryName": "pastebin.com",
                    "QueryStatus": "0", "QueryResults": f"::ffff:{PASTE_IP};"})
        out.append({**conn, "Hostname": host, "Image": image, "UtcTime": when[:-6] + "01.000",
                    "SourceIp": f"192.168.2.{10 + n}", "DestinationIp": PASTE_IP, "DestinationPort": "443"})
    path = tmp_path / "sysmon.json"
    path.write_bytes(b"".join(json.dumps(o).encode() + b"\r\n" for o in out))
    return path


@pytest.fixture
def hunted(store: GraphStore, data_dir: Path, tmp_path: Path) -> GraphStore:
    install_catalogue(store)
    summary = load(store, read_sysmon([sysmon_file(data_dir, tmp_path, USES)], network=Network()), source="sysmon")
    assert summary.rejected == 0
    return store


def test_script_host_grades_higher_than_browser(hunted: GraphStore) -> None:
    leads = web_service_leads(Runner(hunted), Options(), new_since=0, new_until=253402300799)
    by = {(lead.hunt, lead.host): lead for lead in leads if lead.subject == "pastebin"}
    assert {hunt for hunt, _ in by} == {"ws-rare-service", "ws-first-seen"}
    for hunt in ("ws-rare-service", "ws-first-seen"):
        browser, script, dropper = by[(hunt, "ws-browser")], by[(hunt, "ws-script")], by[(hunt, "ws-dropper")]
        assert script.strength > browser.strength
        assert script.confidence > browser.confidence
        assert any("powershell.exe" in r and "script host" in r for r in script.reasons)
        assert any(r == "only a browser reached it: msedge.exe" for r in browser.reasons)
        assert dropper.strength > browser.strength
        assert any("upd.exe" in r and "user-writable" in r for r in dropper.reasons)
        assert script.detail["processes"] == [POWERSHELL.lower()]
    ranked = [lead.host for lead in leads if lead.hunt == "ws-rare-service"]
    assert ranked.index("ws-script") < ranked.index("ws-browser")


def test_process_vocabulary() -> None:
    assert classify(POWERSHELL).kind == "script"
    assert classify(r"c:\windows\system32\rundll32.exe").kind == "script"
    assert classify(EDGE).kind == "browser"
    assert classify(DROPPER).kind == "user-folder"
    defender = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MsMpEng.exe"
    assert classify(defender).kind == "other"


def ws_processes_answer(since: int, until: int, tolerance: int) -> list[dict[str, Any]]:
    """From USES alone: a DNS row per host (pastebin.com) and a flow row (the connection 1 s later)."""
    rows = []
    for host, image, when in USES:
        from datetime import UTC, datetime

        t = int(datetime.strptime(when, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp())
        if t >= since and t <= until:
            rows.append({"host": host.lower(), "service": "pastebin", "process": image.lower(), "channel": "dns",
                         "first_seen": t, "last_seen": t, "count": 1, "domains": ["pastebin.com"]})
        if t + 1 >= since and t + 1 <= until and tolerance >= 1:
            rows.append({"host": host.lower(), "service": "pastebin", "process": image.lower(), "channel": "flow",
                         "first_seen": t + 1, "last_seen": t + 1, "count": 1, "domains": ["pastebin.com"]})
    return sorted(rows, key=lambda r: (r["channel"], r["host"], r["process"]))


@pytest.mark.parametrize("window", ["all", "first-hour", "none"])
def test_ws_processes_matches_plain_python(hunted: GraphStore, window: str) -> None:
    since, until = {"all": (0, 253402300799), "first-hour": (0, 1709287200 - 1), "none": (0, 1)}[window]
    query = Catalog().get("ws-processes")
    got = hunted.read(query.cypher_for(hunted.engine), query.bind({"since": since, "until": until}))
    assert sorted(got, key=lambda r: (r["channel"], r["host"], r["process"])) == ws_processes_answer(since, until, 3600)
