"""Zeek Intel files in, and indicators back out to the sensors as Zeek Intel, Suricata rules and an RPZ zone."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

from graphpivot.loaders.intel.zeek_intel import read_zeek_intel
from support import check_nodes, load
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.detections import Exported, rpz_zone, suricata_content, suricata_rules
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

HOSTILE_URL = 'http://evil.example/a;b"c|d\\e?x=1'


def raw_intel(path: Path) -> dict[str, set[str]]:
    """The sample's indicators per Zeek type, read with the csv module."""
    rows = [r for r in csv.reader(path.read_text().splitlines(), delimiter="\t") if r and not r[0].startswith("#")]
    by_type: dict[str, set[str]] = {}
    for row in rows:
        by_type.setdefault(row[1], set()).add(row[0].lower())
    return by_type


def test_zeek_intel_sample_loads_every_addr_and_domain(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "zeek-zat" / "intel" / "intel_example.intel"
    expected = raw_intel(path)
    summary = load(store, read_zeek_intel(path, "zeek-intel", observed_at=1_700_000_000), source="zeek-intel")
    assert summary.rejected == 0
    indicators = {key for key, flag in check_nodes(store, "Domain", "indicator") if flag} | {
        key for key, flag in check_nodes(store, "IP", "indicator") if flag}
    assert indicators == expected["Intel::DOMAIN"] | expected["Intel::ADDR"]
    assert summary.skipped["Zeek Intel::FILE_HASH indicator (not a graph key)"] == len(expected["Intel::FILE_HASH"])


def test_exports_round_trip_and_validate(tmp_path: Path, data_dir: Path) -> None:
    source = data_dir / "zeek-zat" / "intel" / "intel_example.intel"
    first, second = tmp_path / "a.lbdb", tmp_path / "b.lbdb"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", str(first), "load", "zeek-intel", str(source)]).exit_code == 0
    assert runner.invoke(app, ["--db", str(first), "triage", "mark", "sibling.example", "--as", "true-positive"]
                         ).exit_code == 0
    exported = tmp_path / "out.intel"
    result = runner.invoke(app, ["--db", str(first), "export", "zeek-intel", "-o", str(exported)])
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["--db", str(second), "load", "zeek-intel", str(exported)]).exit_code == 0
    stores = [LadybugStore(first), LadybugStore(second)]
    try:
        before, after = ({k for k, f in check_nodes(s, "Domain", "indicator") if f} for s in stores)
        assert after == before | {"sibling.example"}
        assert {k for k, f in check_nodes(stores[0], "IP", "indicator") if f} == {
            k for k, f in check_nodes(stores[1], "IP", "indicator") if f}
    finally:
        for s in stores:
            s.close()
    zone = tmp_path / "rpz.zone"
    assert runner.invoke(app, ["--db", str(first), "export", "rpz", "-o", str(zone)]).exit_code == 0
    checker = shutil.which("nsd-checkzone") or "/usr/sbin/nsd-checkzone"
    checked = subprocess.run([checker, "rpz.graphpivot.local", str(zone)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    rules = runner.invoke(app, ["--db", str(first), "export", "suricata"]).stdout.splitlines()
    expected = raw_intel(source)
    assert len(rules) == 2 * (len(expected["Intel::DOMAIN"]) + 1) + len(expected["Intel::ADDR"])
    assert len({re.search(r"sid:(\d+);", r).group(1) for r in rules}) == len(rules)  # type: ignore[union-attr]


def test_rules_and_zones_escape_hostile_values() -> None:
    items = [Exported("URL", HOSTILE_URL, 'feed";drop'), Exported("IP", "2001:db8::1", "x")]
    rule = suricata_rules(items).splitlines()[0]
    body = rule[rule.index("(") + 1 : rule.rindex(")")]
    options = [o.strip() for o in body.split(";") if o.strip()]
    assert options[0].startswith('msg:"') and options[0].endswith('"') and options[0].count('"') == 2
    assert 'content:"/a|3b|b|22|c|7c|d|5c|e?x=1"' in options
    assert suricata_content("a\nb") == "a|0a|b"
    assert "128.1.0.0.0.0.0.db8.2001.rpz-ip IN CNAME ." in rpz_zone(items)
