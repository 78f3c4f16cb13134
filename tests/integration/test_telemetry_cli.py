"""``graphpivot load zeek|eve|proxy|assets`` end to end on both engines: summary, rejects, exit codes, assets."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import rows
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

Run = Callable[..., Any]


@pytest.fixture
def cli(store: GraphStore, tmp_path: Path) -> Iterator[tuple[Run, Callable[[], GraphStore]]]:
    """``run(*args)`` invokes the CLI on the engine under test; ``graph()`` opens what it wrote."""
    opened: list[GraphStore] = []
    if store.engine == "ladybug":
        target = ["--engine", "ladybug", "--db", str(tmp_path / "cli.lbdb")]

        def graph() -> GraphStore:
            while opened:
                opened.pop().close()
            lb = LadybugStore(tmp_path / "cli.lbdb")
            opened.append(lb)
            return lb
    else:
        target = ["--engine", "neo4j"]

        def graph() -> GraphStore:
            return store

    def run(*args: str) -> Any:
        while opened:  # the embedded engine allows one open handle at a time
            opened.pop().close()
        return CliRunner().invoke(app, [*target, "load", *args])

    yield run, graph
    while opened:
        opened.pop().close()


def summary_of(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_zeek_folder_summary(cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path) -> None:
    run, graph = cli
    folder = data_dir / "zeek-zat" / "json"
    summary = summary_of(run("zeek", str(folder), "--json"))
    assert summary["source"] == "zeek" and summary["rejected"] == 0
    assert summary["lines"] == sum(
        len((folder / f"{n}.log").read_text().splitlines()) for n in ("dns", "conn", "http", "ssl", "x509", "files")
    )
    assert summary["edges"]["QUERIED"] > 0 and summary["records"] > 0
    assert {r["k"] for r in rows(graph(), "MATCH (h:Host) RETURN h.key AS k")} == {"10.18.20.97"}


INVENTORY = """Asset ID,Hostname,IP Address,Owner,Criticality
WS-0042,xp-lab.corp.example,192.168.33.10,malware lab,high
,,10.18.20.0/24,icemaiden lab,low
SRV-7,,10.18.20.300,ops,low
SRV-8,db.corp.example,192.168.33.10,dba,high
"""


def test_assets_name_the_hosts_telemetry_sees(
    cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path, tmp_path: Path
) -> None:
    run, graph = cli
    inventory = tmp_path / "assets.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    summary = summary_of(run("assets", str(inventory), "--json"))
    assert summary["rejected"] == 2  # an invalid address, an address listed twice
    assert summary["nodes"] == {"Host": 1}
    assert any("address ranges without an asset id" in k for k in summary["skipped"])
    assert summary["accounting"]["balanced"] is True

    summary_of(run("zeek", str(data_dir / "zeek-zat/tsv/dns.log"), "--assets", str(inventory), "--json"))
    summary_of(run("zeek", str(data_dir / "zeek-zat/json/dns.log"), "--assets", str(inventory), "--json"))
    g = graph()
    hosts = rows(
        g,
        "MATCH (h:Host) RETURN h.key AS k, h.hostname AS name, h.ip AS ip, h.owner AS owner, "
        "h.criticality AS crit ORDER BY k",
    )
    assert hosts == [
        {"k": "10.18.20.97", "name": None, "ip": "10.18.20.97", "owner": "icemaiden lab", "crit": "low"},
        {"k": "ws-0042", "name": "xp-lab.corp.example", "ip": "192.168.33.10", "owner": "malware lab", "crit": "high"},
    ]
    queried = {r["k"] for r in rows(g, "MATCH (h:Host)-[:QUERIED]->() RETURN DISTINCT h.key AS k")}
    assert queried == {"ws-0042", "10.18.20.97"}


def test_internal_ranges_are_configurable(cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path) -> None:
    run, graph = cli
    eve = data_dir / "suricata-eve-tenzir"
    summary_of(run("eve", str(eve / "eve.ctu13.json"), "--internal", "147.32.0.0/16", "--json"))
    summary_of(
        run("eve", str(eve / "rrdata-eve.json"), "--no-default-internal", "--internal", "147.32.84.0/24", "--json")
    )
    assert {r["k"] for r in rows(graph(), "MATCH (h:Host) RETURN h.key AS k")} == {"147.32.84.165"}
    bad = run("eve", str(eve / "rrdata-eve.json"), "--internal", "10.0.0.0/33")
    assert bad.exit_code == 2 and "not a CIDR range" in bad.stderr


def _truncated_gzip(source: Path) -> tuple[bytes, int]:
    """A gzip of ``source`` cut in the middle, and how many whole lines it still holds."""
    packed = gzip.compress(source.read_bytes())
    cut = packed[: len(packed) * 3 // 5]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    return cut, readable.count(b"\n")


def test_bad_input_is_reported_not_raised(
    cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path, tmp_path: Path
) -> None:
    run, graph = cli
    logs = tmp_path / "logs"
    logs.mkdir()
    cut, whole_lines = _truncated_gzip(data_dir / "zeek-zat/tsv/dns.log")
    (logs / "dns.log.gz").write_bytes(cut)
    (logs / "junk.log").write_bytes(bytes(range(256)) * 40)
    header = (
        (data_dir / "zeek-zat/tsv/http.log")
        .read_text()
        .replace("\tuid\t", "\tuid_renamed\t")
        .replace("#fields\tts\t", "#fields\ttime\t")
    )
    (logs / "http.log").write_text(header, encoding="utf-8")
    conn = (data_dir / "zeek-zat/json/conn.log").read_text().splitlines()
    conn.insert(5, '{"ts": 1575413096.05, "id.orig_h": "10.18.20.97", "id.resp_h": ')
    conn.insert(9, "\x00\x01binary\x02")
    (logs / "conn.log").write_text("\n".join(conn) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.ndjson"

    result = run("zeek", str(logs), "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    found = [json.loads(line) for line in rejects.read_text().splitlines()]
    by_file = {(Path(r["file"]).name, r["line"]): r["reason"] for r in found}
    assert by_file[("dns.log.gz", whole_lines + 1)].startswith("truncated gzip")
    assert "not a Zeek log" in by_file[("junk.log", 1)]
    assert by_file[("http.log", 7)].startswith("http log header lacks field(s) ts")
    assert by_file[("conn.log", 6)].startswith("invalid JSON")
    assert "binary data" in by_file[("conn.log", 10)]
    assert all(set(r) == {"file", "line", "reason", "raw"} and len(r["raw"]) <= 300 for r in found)
    assert "rejected" in result.stderr and "truncated gzip" in result.stderr

    queried = rows(graph(), "MATCH (:Host)-[q:QUERIED]->() RETURN sum(q.count) AS n")[0]["n"]
    assert queried > 0  # the lines before the cut loaded
    strict = run("zeek", str(logs), "--strict")
    assert strict.exit_code == 1


def test_dry_run_writes_nothing(cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path) -> None:
    run, graph = cli
    result = run("proxy", "--format", "squid", str(data_dir / "proxy-metron/squid_access.log"), "--dry-run")
    assert result.exit_code == 0 and "would write" in result.stdout
    nodes, edges = graph().counts()
    assert sum(nodes.values()) == 0 and sum(edges.values()) == 0


def test_proxy_options_are_checked(cli: tuple[Run, Callable[[], GraphStore]], data_dir: Path) -> None:
    run, _ = cli
    sample = str(data_dir / "proxy-metron/squid_access.log")
    assert "--log-format must be one of" in run("proxy", "--log-format", "apache", sample).stderr
    assert "--log-format must be one of" in run("proxy", "--format", "apache", sample).stderr
    assert "expected field=column" in run("proxy", "--format", "csv", "--columns", "client", sample).stderr
    assert "unknown field" in run("proxy", "--format", "csv", "--columns", "src=ip", sample).stderr
    assert "no such file" in run("proxy", "--format", "squid", "/nonexistent/access.log").stderr
