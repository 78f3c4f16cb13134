"""``graphpivot hunt``: the pack on both engines, its ranked report in Markdown, JSON and HTML, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import load
from typer.testing import CliRunner, Result

from graphpivot.cli import app
from graphpivot.demo_scenario import EXPOSED, SILENT_ASSETS, WINDOW, scenario
from graphpivot.store.base import GraphStore


def cli(store: GraphStore, *args: str) -> Result:
    if store.engine == "ladybug":
        store.close()
        base = ["--db", store.location]
    else:
        base = ["--engine", "neo4j"]
    return CliRunner().invoke(app, [*base, *args])


@pytest.fixture
def demo_store(store: GraphStore) -> GraphStore:
    load(store, scenario(), source="demo")
    return store


def test_json_report_ranks_hosts_and_carries_everything(demo_store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "hunt.json"
    result = cli(demo_store, "hunt", "--report", str(path), "--new-since", WINDOW[0])
    assert result.exit_code == 0, result.stderr
    assert "json report written to" in result.stderr
    report = json.loads(path.read_text(encoding="utf-8"))
    ranked = [h["host"] for h in report["hosts"]]
    assert set(ranked[: len(EXPOSED)]) == set(EXPOSED)  # every exposed host above every other
    assert ranked[:2] == sorted(ranked[:2]) and set(ranked[:2]) == {"10.0.0.12", "10.0.0.33"}
    finding = report["findings"][0]
    assert {"host", "indicator", "evidence", "strength", "first_seen", "last_seen", "path", "sources", "attack"} <= set(
        finding)
    assert finding["first_seen"].endswith("Z")
    assert {lead["hunt"] for lead in report["leads"]} == {
        "ws-specific-url", "ws-large-upload", "ws-rare-service", "ws-first-seen", "ws-c2-client"}
    assert all(lead["attack"] for lead in report["leads"])
    assert report["blind_spots"]["silent_hosts"] == sorted(SILENT_ASSETS)
    assert {u["kind"] for u in report["blind_spots"]["unchecked"]} == {"Email"}
    queries = {q["id"]: q for q in report["queries"]}
    assert "ws-rare-service" in queries and "MATCH (w:WebService)" in queries["ws-rare-service"]["cypher"]
    assert queries["ws-rare-service"]["params"]["max_hosts"] == 3
    assert report["summary"]["findings_by_strength"]["very strong"] == 2


def test_markdown_and_html_reports(demo_store: GraphStore, tmp_path: Path) -> None:
    md, html = tmp_path / "hunt.md", tmp_path / "hunt.html"
    assert cli(demo_store, "hunt", "--report", str(md)).exit_code == 0
    text = md.read_text(encoding="utf-8")
    for heading in ("## Summary", "## Hosts, ranked", "## Exposure findings", "### Evidence paths",
                    "## Web-service hunts", "## Blind spots", "### Indicators that could not be checked",
                    "## Queries run"):
        assert heading in text
    assert "`Host:10.0.0.12 -REQUESTED-> URL:hxxps://pastebin[.]com/raw/Xk3dP9Qa`" in text  # defanged
    assert "T1102" in text and "**Hosts with no telemetry at all** (2 of 72)" in text
    assert "**Gap**: no TLS clients (USED_CLIENT) from 2026-08-03T00:00:00Z to 2026-10-09T23:59:59Z." in text
    result = cli(demo_store, "hunt", "--report", str(html), "--no-expand")
    assert result.exit_code == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.count("<table>") >= 5 and "<h2>Blind spots</h2>" in page


def test_hunt_explain_and_errors(store: GraphStore, tmp_path: Path) -> None:
    bad_suffix = cli(store, "hunt", "--report", str(tmp_path / "hunt.txt"))
    assert bad_suffix.exit_code == 2 and "must end in .md, .json or .html" in bad_suffix.stderr
    no_folder = cli(store, "hunt", "--report", str(tmp_path / "missing" / "hunt.md"))
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.stderr
    bad_time = cli(store, "hunt", "--new-since", "soon")
    assert bad_time.exit_code == 2 and "--new-since: not a time" in bad_time.stderr
    explained = cli(store, "hunt", "--explain")
    assert explained.exit_code == 0, explained.stderr
    assert "// ws-c2-client on " in explained.stderr and "// params: " in explained.stderr


def test_json_report_keeps_long_parameter_lists_short() -> None:
    from graphpivot.hunt.report import PARAM_ITEMS_SHOWN, short_param

    many = [f"d{i}.example" for i in range(5000)]
    assert short_param(many) == {"first": many[:PARAM_ITEMS_SHOWN], "count": 5000}
    assert short_param(["a", "b"]) == ["a", "b"] and short_param(3) == 3
