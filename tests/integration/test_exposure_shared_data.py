"""Shared data: ``graphpivot exposure --all-indicators`` over zeek-zat telemetry and maltrail intel.

Intel is the real maltrail trails (excerpts: every line naming the hosts' infrastructure plus a sample of the
rest) loaded with the IOC-list loader; the Report of a file under ``suspicious/`` is tagged ``suspicious``, as
``load ioc --tag suspicious`` does. Telemetry is every real zeek-zat log (TSV and JSON) through the Zeek loader.
Expected evidence and times are read straight from the log lines by a deliberately small reader here.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import load
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import Options
from graphpivot.hunt.runner import Runner
from graphpivot.model import Record
from graphpivot.store.base import GraphStore

T_LOAD = 1_790_000_000
TRAILS = {
    "malware/ursnif.txt": {"wensa.at", "casus.at"},
    "malware/generic.txt": {"cinnamyn.com", "twinkcam.net"},
    "malware/fakeav.txt": {"saggerboy.com"},
    "suspicious/dynamic_domain.txt": {"myftp.biz"},
    "suspicious/ipinfo.txt": {"j.maxmind.com"},
}
SAMPLE = 150  # other indicators kept from each trail, as realistic noise
EXPECTED = {
    ("10.18.20.97", "wensa.at"): ("subdomain", "medium"),
    ("10.18.20.97", "casus.at"): ("subdomain", "medium"),
    ("192.168.33.10", "cinnamyn.com"): ("exact-domain", "strong"),
    ("192.168.33.10", "twinkcam.net"): ("exact-domain", "strong"),
    ("192.168.33.10", "saggerboy.com"): ("exact-domain", "strong"),
    ("192.168.33.10", "myftp.biz"): ("subdomain", "low"),  # a dynamic-DNS name: the list is 'suspicious'
    ("192.168.33.10", "j.maxmind.com"): ("exact-domain", "weak"),  # an IP-lookup service
}


# ---------------------------------------------------------------- intel: maltrail excerpts


def excerpt(source: Path, keep: set[str], target: Path) -> Path:
    """Comments, every line naming ``keep``, and the first :data:`SAMPLE` other indicator lines."""
    lines, others = [], 0
    for line in source.read_text(encoding="utf-8").splitlines():
        value = line.split("#", 1)[0].strip()
        if not value or value in keep:
            lines.append(line)
        elif others < SAMPLE:
            lines.append(line)
            others += 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def maltrail(data_dir: Path, tmp: Path) -> Iterator[Record]:
    for name, keep in TRAILS.items():
        path = excerpt(data_dir / "maltrail-trails/trails/static" / name, keep, tmp / "static" / name)
        tags = ["suspicious"] if path.parent.name == "suspicious" else None
        yield from read_ioc_list(path, "maltrail", threat=path.stem, tags=tags, observed_at=T_LOAD)


# ---------------------------------------------------------------- telemetry: a tiny Zeek reader


def zeek(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a Zeek log, TSV (``#fields`` header) or JSON lines, values as text."""
    fields: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            yield {k: str(v) for k, v in json.loads(line).items()}
        elif line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            yield dict(zip(fields, line.split("\t"), strict=False))


def internal(address: str) -> bool:
    return ipaddress.ip_address(address).is_private


def logs(data_dir: Path, name: str) -> Iterator[dict[str, str]]:
    for form in ("tsv", "json"):
        yield from zeek(data_dir / "zeek-zat" / form / name)


def touches(data_dir: Path) -> Iterator[tuple[str, str, str, int, dict[str, Any]]]:
    """(host, relation, target, time, extra) for every DNS query, HTTP request and outbound flow."""
    for row in logs(data_dir, "dns.log"):
        if internal(row["id.orig_h"]) and row.get("query", "-") != "-":
            yield row["id.orig_h"], "QUERIED", row["query"], int(float(row["ts"])), {}
    for row in logs(data_dir, "http.log"):
        if internal(row["id.orig_h"]) and row.get("host", "-") != "-":
            url = f"http://{row['host']}{row.get('uri', '/')}"
            sent = int(row["request_body_len"]) if row.get("request_body_len", "-").isdigit() else 0
            yield row["id.orig_h"], "REQUESTED", url, int(float(row["ts"])), {"bytes_out": sent}
    for row in logs(data_dir, "conn.log"):
        if internal(row["id.orig_h"]) and not internal(row["id.resp_h"]):
            sent = int(row["orig_bytes"]) if row.get("orig_bytes", "-").isdigit() else 0
            yield row["id.orig_h"], "CONNECTED_TO", row["id.resp_h"], int(float(row["ts"])), {"bytes_out": sent}


def expected_times(data_dir: Path, host: str, indicator: str) -> tuple[int, int]:
    """First and last time the host's logs name the indicator or a name under it."""
    times = []
    for who, rel, target, ts, _ in touches(data_dir):
        name = target.split("/")[2].lower() if rel == "REQUESTED" else target.lower()
        if who == host and (name == indicator or name.endswith("." + indicator)):
            times.append(ts)
    return min(times), max(times)


@pytest.fixture
def zeek_maltrail(store: GraphStore, data_dir: Path, tmp_path: Path) -> GraphStore:
    logs = sorted((data_dir / "zeek-zat").glob("*/*.log"))
    load(store, maltrail(data_dir, tmp_path), source="maltrail")
    load(store, read_zeek(logs, network=Network()), source="zeek")
    return store


def test_exposure_finds_both_infections_with_graded_evidence(zeek_maltrail: GraphStore, data_dir: Path) -> None:
    result = Exposure(Runner(zeek_maltrail), Options()).run([], all_indicators=True)
    got = {(f.host, f.indicator): f for f in result.findings}
    for (host, indicator), (evidence, strength) in EXPECTED.items():
        finding = got[(host, indicator)]
        assert (finding.evidence, finding.strength.label) == (evidence, strength), (host, indicator)
        assert (finding.first_seen, finding.last_seen) == expected_times(data_dir, host, indicator)
        assert finding.sources and all(s.startswith("maltrail:") for s in finding.sources)
    assert got[("10.18.20.97", "wensa.at")].threats == ["ursnif"]
    assert "Domain:hnhmrkw.myftp.biz" in got[("192.168.33.10", "myftp.biz")].path
    assert any("suspicious" in r for r in got[("192.168.33.10", "j.maxmind.com")].reasons)
    # Ursnif C2 over HTTP: the request path names the C2 host and the indicator it sits under.
    path = got[("10.18.20.97", "wensa.at")].path
    assert path[1] == "-REQUESTED->" and path[-2:] == ["-SUBDOMAIN_OF->", "Domain:wensa.at"]


def test_the_acceptance_command(zeek_maltrail: GraphStore) -> None:
    if zeek_maltrail.engine == "ladybug":
        zeek_maltrail.close()
        base = ["--db", zeek_maltrail.location]
    else:
        base = ["--engine", "neo4j"]
    result = CliRunner().invoke(app, [*base, "exposure", "--all-indicators", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = {(f["host"], f["indicator"]): (f["evidence"], f["strength"]) for f in json.loads(result.stdout)}
    assert {pair: got.get(pair) for pair in EXPECTED} == EXPECTED


# ---------------------------------------------------------------- issue #10: as a new user runs it


def cli_base(store: GraphStore, tmp: Path, name: str) -> list[str]:
    """CLI options for a fresh graph: a new Ladybug folder, or the (cleared) test Neo4j."""
    if store.engine == "ladybug":
        return ["--db", str(tmp / name / "graph.lbdb")]
    store.clear()
    store.write("MATCH (n) DETACH DELETE n")
    return ["--engine", "neo4j"]


def run_as_a_user(base: list[str], data_dir: Path, tmp: Path, *, init: bool) -> tuple[dict[Any, Any], str]:
    """Load maltrail excerpts (no --tag) and every zeek-zat log through the CLI, then exposure as JSON."""
    runner = CliRunner()
    if init:
        result = runner.invoke(app, [*base, "db", "init"])
        assert result.exit_code == 0, result.stderr
    for name, keep in TRAILS.items():
        path = excerpt(data_dir / "maltrail-trails/trails/static" / name, keep, tmp / "static" / name)
        result = runner.invoke(app, [*base, "load", "ioc", str(path), "--source", "maltrail",
                                     "--threat", path.stem])
        assert result.exit_code == 0, result.stderr
    logs = [str(p) for p in sorted((data_dir / "zeek-zat").glob("*/*.log"))]
    result = runner.invoke(app, [*base, "load", "zeek", *logs])
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, [*base, "exposure", "--all-indicators", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = {(f["host"], f["indicator"]): (f["evidence"], f["strength"]) for f in json.loads(result.stdout)}
    status = runner.invoke(app, [*base, "db", "status"])
    assert status.exit_code == 0, status.stderr
    return got, status.stdout


def test_no_db_init_no_tag_same_findings(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    """Issue #10: results do not depend on db init; the suspicious folder marks j.maxmind.com without --tag."""
    if store.engine == "ladybug":
        store.close()
    without, status = run_as_a_user(cli_base(store, tmp_path, "a"), data_dir, tmp_path / "a", init=False)
    assert {pair: without.get(pair) for pair in EXPECTED} == EXPECTED
    assert without[("192.168.33.10", "j.maxmind.com")] == ("exact-domain", "weak")
    for component in ("noise-list", "webservices", "warninglists"):
        assert component in status
    assert "pymispwarninglists" in status and "current" in status
    with_init, _ = run_as_a_user(cli_base(store, tmp_path, "b"), data_dir, tmp_path / "b", init=True)
    assert with_init == without


def test_db_status_on_a_fresh_graph_shows_reference_data(store: GraphStore, tmp_path: Path) -> None:
    if store.engine == "ladybug":
        store.close()
    base = cli_base(store, tmp_path, "fresh")
    result = CliRunner().invoke(app, [*base, "db", "status"])
    assert result.exit_code == 0, result.stderr
    assert "reference data noise-list missing: installed" in " ".join(result.stderr.split())
    text = " ".join(result.stdout.split())
    for component in ("noise-list", "webservices", "warninglists"):
        assert component in text
    again = CliRunner().invoke(app, [*base, "db", "status"])
    assert "reference data" not in again.stderr  # installed once, then current


def test_url_seed_found_by_its_site_in_real_zeek_logs(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    """A URL no log holds (as a report gives it, defanged) finds the hosts that reached its site (medium)
    and, weaker, the other names of its registered domain; expected hosts come from the logs directly."""
    if store.engine == "ladybug":
        store.close()
    base = cli_base(store, tmp_path, "url")
    logs = [str(p) for p in sorted((data_dir / "zeek-zat").glob("*/*.log"))]
    runner = CliRunner()
    assert runner.invoke(app, [*base, "load", "zeek", *logs]).exit_code == 0
    site, names = "h1.wensa.at", set()
    for host, rel, target, _, _ in touches(data_dir):
        name = target.split("/")[2].lower() if rel == "REQUESTED" else target.lower()
        if name == site or name.endswith(".wensa.at"):
            names.add((host, name))
    result = runner.invoke(app, [*base, "exposure", "hxxp://h1[.]wensa[.]at/never/logged.php", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = {f["host"]: f for f in json.loads(result.stdout)}
    on_site = {host for host, name in names if name == site}
    elsewhere = {host for host, name in names if name != site} - on_site
    assert on_site and elsewhere <= set(got) and on_site <= set(got)
    assert {h: (got[h]["evidence"], got[h]["strength"]) for h in on_site} == {
        h: ("url-host", "medium") for h in on_site}
    assert {h: (got[h]["evidence"], got[h]["strength"]) for h in elsewhere} == {
        h: ("url-domain", "weak") for h in elsewhere}
    assert set(got) == on_site | elsewhere


def test_fakeav_finding_carries_the_techniques_of_its_own_evidence(zeek_maltrail: GraphStore, data_dir: Path) -> None:
    """ATT&CK by evidence on real logs: 192.168.33.10 looked saggerboy.com up, fetched a page from it and had
    a flow to the address it resolved to; each channel, read from the logs here, gives its own technique."""
    host, domain = "192.168.33.10", "saggerboy.com"
    queried = [r for r in logs(data_dir, "dns.log") if r["id.orig_h"] == host and r.get("query") == domain]
    answers = {a for r in queried for a in r.get("answers", "-").split(",") if a != "-"}
    fetched = [r for r in logs(data_dir, "http.log") if r["id.orig_h"] == host and r.get("host") == domain]
    flows = [r for r in logs(data_dir, "conn.log") if r["id.orig_h"] == host and r["id.resp_h"] in answers]
    assert queried and fetched and flows
    services = {(r["proto"], r["service"], int(r["id.resp_p"])) for r in flows}
    assert services == {("tcp", "http", 80)}  # HTTP on its own port: an application protocol, not T1095/T1571
    want = {"T1071.004"} | {"T1071.001"} | {"T1583", "T1584"}  # DNS; HTTP and the web flow; the pivot to the IP
    result = Exposure(Runner(zeek_maltrail), Options(expand=True)).run([], all_indicators=True)
    finding = next(f for f in result.findings if (f.host, f.indicator) == (host, domain))
    assert set(finding.attack) == want
    assert not {"T1095", "T1571", "T1102"} & set(finding.attack)
    assert finding.attack_queries["T1071.004"] == ["exposure-domain"]
    assert finding.attack_queries["T1583"] == ["expand"]
    assert set(finding.attack_queries["T1071.001"]) == {"exposure-domain", "exposure-ip"}
