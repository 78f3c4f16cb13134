"""Blind spots learn the new sources: the kind of sensor on each edge decides the channel, not the source name.

One host per source, each loaded by its real loader on both engines, under source names chosen to
mislead (Route 53 loaded as "sysmon", Sysmon as "corp-edr-feed"): the Sysmon host is covered for
endpoint telemetry only, the Route 53 and Windows DNS hosts for DNS only, the VPC flow host for flows,
the Zscaler host for HTTP/proxy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphpivot.loaders.telemetry.aws import read_route53, read_vpc_flow
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.proxy import preset, read_proxy
from graphpivot.loaders.telemetry.sysmon import read_sysmon
from graphpivot.loaders.telemetry.windns import read_windns
from support import check_rels, load

from graphpivot.hunt.blindspots import CHANNELS, host_blind_spots, time_coverage
from graphpivot.hunt.runner import Runner
from graphpivot.store.base import GraphStore

T0 = 1_717_495_201  # 2024-06-04 10:00:01 UTC
SYSMON_HOST, ROUTE53_HOST, WINDNS_HOST, FLOW_HOST, PROXY_HOST = (
    "ws-edr.corp.example", "10.0.5.5", "10.0.6.6", "10.0.7.7", "10.0.8.8")
COVERED = {SYSMON_HOST: {"endpoint"}, ROUTE53_HOST: {"dns"}, WINDNS_HOST: {"dns"}, FLOW_HOST: {"flow"},
           PROXY_HOST: {"http"}}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_every_source(store: GraphStore, tmp_path: Path) -> dict[str, Any]:
    net = Network()
    sysmon = _write(tmp_path / "sysmon.json", [json.dumps(d) for d in (
        {"EventID": 22, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": SYSMON_HOST,
         "UtcTime": "2024-06-04 10:00:01.000", "QueryName": "pastebin.com", "QueryStatus": "0",
         "QueryResults": "::ffff:104.20.67.143;", "Image": r"C:\x\powershell.exe"},
        {"EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": SYSMON_HOST,
         "UtcTime": "2024-06-04 10:00:02.000", "SourceIp": "10.0.9.9", "DestinationIp": "104.20.67.143",
         "Initiated": "true", "DestinationPort": "443", "Protocol": "tcp", "Image": r"C:\x\powershell.exe"},
    )])
    route53 = _write(tmp_path / "resolver.log", [json.dumps(
        {"query_timestamp": "2024-06-04T10:00:01Z", "query_name": "api.telegram.org.", "query_type": "A",
         "rcode": "NOERROR", "answers": [{"Rdata": "149.154.167.220", "Type": "A", "Class": "IN"}],
         "srcaddr": ROUTE53_HOST, "srcport": "53000"})])
    windns = _write(tmp_path / "dns.log", [
        f"6/4/2024 10:00:01 AM 0E5C PACKET  000000B7E4A3C1E0 UDP Rcv {WINDNS_HOST}       4c2a   Q "
        "[0001   D   NOERROR] A      (3)www(7)example(3)com(0)"])
    flows = _write(tmp_path / "flows.log", [
        f"2 123456789010 eni-1 {FLOW_HOST} 198.51.100.7 49152 443 6 10 8400 {T0} {T0 + 60} ACCEPT OK"])
    zscaler = _write(tmp_path / "zscaler.json", [json.dumps(
        {"epochtime": T0, "cip": PROXY_HOST, "login": "amy@example.com", "proto": "SSL",
         "eurl": "pastebin.com/raw/Xy12AbCd", "reqmethod": "GET", "respcode": "200", "reqsize": "410",
         "respsize": "2211", "ua": "Mozilla/5.0", "action": "Allowed"})])
    fmt, columns = preset("zscaler-nss")
    summaries = [
        load(store, read_sysmon([sysmon], network=net), source="corp-edr-feed"),
        load(store, read_route53([route53], network=net), source="sysmon"),  # a misleading name on purpose
        load(store, read_windns([windns], network=net), source="windns"),
        load(store, read_vpc_flow([flows], network=net), source="vpc-flow"),
        load(store, read_proxy([zscaler], fmt, network=net, columns=columns), source="zscaler-nss"),
    ]
    assert all(s.loaded > 0 and s.rejected == 0 and s.balanced for s in summaries)
    return {"since": 0, "until": 253402300799}


def test_each_source_covers_its_own_channel(store: GraphStore, tmp_path: Path) -> None:
    window = load_every_source(store, tmp_path)
    runner = Runner(store)
    rows = runner.run("blind-spots-hosts", window)
    by_host = {r["host"]: {c for c in CHANNELS if r[c]} for r in rows}
    assert by_host == COVERED
    silent, without = host_blind_spots(rows)
    assert silent == []
    assert SYSMON_HOST not in without["endpoint"] and SYSMON_HOST in without["http"]
    assert SYSMON_HOST in without["dns"] and SYSMON_HOST in without["flow"]  # Sysmon's DNS counts as endpoint
    assert without["endpoint"] == sorted(h for h in COVERED if h != SYSMON_HOST)
    sysmon_row = next(r for r in rows if r["host"] == SYSMON_HOST)
    assert (sysmon_row["endpoint"], sysmon_row["endpoint_first_seen"], sysmon_row["endpoint_last_seen"]) == (
        2, T0, T0 + 1)
    # The sensor kind is on the edges, whatever the source was called.
    assert check_rels(store, "Host", "QUERIED", "Domain", "sources", "sensors") == {
        (SYSMON_HOST, "pastebin.com", ("corp-edr-feed",), ("endpoint",)),
        (ROUTE53_HOST, "api.telegram.org", ("sysmon",), ("dns",)),
        (WINDNS_HOST, "www.example.com", ("windns",), ("dns",)),
    }
    coverage, sources = time_coverage(runner.run("blind-spots-time", {**window, "bucket": 3600}), 3600)
    assert sources == {"endpoint": ["corp-edr-feed"], "dns": ["sysmon", "windns"], "flow": ["vpc-flow"],
                       "http": ["zscaler-nss"]}
    hour = T0 // 3600 * 3600
    assert coverage == {c: [(hour, hour + 3599)] for c in ("endpoint", "dns", "flow", "http")}


def test_a_host_seen_by_two_sensors_counts_for_both(store: GraphStore, tmp_path: Path) -> None:
    """Sysmon and Route 53 seeing the same query: one edge, sensors [dns, endpoint], both channels covered."""
    net = Network()
    sysmon = _write(tmp_path / "sysmon.json", [json.dumps(
        {"EventID": 22, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "10.0.5.5",
         "UtcTime": "2024-06-04 10:00:01.000", "QueryName": "api.telegram.org", "QueryStatus": "0",
         "QueryResults": "149.154.167.220;", "Image": r"C:\x\telegram.exe"})])
    route53 = _write(tmp_path / "resolver.log", [json.dumps(
        {"query_timestamp": "2024-06-04T10:00:01Z", "query_name": "api.telegram.org.", "query_type": "A",
         "rcode": "NOERROR", "srcaddr": "10.0.5.5"})])
    load(store, read_sysmon([sysmon], network=net), source="sysmon")
    load(store, read_route53([route53], network=net), source="route53-resolver")
    assert check_rels(store, "Host", "QUERIED", "Domain", "sensors") == {
        ("10.0.5.5", "api.telegram.org", ("dns", "endpoint"))}
    rows = Runner(store).run("blind-spots-hosts", {"since": 0, "until": 253402300799})
    assert [(r["host"], r["dns"], r["endpoint"], r["flow"]) for r in rows] == [("10.0.5.5", 1, 1, 0)]


def test_an_older_embedded_graph_gains_the_sensor_column(tmp_path: Path) -> None:
    """A Ladybug graph made before ``sensors`` (and ``processes``, ``events``) existed is upgraded by init_schema."""
    from graphpivot.schema import RELS
    from graphpivot.store.embedded import LadybugStore

    db = tmp_path / "old.lbdb"
    old = LadybugStore(db)
    old._run("CREATE NODE TABLE Host(key STRING PRIMARY KEY, kind STRING)")
    old._run("CREATE NODE TABLE Domain(key STRING PRIMARY KEY, kind STRING)")
    kept = [p for p in RELS["QUERIED"].props if p.name not in ("sensors", "processes", "events")]
    old._run("CREATE REL TABLE QUERIED(FROM Host TO Domain, "
             + ", ".join(f"{p.name} {p.type.value}" for p in kept) + ")")
    old.close()
    store = LadybugStore(db)
    try:
        store.init_schema()
        test_a_host_seen_by_two_sensors_counts_for_both(store, tmp_path)
    finally:
        store.close()
