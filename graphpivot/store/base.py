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


class WriteRefused(RuntimeError):
    """A read was asked to write, or to run several statements (which could leave the read-only transaction)."""


class ForeignData(RuntimeError):
    """``clear()`` refused: the database holds labels that are not graphpivot's."""


def single_statement(cypher: str) -> str:
    """``cypher`` without a trailing ``;``; raises :class:`WriteRefused` when it holds more than one statement.

    Semicolons inside string literals, backtick names and comments do not count.
    """
    quote: str | None = None
    i, n = 0, len(cypher)
    end = n
    while i < n:
        ch = cypher[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif cypher.startswith("//", i):
            newline = cypher.find("\n", i)
            i = n if newline < 0 else newline
            continue
        elif cypher.startswith("/*", i):
            close = cypher.find("*/", i + 2)
            i = n if close < 0 else close + 2
            continue
        elif ch == ";":
            if cypher[i + 1 :].strip(" \t\r\n;"):
                rest = _without_comments(cypher[i + 1 :]).strip(" \t\r\n;")
                if rest:
                    raise WriteRefused("a stored query must be one statement; several statements are refused")
            end = i
            break
        i += 1
    return cypher[:end]


def _without_comments(text: str) -> str:
    lines = [line.split("//", 1)[0] for line in text.splitlines()]
    return "\n".join(lines)


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
