"""Lint stored queries: the header, declared against used parameters, read-only text, the portable core,
and ATT&CK ids in the header that the packaged table knows and has neither revoked nor deprecated.

The portable core is what both engines run (DESIGN §3): no ``COUNT {}``, ``EXISTS {}``, ``CALL {}``,
``labels()``, ``head()``, list comprehensions, slicing or indexing, variable-length patterns or shortest
paths in the shared text (put those in a ``name.<engine>.cypher`` override), and no ``WITH ... ORDER BY``
without ``SKIP``/``LIMIT``. Stored queries only read: write clauses are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphpivot import attack
from graphpivot.catalog import StoredQuery

NOT_PORTABLE = {
    "COUNT {}": r"COUNT\s*\{",
    "EXISTS {}": r"EXISTS\s*\{",
    "CALL {}": r"CALL\s*(\(.*?\))?\s*\{",
    "labels()": r"labels\(",
    "head()": r"\bhead\(",
    "list comprehension": r"\[\s*\w+\s+IN\s",
    "list slicing or indexing": r"[\w)]\[[^\]]*\]",
    "variable-length pattern": r"-\[[^\]]*\*",
    "shortest path": r"(?i)shortest",
}
WRITES = re.compile(
    r"(?i)\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|LOAD\s+CSV|COPY|FOREACH|CALL\s+(db|dbms|apoc)\.)\b"
)
_CLAUSE = re.compile(r"\b(OPTIONAL MATCH|MATCH|WITH|UNWIND|WHERE|RETURN|ORDER BY|SKIP|LIMIT)\b")
_PARAM = re.compile(r"\$(\w+)")


@dataclass(frozen=True)
class Problem:
    """One lint finding: the query, ``error`` or ``warning``, and what is wrong."""

    query_id: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.query_id}: {self.level}: {self.message}"


def code_only(cypher: str) -> str:
    """The Cypher without ``//`` comment lines and with string literals emptied."""
    text = "\n".join(line for line in cypher.splitlines() if not line.lstrip().startswith("//"))
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)


def unlimited_order_in_with(text: str) -> bool:
    """``WITH ... ORDER BY`` not followed by SKIP or LIMIT (Ladybug refuses it, Neo4j ignores the order)."""
    clauses = [c for c in _CLAUSE.findall(text) if c != "WHERE"]
    return any(
        c == "ORDER BY" and clauses[i - 1] == "WITH" and clauses[i + 1 : i + 2] not in (["SKIP"], ["LIMIT"])
        for i, c in enumerate(clauses)
    )


def not_portable(text: str) -> list[str]:
    """Names of the constructs outside the portable core that ``text`` uses."""
    found = [name for name, pattern in NOT_PORTABLE.items() if re.search(pattern, text, re.S)]
    return [*found, "WITH ... ORDER BY without LIMIT"] if unlimited_order_in_with(text) else found


def lint(query: StoredQuery) -> list[Problem]:
    """Everything wrong with one stored query (its header already parsed)."""
    problems: list[Problem] = []

    def say(level: str, message: str) -> None:
        problems.append(Problem(query.id, level, message))

    texts = {"portable": query.cypher, **query.overrides}
    for name, text in texts.items():
        code = code_only(text)
        write = WRITES.search(code)
        if write:
            say("error", f"{name} text writes ({write.group(1)}): stored queries only read")
        used = set(_PARAM.findall(code))
        for missing in sorted(used - set(query.header.params)):
            say("error", f"{name} text uses ${missing}, which the header does not declare")
    if set(query.overrides) != {"neo4j", "ladybug"}:
        for construct in not_portable(code_only(query.cypher)):
            say("error", f"portable text uses {construct}: move it to a per-engine override")
    used_anywhere = {p for text in texts.values() for p in _PARAM.findall(code_only(text))}
    for unused in sorted(set(query.header.params) - used_anywhere):
        say("warning", f"parameter {unused!r} is declared but never used")
    for tid in query.header.attack:
        if (why := attack.problem(tid)) is not None:
            say("error", f"header attack: {why}")
    if not query.header.columns:
        say("warning", "the header lists no output columns")
    return problems
