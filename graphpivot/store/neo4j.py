"""Neo4j, the system of record, through the official driver.

Writes are managed transactions (``execute_write`` retries transient errors),
one per batch, of ``UNWIND $rows`` queries per label and type; reads run in read access mode with a timeout.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import neo4j
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable

from graphpivot.schema import NODES, RELS
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

_TIMEOUT_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOut",
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    "Neo.TransientError.Transaction.TransactionTimedOut",
)

_ACCESS_CODES = ("Neo.ClientError.Statement.AccessMode", "Neo.ClientError.Security.Forbidden")


def check_uri(uri: str) -> str:
    """``uri`` when it carries no credentials; else :class:`StoreUnavailable` with a message that hides them.

    A ``bolt://user:password@host`` URI would put the password in every error, log
    line and ``db status``; credentials belong in GRAPHPIVOT_NEO4J_USER/PASSWORD.
    """
    try:
        parts = urlsplit(uri)
        userinfo = "@" in parts.netloc
    except ValueError:
        raise StoreUnavailable("GRAPHPIVOT_NEO4J_URI is not a valid URI") from None
    if userinfo:
        host = parts.netloc.rpartition("@")[2]
        raise StoreUnavailable(
            f"GRAPHPIVOT_NEO4J_URI must not carry a user name or password ({parts.scheme}://***@{host}): "
            "set GRAPHPIVOT_NEO4J_USER and GRAPHPIVOT_NEO4J_PASSWORD instead"
        )
    return uri


_node_query = lru_cache(maxsize=512)(writers.neo4j_node_upsert)
_edge_query = lru_cache(maxsize=512)(writers.neo4j_edge_upsert)


class Neo4jStore:
    """A :class:`~graphpivot.store.base.GraphStore` on a Neo4j server."""

    engine = "neo4j"
    batch_size = 5000

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str | None = None,
        query_timeout: float = 60.0,
    ) -> None:
        self.location = check_uri(uri)
        self.database = database
        self.query_timeout = query_timeout
        self._driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password), notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF
        )
        try:
            self._driver.verify_connectivity()
        except (ServiceUnavailable, OSError, Neo4jError) as exc:
            self._driver.close()
            raise StoreUnavailable(
                f"cannot reach Neo4j at {uri}: {exc}. Start one with 'scripts/neo4j-local start' "
                "or 'docker compose up -d', and check GRAPHPIVOT_NEO4J_URI/USER/PASSWORD."
            ) from None

    def _session(self, mode: str) -> neo4j.Session:
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _write_tx(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [plain(r.data()) for r in tx.run(query, params)]

        with self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(work)

    def init_schema(self) -> None:
        with self._session(neo4j.WRITE_ACCESS) as session:
            for stmt in writers.neo4j_ddl():
                session.run(stmt).consume()

    def write_batch(self, nodes: NodeRows, edges: EdgeRows) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            for label, rows in nodes.items():
                tx.run(_node_query(label, _ALL_NODE_PROPS[label]), rows=rows).consume()
            for (rel_type, src_label, dst_label), rows in edges.items():
                query = _edge_query(rel_type, src_label, dst_label, _ALL_REL_PROPS[rel_type])
                tx.run(query, rows=rows).consume()

        with self._session(neo4j.WRITE_ACCESS) as session:
            session.execute_write(work)

    def read(
        self, cypher: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        seconds = timeout or self.query_timeout
        cypher = single_statement(cypher)

        @neo4j.unit_of_work(timeout=seconds)
        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            return [plain(r.data()) for r in tx.run(cypher, params or {})]

        try:
            with self._session(neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        except ClientError as exc:
            if exc.code in _TIMEOUT_CODES:
                raise QueryTimeout(f"query stopped after {seconds} s") from None
            if exc.code in _ACCESS_CODES:
                raise WriteRefused(f"a read tried to write: {exc.message}") from None
            raise

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._write_tx(cypher, params or {})

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        nodes = {label: self._count(f"MATCH (n:{label}) RETURN count(n) AS c") for label in NODES}
        edges = {rel: self._count(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c") for rel in RELS}
        return nodes, edges

    def _count(self, query: str) -> int:
        return int(self.read(query)[0]["c"])

    def foreign_labels(self) -> list[str]:
        """Labels in the database that are not graphpivot's (another application's data)."""
        rows = self.read("CALL db.labels() YIELD label RETURN label")
        return sorted(str(r["label"]) for r in rows if r["label"] not in NODES)

    def clear(self) -> None:
        """Delete graphpivot's data; refuses (:class:`ForeignData`) when the database holds other labels."""
        foreign = self.foreign_labels()
        if foreign:
            raise ForeignData(
                f"refusing to clear Neo4j at {self.location}: it holds labels that are not graphpivot's: "
                f"{', '.join(foreign[:20])}"
            )
        with self._session(neo4j.WRITE_ACCESS) as session:
            # Edges first, in small transactions: a hub node with 100k edges would not fit one transaction.
            session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS").consume()
            session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()

    def close(self) -> None:
        self._driver.close()
