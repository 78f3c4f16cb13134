"""Helpers shared by the test modules: loading, reading, engine-neutral graph checks.

``check_nodes`` / ``check_rels`` follow Cartography's test helpers: the graph's nodes or
relationships as a set of tuples, compared with a set the test spells out.
``graph_dump`` is every node and edge with its properties, read through the schema, so the
same call gives comparable dumps on Neo4j and Ladybug.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.maintenance import refresh
from graphpivot.model import Record
from graphpivot.schema import NODES, RELS, Merge
from graphpivot.store.base import GraphStore

REPO = Path(__file__).resolve().parents[1]
ENGINES = ("ladybug", "neo4j")
NEO4J_HINT = (
    "no test Neo4j: start one with 'scripts/neo4j-local start' and "
    "'eval \"$(scripts/neo4j-local env --test)\"' (sets GRAPHPIVOT_TEST_NEO4J_URI/USER/PASSWORD)"
)
DUMP_SKIPS = ("sources", "degree")  # provenance and derived counters: differ by load, not by content
# Cases run by the fuzz and crash tests, per kind ("crash", ...) and case name; tests/conftest.py prints them.
CASES: defaultdict[str, Counter[str]] = defaultdict(Counter)


def count_case(kind: str, name: str) -> None:
    """Count one case of ``kind`` run (shown in the pytest terminal summary)."""
    CASES[kind][name] += 1


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("headless Chromium is needed (Debian package 'chromium', listed in scripts/system-packages.txt)")
    return path


def browse(page: Path, tmp: Path, *extra: str) -> str:
    """Open a local page in headless Chromium (a fresh profile under ``tmp``); its stdout (``--dump-dom``)."""
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    done = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000", *extra,
         page.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp)}, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def shared_data() -> Path:
    """The project's shared real-data samples (``../shared/data`` beside the checkout)."""
    return Path(os.environ.get("GRAPHPIVOT_SHARED_DATA", REPO.parent / "shared" / "data"))


def require_neo4j(store: GraphStore | None) -> GraphStore:
    """The session's Neo4j store; without one, skip (or fail under ``CI=true``) saying how to start it."""
    if store is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but GRAPHPIVOT_TEST_NEO4J_URI is not set: " + NEO4J_HINT)
        pytest.skip(NEO4J_HINT)
    return store


def load(store: GraphStore, records: Iterable[Record], source: str = "test", **kwargs: object) -> LoadSummary:
    """Ingest records the way the CLI does, degrees and noise flags included."""
    summary = Ingestor(store, source, **kwargs).run(records)  # type: ignore[arg-type]
    refresh(store)
    return summary


def rows(store: GraphStore, cypher: str, **params: object) -> list[dict[str, object]]:
    """Read rows through the store's read transaction."""
    return store.read(cypher, dict(params))


def browser_editor_text(url: str) -> str:
    """What Neo4j Browser puts in its editor for a link (its editorDuck / getUrlParamValue logic)."""
    decoded = unquote(url.replace("+", " "))
    assert re.findall(r"[?&]cmd=([^&#]*)", decoded) == ["edit"]
    return "\n".join(re.findall(r"[?&]arg=([^&#]*)", decoded))


def _plain(value: Any) -> Any:
    return tuple(sorted(value)) if isinstance(value, list) else value


def check_nodes(store: GraphStore, label: str, *props: str) -> set[tuple[Any, ...]]:
    """``{(key, prop1, prop2, ...)}`` for every node of ``label`` (lists as sorted tuples)."""
    columns = "".join(f", n.{p} AS {p}" for p in props)
    found = rows(store, f"MATCH (n:{label}) RETURN n.key AS key{columns}")
    return {(r["key"], *(_plain(r[p]) for p in props)) for r in found}


def check_rels(store: GraphStore, src: str, rel: str, dst: str, *props: str) -> set[tuple[Any, ...]]:
    """``{(src key, dst key, prop1, ...)}`` for every ``(src)-[rel]->(dst)`` relationship."""
    columns = "".join(f", e.{p} AS {p}" for p in props)
    found = rows(store, f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key AS a, b.key AS b{columns}")
    return {(r["a"], r["b"], *(_plain(r[p]) for p in props)) for r in found}


def graph_dump(store: GraphStore, skip: tuple[str, ...] = DUMP_SKIPS) -> dict[str, Any]:
    """Every node and edge with its set properties (``skip`` aside), lists sorted, on either engine."""
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    for label, spec in NODES.items():
        names = [p.name for p in spec.props if p.name not in skip]
        for r in rows(store, f"MATCH (n:{label}) RETURN n.key AS key" + "".join(f", n.{p} AS {p}" for p in names)):
            nodes[(label, str(r["key"]))] = {p: _plain(r[p]) for p in names if r[p] is not None}
    edges: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for rel, spec in RELS.items():
        names = [p.name for p in spec.props if p.name not in skip]
        columns = "".join(f", e.{p} AS {p}" for p in names)
        for src, dst in spec.pairs:
            for r in rows(store, f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key AS a, b.key AS b{columns}"):
                edges[(rel, src, str(r["a"]), dst, str(r["b"]))] = {p: _plain(r[p]) for p in names if r[p] is not None}
    return {"nodes": nodes, "edges": edges}


def nonzero_counts(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Node counts per label and edge counts per type, without the zeros."""
    nodes, edges = store.counts()
    return {k: v for k, v in nodes.items() if v}, {k: v for k, v in edges.items() if v}


def summed(part: str, key: tuple[str, ...]) -> set[str]:
    """The properties the merge rules add up on every load, for a ``graph_dump`` node (label) or edge (type)."""
    spec = NODES[key[0]] if part == "nodes" else RELS[key[0]]
    return {p.name for p in spec.props if p.merge is Merge.SUM}


def split_sums(dump: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple[str, tuple[str, ...], str], int]]:
    """``dump`` without its summed counters, and those counters by (part, key, property)."""
    rest: dict[str, Any] = {}
    sums: dict[tuple[str, tuple[str, ...], str], int] = {}
    for part, items in dump.items():
        rest[part] = {}
        for key, props in items.items():
            names = summed(part, key)
            rest[part][key] = {k: v for k, v in props.items() if k not in names}
            sums.update({(part, key, k): v for k, v in props.items() if k in names})
    return rest, sums
