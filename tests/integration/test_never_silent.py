"""An empty answer says why: a seed not in the graph, or nothing within the limits, each with its exit code."""

from __future__ import annotations

from support import load
from typer.testing import CliRunner, Result

from graphpivot.cli import app
from graphpivot.model import Edge, entity
from graphpivot.presence import EXIT_EMPTY, EXIT_UNKNOWN_SEED
from graphpivot.store.base import GraphStore

T0 = 1_790_000_000


def cli(store: GraphStore, *args: str) -> Result:
    if store.engine == "ladybug":
        store.close()
        base = ["--db", store.location]
    else:
        base = ["--engine", "neo4j"]
    return CliRunner().invoke(app, [*base, *args])


def test_pivots_and_exposure_say_why_nothing_came_back(store: GraphStore) -> None:
    load(store, [
        entity("Domain", "lonely.example", indicator=True),
        Edge("RESOLVES_TO", "Domain", "a.example", "IP", "192.0.2.10", {"first_seen": T0, "last_seen": T0}),
        Edge("QUERIED", "Host", "10.0.0.5", "Domain", "a.example", {"first_seen": T0, "last_seen": T0}),
    ])
    missing = cli(store, "pivot", "run", "shared-ip", "-p", "seed=never-loaded.example")
    assert missing.exit_code == EXIT_UNKNOWN_SEED
    assert "not in the graph: seed=never-loaded.example" in missing.stderr
    empty = cli(store, "pivot", "run", "shared-ip", "-p", "seed=lonely.example")
    assert empty.exit_code == EXIT_EMPTY
    assert "seed=lonely.example (Domain) in the graph, but nothing matched within" in empty.stderr
    found = cli(store, "pivot", "run", "shared-ip", "-p", "seed=a.example")
    assert found.exit_code in (0, EXIT_EMPTY)  # a.example shares its IP with nothing: said, not silent
    exposure_missing = cli(store, "exposure", "never-loaded.example")
    assert exposure_missing.exit_code == EXIT_UNKNOWN_SEED and "not in the graph: never-loaded.example" in (
        exposure_missing.stderr)
    exposure_empty = cli(store, "exposure", "lonely.example")
    assert exposure_empty.exit_code == EXIT_EMPTY and "no internal host touched them" in exposure_empty.stderr
    exposed = cli(store, "exposure", "a.example", "--format", "json")
    assert exposed.exit_code == 0 and "10.0.0.5" in exposed.stdout
