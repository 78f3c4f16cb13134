"""Run stored queries by id, keeping what ran (Cypher, parameters, row count) for ``--explain`` and links."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphpivot.browser import browser_link
from graphpivot.catalog import Catalog, StoredQuery
from graphpivot.store.base import GraphStore

CHUNK = 2000  # list parameters longer than this are sent in several runs


@dataclass
class QueryRun:
    """One executed stored query."""

    query_id: str
    engine: str
    cypher: str
    params: dict[str, Any]
    rows: int = 0
    seconds: float = 0.0

    def explain(self) -> str:
        """The exact text and parameters, as ``--explain`` prints them."""
        return (
            f"// {self.query_id} on {self.engine}: {self.rows} row(s) in {self.seconds:.3f} s\n"
            f"{self.cypher}\n// params: {json.dumps(self.params, sort_keys=True)}"
        )

    def browser_url(self, base: str | None = None) -> str:
        """A Neo4j Browser link that opens this query with its parameters set."""
        return browser_link(self.cypher, self.params, base)


@dataclass
class Runner:
    """Runs stored queries on one store; ``on_run`` sees each run as it finishes (``--explain``)."""

    store: GraphStore
    catalog: Catalog = field(default_factory=Catalog)
    timeout: float | None = None
    on_run: Callable[[QueryRun], None] | None = None
    runs: list[QueryRun] = field(default_factory=list)
    _memo: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def query(self, query_id: str) -> StoredQuery:
        return self.catalog.get(query_id)

    def run(self, query_id: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate ``raw`` against the query's header, run it in a read transaction, record it.

        The same query with the same parameters runs once per runner (one hunt reads one snapshot).
        """
        query = self.catalog.get(query_id)
        params = query.bind(raw)
        slot = (query_id, json.dumps(params, sort_keys=True))
        if slot in self._memo:
            return self._memo[slot]
        run = QueryRun(query_id, self.store.engine, query.cypher_for(self.store.engine), params)
        started = time.perf_counter()
        try:
            rows = self.store.read(run.cypher, params, timeout=self.timeout)
        finally:
            run.seconds = time.perf_counter() - started
            self.runs.append(run)
        run.rows = len(rows)
        if self.on_run is not None:
            self.on_run(run)
        self._memo[slot] = rows
        return rows

    def run_chunked(
        self, query_id: str, list_param: str, values: list[str], raw: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run once per chunk of ``values`` (a list parameter); nothing runs for an empty list."""
        rows: list[dict[str, Any]] = []
        for chunk in chunks(values, CHUNK):
            rows.extend(self.run(query_id, {**raw, list_param: chunk}))
        return rows


def chunks(values: list[str], size: int) -> Iterator[list[str]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
