"""The CLI end to end: a DNS job killed half way and run again leaves the graph one straight run leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pytest
from enrich_servers import Nsd, snapshot
from support import REPO, load

from graphpivot.enrich.selection import REFERENCE_SOURCES
from graphpivot.model import entity
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

NAMES = [f"d{i:02d}.example.com" for i in range(40)]


def zone() -> str:
    lines = ["$TTL 300", "example.com. IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300",
             "shared.example.com. IN A 192.0.2.200"]
    for i, name in enumerate(NAMES):
        if i % 2:
            lines.append(f"{name}. IN CNAME shared.example.com.")  # the same RESOLVES_TO from many targets
        else:
            lines += [f"{name}. IN A 192.0.2.{i % 5 + 1}", f"{name}. IN MX 10 mx.example.net."]
            lines.append(f'{name}. IN TXT "n{i}"')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def resolver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    nsd = Nsd(tmp_path_factory.mktemp("nsd-resume"), {"example.com": zone()}).start()
    yield f"127.0.0.1:{nsd.port}"
    nsd.stop()


Opener = Callable[[], AbstractContextManager[GraphStore]]


@pytest.fixture
def graphs(store: GraphStore, tmp_path: Path) -> Callable[[str], tuple[list[str], Opener]]:
    """Per name, the CLI's engine options and a way to open that graph here (between CLI runs)."""

    def make(name: str) -> tuple[list[str], Opener]:
        if store.engine == "neo4j":
            store.clear()
            return ["--engine", "neo4j"], lambda: nullcontext(store)
        path = tmp_path / f"{name}.lbdb"

        @contextmanager
        def open_ladybug() -> Iterator[GraphStore]:
            lb = LadybugStore(path)
            lb.init_schema()
            try:
                yield lb
            finally:
                lb.close()

        return ["--engine", "ladybug", "--db", str(path)], open_ladybug

    return make


def cli(engine: list[str], resolver: str) -> list[str]:
    return [
        sys.executable, "-c", "from graphpivot.cli import main; main()", *engine,
        "enrich", "dns", "--resolver", resolver, "--targets", "all", "--yes", "--log-json", "--json",
        "--concurrency", "2", "--rate", "12", "--max-age", "0",
    ]


ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run(cmd: list[str]) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        cmd, check=False, capture_output=True, text=True, env=ENV, stdin=subprocess.DEVNULL, timeout=180
    )
    assert done.stdout.strip(), done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def run_and_kill(cmd: list[str], sig: signal.Signals) -> tuple[int, list[dict[str, Any]]]:
    """Start the job, and send ``sig`` once the first targets are recorded."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            stdin=subprocess.DEVNULL)
    assert proc.stderr is not None
    events = []
    for line in proc.stderr:
        events.append(json.loads(line))
        if events[-1]["event"] == "target":
            proc.send_signal(sig)
            break
    proc.wait(timeout=60)
    events += [json.loads(line) for line in proc.stderr.read().splitlines() if line.startswith("{")]
    return proc.returncode, events


REFERENCE_TIMES = ("first_seen", "last_seen", "installed_at")


def normalised(snap: dict[str, Any], observed_at: int, run_id: str) -> dict[str, Any]:
    """The run's time and id as placeholders, lists as sets: two runs of one job compare equal."""

    def fix(value: Any) -> Any:
        if isinstance(value, list):
            return sorted(fix(v) for v in value)
        if value == observed_at:
            return "<observed_at>"
        if isinstance(value, str) and run_id in value:
            return value.replace(run_id, "<run>")
        return value

    def reference(key: tuple[str, ...], props: dict[str, Any]) -> bool:
        # Installed by each run's first command at its own time: when, is not what the job decides.
        return key[0] == "Reference" or (bool(props.get("sources")) and set(props["sources"]) <= REFERENCE_SOURCES)

    def entry(key: tuple[str, ...], props: dict[str, Any]) -> dict[str, Any]:
        timeless = reference(key, props)
        return {p: fix(v) for p, v in props.items() if not (timeless and p in REFERENCE_TIMES)}

    return {part: {k: entry(k, props) for k, props in items.items()} for part, items in snap.items()}


def seed(opener: Opener) -> None:
    with opener() as g:
        load(g, [entity("Domain", name) for name in NAMES], source="seed", observed_at=1_600_000_000)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_killed_then_resumed_equals_straight_through(graphs, resolver: str, sig: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    engine, opener = graphs("straight")
    seed(opener)
    code, straight = run(cli(engine, resolver))
    assert code == 0 and straight["planned"] == len(NAMES) + 1 and not straight["resumed"]  # + example.com
    with opener() as g:
        expected = normalised(snapshot(g), straight["observed_at"], straight["run"])

    engine, opener = graphs("resumed")
    seed(opener)
    code, events = run_and_kill(cli(engine, resolver), sig)
    if sig == signal.SIGTERM:
        summary = next(e for e in events if e["event"] == "summary")
        assert code == 3 and summary["interrupted"]  # stopped cleanly, told the scheduler to come back
    else:
        assert code == -signal.SIGKILL
    with opener() as g:
        recorded = g.read("MATCH (e:Enrichment) WHERE e.job = 'dns' AND e.target IS NOT NULL RETURN e.outcome AS o")
    done_before = sum(1 for r in recorded if r["o"] != "pending")
    assert len(recorded) == len(NAMES) + 1 and 0 < done_before < len(NAMES)  # every target planned, some done

    code, resumed = run(cli(engine, resolver))
    assert code == 0 and resumed["resumed"]
    assert resumed["planned"] == len(NAMES) + 1 - done_before
    with opener() as g:
        got = normalised(snapshot(g), resumed["observed_at"], resumed["run"])
    for part in ("nodes", "edges"):
        assert set(got[part]) == set(expected[part]), part
        differing = [(k, got[part][k], expected[part][k]) for k in got[part] if got[part][k] != expected[part][k]]
        assert differing[:2] == [], part
    with opener() as g:
        # A later run of the same command starts afresh (the previous one finished).
        state = g.read("MATCH (e:Enrichment {key: 'dns:run'}) RETURN e.outcome AS s, e.run AS r")
    assert state == [{"s": "finished", "r": resumed["run"]}]
