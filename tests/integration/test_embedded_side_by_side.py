"""The embedded database shared by an analyst and a scheduled job: reads run while another process writes;
a second writer waits, then fails naming the process holding the lock; nothing is created by a typo."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import load

from graphpivot.model import Edge, entity
from graphpivot.reference.install import ensure_reference
from graphpivot.store.embedded import LadybugStore

HOLD = """
import sys
from pathlib import Path
from graphpivot.store.embedded import LadybugStore
store = LadybugStore(Path(sys.argv[1]))
store.write("MATCH (d:Domain) RETURN count(d) AS n")
print("holding", flush=True)
sys.stdin.read()
store.close()
"""


def _cli(db: Path, *args: str, wait: str = "1") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHPIVOT_NEO4J")}
    env["GRAPHPIVOT_DB_WAIT"] = wait
    return subprocess.run([sys.executable, "-m", "graphpivot", "--engine", "ladybug", "--db", str(db), *args],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    path = tmp_path / "shared.lbdb"
    store = LadybugStore(path)
    try:
        ensure_reference(store)  # as every load through the command does
        load(store, [entity("Domain", "evil.example", indicator=True), entity("Host", "10.0.0.5"),
                     Edge("QUERIED", "Host", "10.0.0.5", "Domain", "evil.example",
                          {"first_seen": 1_700_000_000, "last_seen": 1_700_000_100, "count": 3})], source="seed")
    finally:
        store.close()
    return path


@pytest.fixture
def writer(graph: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the database open for writing (a scheduled enrich or load)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(graph)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    yield proc
    if proc.poll() is None:
        proc.communicate("", timeout=60)


def test_reads_run_while_another_process_writes(graph: Path, writer: subprocess.Popen[str]) -> None:
    done = _cli(graph, "exposure", "evil.example", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"host": "10.0.0.5"' in done.stdout
    listed = _cli(graph, "query", "MATCH (d:Domain {key: 'evil.example'}) RETURN d.key AS k", "--format", "csv")
    assert listed.returncode == 0 and "evil.example" in listed.stdout, listed.stderr


def test_a_second_writer_waits_then_names_the_holder(graph: Path, writer: subprocess.Popen[str],
                                                     tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("second.example\n", encoding="utf-8")
    blocked = _cli(graph, "load", "ioc", str(iocs), "--source", "t")
    assert blocked.returncode == 2
    assert f"PID {writer.pid}" in blocked.stderr and "GRAPHPIVOT_DB_WAIT" in blocked.stderr, blocked.stderr
    assert "Traceback" not in blocked.stderr
    writer.communicate("", timeout=60)  # the job ends: the write goes through
    assert _cli(graph, "load", "ioc", str(iocs), "--source", "t").returncode == 0
    after = _cli(graph, "query", "MATCH (d:Domain {key: 'second.example'}) RETURN d.key AS k", "--format", "csv")
    assert "second.example" in after.stdout


def test_a_mistyped_db_path_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.lbdb"
    done = _cli(missing, "exposure", "evil.example")
    assert done.returncode == 2 and "no embedded database" in done.stderr
    assert not missing.exists()
