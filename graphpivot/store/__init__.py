"""Open the configured graph store."""

from __future__ import annotations

from graphpivot.config import Settings
from graphpivot.store.base import GraphStore, QueryTimeout, StoreUnavailable

__all__ = ["GraphStore", "QueryTimeout", "StoreUnavailable", "open_store"]

ENGINES = ("ladybug", "neo4j")


def open_store(settings: Settings, *, read_only: bool = False) -> GraphStore:
    """The Neo4j store when configured, else the embedded Ladybug database.

    ``read_only`` opens the embedded database for reading only, which another process writing to it
    does not block (Neo4j reads run in read transactions either way).
    """
    engine = settings.resolved_engine
    if engine == "neo4j":
        if not settings.neo4j_uri:
            raise StoreUnavailable("engine neo4j needs GRAPHPIVOT_NEO4J_URI (e.g. bolt://127.0.0.1:7687)")
        from graphpivot.store.neo4j import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
            query_timeout=settings.query_timeout,
        )
    if engine == "ladybug":
        from graphpivot.store.embedded import LadybugStore

        return LadybugStore(
            settings.db_path, query_timeout=settings.query_timeout, buffer_pool_mb=settings.buffer_pool_mb,
            read_only=read_only, lock_wait=settings.db_wait,
        )
    raise StoreUnavailable(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
