"""Ladybug, the embedded zero-setup engine (in-process, one database file and its WAL).

Ladybug is schema-first: tables come from :mod:`graphpivot.schema`. Batches
travel as typed Arrow tables, one transaction each. A first load into an empty
table is a bulk ``COPY``. Later, nodes are read, merged in Python by the
schema's rules and only changed properties written back; existing edges are
taken out, merged the same way and created again with the new ones. Ladybug
sets properties slowly and memory grew with every relationship ``SET`` join,
so the store avoids them (measured in ``bench/RESULTS.md``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from graphpivot.merge import merge_into
from graphpivot.schema import NODES, RELS, Prop, PropType
from graphpivot.store import writers
from graphpivot.store.base import (
    EdgeRows,
    ForeignData,
    NodeRows,
    QueryTimeout,
    StoreUnavailable,
    WriteRefused,
    plain,
    single_statement,
)
from graphpivot.store.writers import ALL_NODE_PROPS as _ALL_NODE_PROPS
from graphpivot.store.writers import ALL_REL_PROPS as _ALL_REL_PROPS

_node_read = lru_cache(maxsize=512)(writers.ladybug_node_read)
_node_set = lru_cache(maxsize=512)(writers.ladybug_node_set)
_node_create = lru_cache(maxsize=512)(writers.ladybug_node_create)
_node_copy = lru_cache(maxsize=512)(writers.ladybug_node_copy)
_edge_take = lru_cache(maxsize=512)(writers.ladybug_edge_take)
_edge_create = lru_cache(maxsize=512)(writers.ladybug_edge_create)

_ARROW_TYPES = {
    PropType.STRING: pa.string(),
    PropType.INT: pa.int64(),
    PropType.FLOAT: pa.float64(),
    PropType.BOOL: pa.bool_(),
    PropType.STRING_LIST: pa.list_(pa.string()),
    PropType.INT_LIST: pa.list_(pa.int64()),
}


def arrow_batch(rows: list[dict[str, Any]], ids: tuple[str, ...], props: tuple[Prop, ...]) -> pa.Table:
    """Rows as a typed Arrow table with ``r_``-prefixed columns (ids are strings).

    Ladybug scans Arrow tables natively, several times faster than ``UNWIND`` over
    Python dicts, and the explicit types spare every value a cast.
    """
    columns = {f"r_{name}": pa.array([row[name] for row in rows], pa.string()) for name in ids}
    for prop in props:
        columns[f"r_{prop.name}"] = pa.array([row.get(prop.name) for row in rows], _ARROW_TYPES[prop.type])
    return pa.table(columns)


_LOCK_HELD = re.compile(r"Could not set lock on file(?:.*?Lock is held by PID (\d+))?", re.S)


class LadybugStore:
    """A :class:`~graphpivot.store.base.GraphStore` on an embedded Ladybug database."""

    engine = "ladybug"
    # Each batch costs a scan of the busiest hosts' edges (Ladybug has no relationship index), so fewer,
    # larger batches: measured on 300k Zeek dns.log lines, 50k took 57 s against 88 s with 5k.
    batch_size = 50_000

    def __init__(
        self, path: Path, *, query_timeout: float = 60.0, buffer_pool_mb: int = 0, read_only: bool = False,
        lock_wait: float = 0.0,
    ) -> None:
        """Open (or create) the database; ``read_only`` never blocks on, nor blocks, a writing process.

        A writer finding another process's write lock retries for ``lock_wait`` seconds, then fails
        naming the process that holds it.
        """
        self.location = str(path)
        self.query_timeout = query_timeout
        self.read_only = read_only
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + lock_wait
        while True:
            try:
                self._db = ladybug.Database(str(path), buffer_pool_size=buffer_pool_mb << 20, read_only=read_only)
                break
            except RuntimeError as exc:
                holder = _LOCK_HELD.search(str(exc))
                if holder is None:
                    raise StoreUnavailable(f"cannot open the embedded database at {path}: {exc}") from None
                if time.monotonic() >= deadline:
                    who = f"PID {holder.group(1)}" if holder.group(1) else "it holds the lock"
                    raise StoreUnavailable(
                        f"the embedded database at {path} is being written by another process ({who}); waited "
                        f"{lock_wait:g} s (GRAPHPIVOT_DB_WAIT). Read commands run alongside it; writes wait for it "
                        "to finish") from None
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        self._conn = ladybug.Connection(self._db)
        self._schema_ready = False
        self._filled: set[str] = set()  # labels known to hold nodes (no bulk COPY any more)

    def _run(self, query: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        result = self._conn.execute(query, params or {})
        if isinstance(result, list):
            result = result[-1]
        return [list(row) for row in result.get_all()]

    def init_schema(self) -> None:
        """Create what the schema lacks; a read-only store changes nothing (it is opened on a current schema)."""
        if not self.read_only:
            for stmt in writers.ladybug_ddl():
                self._run(stmt)
            for table, prop in self._missing_columns():
                self._run(f"ALTER TABLE {table} ADD {prop.name} {prop.type.value}")
        self._schema_ready = True

    def _missing_columns(self) -> list[tuple[str, Prop]]:
        """Properties the schema has gained since tables were made by an older version (e.g. ``sensors``)."""
        tables = [(label, spec.props) for label, spec in NODES.items()] + [(r, s.props) for r, s in RELS.items()]
        missing = []
        for table, props in tables:
            have = {row[1] for row in self._run(f"CALL table_info('{table}') RETURN *")}
            missing += [(table, prop) for prop in props if prop.name not in have]
        return missing

    def schema_current(self) -> bool:
        """Every table and property of the schema exists, so every stored query can run on it."""
        tables = {str(row[0]) for row in self._run("CALL show_tables() RETURN name")}
        return set(NODES) | set(RELS) <= tables and not self._missing_columns()

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            self.init_schema()

    def write_batch(self, nodes: NodeRows, edges: EdgeRows) -> None:
        """One batch, all or nothing.

        A first load into an empty table is a bulk ``COPY``, which Ladybug runs
        outside explicit transactions; when anything after it fails, the copied
        tables (empty before this batch, so holding nothing else) are emptied
        again, so a failed batch leaves no half-written first load either.
        """
        self._ensure_schema()
        fresh = [label for label in nodes if label not in self._filled and self._empty(label)]
        copied: list[str] = []
        try:
            for label in fresh:
                copied.append(label)
                self._copy_nodes(label, nodes[label])
            with self._transaction():
                for label, rows in nodes.items():
                    if label not in fresh:
                        self._merge_nodes(label, rows)
                for (rel_type, src_label, dst_label), rows in edges.items():
                    self._merge_edges(rel_type, src_label, dst_label, rows)
        except BaseException:
            self._undo_copies(copied)
            raise
        self._filled.update(nodes)

    def _undo_copies(self, labels: list[str]) -> None:
        """Empty tables this batch filled by COPY (they held nothing before it)."""
        for label in labels:
            with suppress(RuntimeError):  # the COPY itself failed and left nothing, or the database is gone
                self._run(f"MATCH (n:{label}) DETACH DELETE n")

    def _copy_nodes(self, label: str, rows: list[dict[str, Any]]) -> None:
        batch = arrow_batch(rows, ("key",), NODES[label].props)
        self._run(_node_copy(label, _ALL_NODE_PROPS[label]), {"batch": batch})

    def _merge_nodes(self, label: str, rows: list[dict[str, Any]]) -> None:
        """Read the stored properties, merge in Python, write back only what changed, create the rest."""
        props = NODES[label].props
        keys = pa.table({"r_key": pa.array([row["key"] for row in rows], pa.string())})
        stored = {key: values for key, *values in self._run(_node_read(label), {"batch": keys})}
        changes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        missing = []
        for row in rows:
            values = stored.get(row["key"])
            if values is None:
                missing.append(row)
                continue
            old = dict(zip((p.name for p in props), values, strict=True))
            merged = dict(old)
            merge_into(merged, row, props)
            changed = tuple(name for name, value in merged.items() if value != old[name])
            if changed:
                changes.setdefault(changed, []).append({"key": row["key"], **merged})
        for changed, changed_rows in changes.items():
            columns = tuple(p for p in props if p.name in changed)
            self._run(_node_set(label, changed), {"batch": arrow_batch(changed_rows, ("key",), columns)})
        if missing:
            self._run(_node_create(label, _ALL_NODE_PROPS[label]), {"batch": arrow_batch(missing, ("key",), props)})

    def _empty(self, label: str) -> bool:
        return int(self._run(f"MATCH (n:{label}) RETURN count(n)")[0][0]) == 0

    def _merge_edges(self, rel_type: str, src_label: str, dst_label: str, rows: list[dict[str, Any]]) -> None:
        """Take the existing edges out, merge them into the rows in Python, create every row."""
        props = RELS[rel_type].props
        pairs = [{"src": row["src"], "dst": row["dst"]} for row in rows]
        taken = self._run(_edge_take(rel_type, src_label, dst_label), {"pairs": pairs})
        if taken:
            by_pair = {(row["src"], row["dst"]): row for row in rows}
            for src, dst, *values in taken:
                merged = dict(zip((p.name for p in props), values, strict=True))
                merge_into(merged, by_pair[(src, dst)], props)
                by_pair[(src, dst)].update(merged)
        create = _edge_create(rel_type, src_label, dst_label, _ALL_REL_PROPS[rel_type])
        self._run(create, {"batch": arrow_batch(rows, ("src", "dst"), props)})

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction around several statements: all of them land, or none."""
        self._run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self._run("COMMIT")

    def read(
        self, cypher: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        self._ensure_schema()
        cypher = single_statement(cypher)  # "RETURN 1; COMMIT; CREATE ..." would leave the read-only transaction
        self._conn.set_query_timeout(int((timeout or self.query_timeout) * 1000))
        self._run("BEGIN TRANSACTION READ ONLY")
        try:
            result = self._conn.execute(cypher, params or {})
            if isinstance(result, list):
                raise WriteRefused("a read runs one statement")
            columns = result.get_column_names()
            rows = [dict(zip(columns, plain(values), strict=True)) for values in result.get_all()]
        except Exception as exc:
            self._rollback()
            if "interrupted" in str(exc).lower() or "timeout" in str(exc).lower():
                raise QueryTimeout(f"query stopped after {timeout or self.query_timeout} s") from None
            if "read-only transaction" in str(exc).lower():
                raise WriteRefused(f"a read tried to write: {exc}") from None
            raise
        finally:
            self._conn.set_query_timeout(0)
        self._run("COMMIT")
        return rows

    def _rollback(self) -> None:
        """End the failed read transaction; Ladybug has already ended it after most errors."""
        try:
            self._run("ROLLBACK")
        except RuntimeError as exc:
            if "no active transaction" not in str(exc).lower():
                raise

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self._ensure_schema()
        result = self._conn.execute(cypher, params or {})
        if isinstance(result, list):
            result = result[-1]
        columns = result.get_column_names()
        return [dict(zip(columns, plain(values), strict=True)) for values in result.get_all()]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        self._ensure_schema()
        nodes = {label: int(self._run(f"MATCH (n:{label}) RETURN count(n)")[0][0]) for label in NODES}
        edges = {rel: int(self._run(f"MATCH ()-[r:{rel}]->() RETURN count(r)")[0][0]) for rel in RELS}
        return nodes, edges

    def clear(self) -> None:
        """Delete graphpivot's nodes and edges; refuses (:class:`ForeignData`) when other tables hold data."""
        self._ensure_schema()
        foreign = self.foreign_labels()
        if foreign:
            raise ForeignData(f"refusing to clear {self.location}: it holds tables that are not graphpivot's: "
                              f"{', '.join(foreign)}")
        # Only the tables holding data (two scans find them), not one DELETE per table of the schema:
        # tests clear a graph between cases again and again, and most tables are empty.
        for rel in self._holding(RELS, "MATCH ()-[r]->() RETURN DISTINCT label(r)"):
            self._run(f"MATCH ()-[r:{rel}]->() DELETE r")
        for label in self._holding(NODES, "MATCH (n) RETURN DISTINCT label(n)"):
            self._run(f"MATCH (n:{label}) DELETE n")
        self._filled.clear()

    def _holding(self, tables: Iterable[str], query: str) -> list[str]:
        """The schema's tables that ``query`` (distinct labels in the graph) names; all of them if it names others."""
        present = {str(row[0]) for row in self._run(query)}
        names = list(tables)
        return [t for t in names if t in present] if present <= set(names) else names

    def foreign_labels(self) -> list[str]:
        """Non-empty node tables that graphpivot's schema does not declare."""
        tables = self._run("CALL show_tables() RETURN name, type")
        found = []
        for name, kind in tables:
            if str(kind).upper() == "NODE" and name not in NODES and self._run(
                f"MATCH (n:`{name}`) RETURN count(n)"
            )[0][0]:
                found.append(str(name))
        return sorted(found)

    def close(self) -> None:
        self._conn.close()
        self._db.close()
