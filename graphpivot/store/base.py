"""The storage protocol both engines implement, and value normalisation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

Row = dict[str, Any]
NodeRows = dict[str, list[Row]]  # label -> rows of ``key`` plus properties
EdgeRows = dict[tuple[str, str, str], list[Row]]  # (type, source label, target label) -> ``src``, ``dst`` + properties


class QueryTimeout(RuntimeError):
    """A read query ran longer than its timeout and was stopped."""


class StoreUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message says how to fix it."""


class GraphStore(Protocol):
    """A graph the ingest path writes to and stored queries read from."""

    engine: str
    location: str
    batch_size: int  # records per write batch this engine handles best (GRAPHPIVOT_BATCH_SIZE overrides)

    def init_schema(self) -> None:
        """Create tables, constraints and indexes; safe to run again."""

    def write_batch(self, nodes: NodeRows, edges: EdgeRows) -> None:
        """Merge one batch in one transaction: node rows first, then edge rows (whose endpoints must exist)."""

    def read(
        self, cypher: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Run a query in a read-only transaction; rows as plain Python values."""

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a maintenance query in a write transaction."""

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Node counts per label and edge counts per type."""

    def clear(self) -> None:
        """Delete every node and edge (the schema stays)."""

    def close(self) -> None:
        """Release the connection or database handle."""


def plain(value: Any) -> Any:
    """Engine values to plain Python: Decimal to int/float, nodes to property dicts."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if not k.startswith("_")}
    if hasattr(value, "items") and hasattr(value, "element_id"):  # neo4j Node / Relationship
        return {k: plain(v) for k, v in value.items()}
    return value
