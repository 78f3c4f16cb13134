"""The hunt-quality benchmark's generated week: deterministic per seed, and every file loads through the CLI.

No grading and no timing is asserted here: ``bench/hunt_quality.py`` measures those.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.store.embedded import LadybugStore

BENCH = REPO / "bench"
sys.path.insert(0, str(BENCH))

from hunt_quality import load_steps  # noqa: E402

runner = CliRunner()
NOT_NETWORK = re.compile(r"^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[^\s@]+(@|\[@\])[^\s@]+)$")


def generate(out: Path, seed: int = 1) -> dict[str, object]:
    subprocess.run([sys.executable, str(BENCH / "gen_enterprise_week.py"), "--seed", str(seed), "--scale", "small",
                    "--out", str(out)], check=True, capture_output=True)
    return dict(json.loads((out / "truth.json").read_text(encoding="utf-8")))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_per_seed(tmp_path: Path) -> None:
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    generate(tmp_path / "c", seed=2)
    first = digests(tmp_path / "a")
    assert len(first) > 20
    assert first == digests(tmp_path / "b")
    assert first != digests(tmp_path / "c")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("week")
    return out, generate(out)


def test_every_file_loads_through_the_cli(week: tuple[Path, dict[str, object]], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out, truth = week
    monkeypatch.delenv("GRAPHPIVOT_NEO4J_URI", raising=False)
    monkeypatch.setenv("GRAPHPIVOT_BUFFER_POOL_MB", "256")
    db = tmp_path / "graph.lbdb"
    root = ["--engine", "ladybug", "--db", str(db)]
    assert runner.invoke(app, [*root, "db", "init"]).exit_code == 0
    for n, (kind, args) in enumerate(load_steps(out / "data", tag=False)):
        rejects = tmp_path / f"rejects-{n}.ndjson"
        result = runner.invoke(app, [*root, "load", kind, *args, "--json", "--rejects", str(rejects)])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout[result.stdout.index("{"):])
        assert summary["records"] > 0
        rejected = [json.loads(line) for line in rejects.read_text().splitlines()] if rejects.exists() else []
        if args[0].endswith("partner-iocs.txt"):
            # the plain-list loader reads network indicators only; the partner's hashes and e-mails are rejected
            assert all(NOT_NETWORK.match(r["raw"]) for r in rejected), rejected
        else:
            assert rejected == [], rejected
    assert_planted_in_graph(db, truth)


def assert_planted_in_graph(db: Path, truth: dict[str, object]) -> None:
    """Published indicators are indicator nodes; the unpublished siblings are there from telemetry alone."""
    hosts = truth["hosts"]
    assert isinstance(hosts, dict)
    published = {e["indicator"].removeprefix("ja3:") if e["kind"] == "client-fingerprint" else e["indicator"]
                 for h in hosts.values() for e in h["exposures"] if e["expected"] == "above-weak"}
    siblings = {e["match"][0] for h in hosts.values() for e in h["exposures"] if e["expected"] == "pivot"}
    store = LadybugStore(db)
    try:
        rows = store.read("MATCH (n) WHERE n.indicator = true RETURN n.key AS key", {})
        indicators = {str(r["key"]).removeprefix("ja3:") for r in rows}
        keys = {str(r["key"]) for r in store.read("MATCH (n) RETURN n.key AS key", {})}
        host_count = store.read("MATCH (h:Host) RETURN count(h) AS n", {})[0]["n"]
    finally:
        store.close()
    assert published - indicators == set()
    assert siblings - keys == set() and not siblings & indicators
    assert host_count == len(hosts)
