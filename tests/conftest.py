"""Fixtures: a real store per engine (embedded Ladybug, a real Neo4j server), shared sample data."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ENGINES, require_neo4j, shared_data

from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

# The analyst's own config file and query folder never leak into the tests.
_ISOLATED = Path(tempfile.mkdtemp(prefix="graphpivot-tests-"))
os.environ["GRAPHPIVOT_CONFIG"] = str(_ISOLATED / "no-config.toml")
os.environ["GRAPHPIVOT_QUERIES"] = str(_ISOLATED / "no-queries")
os.environ.pop("GRAPHPIVOT_PROFILE", None)

# Test isolation: the suite clears its Neo4j again and again, so it never uses the database real
# work uses. It reads GRAPHPIVOT_TEST_NEO4J_* only, and points the CLI's GRAPHPIVOT_NEO4J_* (which
# commands under test read) at that test database, or unsets them. Store.clear() also refuses a
# database holding labels that are not graphpivot's.
TEST_NEO4J = {name: os.environ.get(f"GRAPHPIVOT_TEST_NEO4J_{name}") for name in ("URI", "USER", "PASSWORD", "DATABASE")}
for _name, _value in TEST_NEO4J.items():
    os.environ.pop(f"GRAPHPIVOT_NEO4J_{_name}", None)
    if TEST_NEO4J["URI"] and _value:
        os.environ[f"GRAPHPIVOT_NEO4J_{_name}"] = _value


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data()
    if not path.is_dir():
        pytest.fail(f"shared sample data not found at {path}; set GRAPHPIVOT_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def neo4j_store() -> Iterator[GraphStore | None]:
    uri = TEST_NEO4J["URI"]
    if not uri:
        yield None
        return
    from graphpivot.store.neo4j import Neo4jStore

    store = Neo4jStore(
        uri, TEST_NEO4J["USER"] or "neo4j", TEST_NEO4J["PASSWORD"] or "", database=TEST_NEO4J["DATABASE"]
    )
    foreign = store.foreign_labels()
    if foreign:
        store.close()
        pytest.exit(f"the test Neo4j at {uri} holds labels that are not graphpivot's ({', '.join(foreign)}): "
                    "refusing to use it (point GRAPHPIVOT_TEST_NEO4J_URI at a database for tests only)", 2)
    store.init_schema()
    yield store
    store.clear()
    store.close()


@pytest.fixture(scope="module", params=ENGINES)
def module_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, neo4j_store: GraphStore | None
) -> Iterator[GraphStore]:
    """An empty graph per engine shared by one test module (load it once, read it in many tests).

    A module using this must not also use the function-scoped ``store``: on Neo4j both are the same database.
    """
    if request.param == "ladybug":
        lb = LadybugStore(tmp_path_factory.mktemp("module") / "graph.lbdb")
        lb.init_schema()
        yield lb
        lb.close()
        return
    neo = require_neo4j(neo4j_store)
    neo.clear()
    yield neo


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path, neo4j_store: GraphStore | None) -> Iterator[GraphStore]:
    """An empty graph on each engine in turn."""
    if request.param == "ladybug":
        lb = LadybugStore(tmp_path / "graph.lbdb")
        lb.init_schema()
        yield lb
        lb.close()
        return
    neo = require_neo4j(neo4j_store)
    neo.clear()
    yield neo


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many fuzz cases ran (tests/fuzzing.py counts them), shown under ``pytest -q`` too."""
    from fuzzing import CASES

    if CASES:
        parts = ", ".join(f"{what} {n}" for what, n in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz cases run: {sum(CASES.values())} ({parts})")
