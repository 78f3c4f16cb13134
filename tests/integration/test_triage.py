"""Triage that sticks: marks hide findings in later runs, are listed, and travel between databases."""

from __future__ import annotations

import json
from pathlib import Path

from support import load
from typer.testing import CliRunner, Result

from graphpivot.cli import app
from graphpivot.demo_scenario import SEED, scenario
from graphpivot.hunt.triage import TriageError, make_mark
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore


def cli(base: list[str], *args: str) -> Result:
    return CliRunner().invoke(app, [*base, *args])


def engine_args(store: GraphStore) -> list[str]:
    if store.engine == "ladybug":
        store.close()  # one opener at a time
        return ["--db", store.location]
    return ["--engine", "neo4j"]


def findings(base: list[str]) -> list[tuple[str, str]]:
    result = cli(base, "exposure", "--all-indicators", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return sorted((f["host"], f["indicator"]) for f in json.loads(result.stdout))


def hunt_json(base: list[str], path: Path) -> dict[str, object]:
    result = cli(base, "hunt", "--no-expand", "--report", str(path))
    assert result.exit_code == 0, result.stderr
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_a_false_positive_mark_hides_the_finding_and_travels(store: GraphStore, tmp_path: Path) -> None:
    load(store, scenario(), source="demo")
    base = engine_args(store)
    before = findings(base)
    host, indicator = next(pair for pair in before if pair[1] == SEED)
    marked = cli(base, "triage", "mark", f"{host}|{indicator}", "--as", "false-positive", "--note", "lab scanner",
                 "--author", "analyst1")
    assert marked.exit_code == 0, marked.stderr
    after = findings(base)
    assert after == [p for p in before if p != (host, indicator)]
    report = hunt_json(base, tmp_path / "hunt.json")
    ranked = {(f["host"], f["indicator"]) for f in report["findings"]}  # type: ignore[attr-defined]
    hidden = report["marked"]
    assert (host, indicator) not in ranked
    assert [(f["host"], f["indicator"]) for f in hidden] == [(host, indicator)]  # type: ignore[attr-defined]
    assert "marked false-positive (finding) by analyst1: lab scanner" in hidden[0]["reasons"]  # type: ignore[index]
    exported = tmp_path / "marks.json"
    assert cli(base, "triage", "export", str(exported)).exit_code == 0
    # A fresh embedded database with the same data and the imported marks gives the same result.
    fresh = tmp_path / "fresh.lbdb"
    other = LadybugStore(fresh)
    other.init_schema()
    load(other, scenario(), source="demo")
    other.close()
    fresh_base = ["--db", str(fresh)]
    assert findings(fresh_base) == before
    imported = cli(fresh_base, "triage", "import", str(exported))
    assert imported.exit_code == 0, imported.stderr
    assert findings(fresh_base) == after
    listed = cli(fresh_base, "triage", "list", "--format", "json")
    assert [m["verdict"] for m in json.loads(listed.stdout)] == ["false-positive"]


def test_host_and_indicator_marks_and_their_end(store: GraphStore) -> None:
    load(store, scenario(), source="demo")
    base = engine_args(store)
    before = findings(base)
    host = before[0][0]
    assert cli(base, "triage", "mark", host, "--scope", "host", "--as", "benign").exit_code == 0
    assert all(h != host for h, _ in findings(base))
    ended = cli(base, "triage", "mark", host, "--scope", "host", "--as", "benign", "--until", "2000-01-01")
    assert ended.exit_code == 0
    assert findings(base) == before  # the mark ended: the findings are back
    assert cli(base, "triage", "mark", SEED, "--as", "false-positive").exit_code == 0
    assert all(i != SEED for _, i in findings(base))
    confirmed = cli(base, "triage", "mark", SEED, "--as", "true-positive")
    assert confirmed.exit_code == 0
    assert findings(base) == before


def test_bad_marks_are_refused() -> None:
    for args, message in (
        (("finding", "10.0.0.1", "benign"), "HOST|INDICATOR"),
        (("host", "10.0.0.1", "maybe"), "unknown verdict"),
        (("indicator", "not a domain!", "benign"), "not a URL, IP, domain"),
    ):
        try:
            make_mark(*args, author="a", marked_at=0)
        except (TriageError, ValueError) as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{args} was accepted")
