"""Generate each engine's DDL and merge writers from :mod:`graphpivot.schema`.

The two dialects differ only in a few spellings (list union, casts, DDL), so
one generator with a small :class:`Dialect` serves both; the merge rules are
the schema's, never hand-written per label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphpivot.schema import NODES, RELS, Merge, Prop

# Writers always carry every property of a label or type (absent ones as null, which the
# merge expressions ignore): one query text per label, so both engines reuse one plan.
ALL_NODE_PROPS = {label: frozenset(p.name for p in spec.props) for label, spec in NODES.items()}
ALL_REL_PROPS = {rel: frozenset(p.name for p in spec.props) for rel, spec in RELS.items()}

NODE_INDEXES = {"Domain": ("indicator", "registered_domain"), "IP": ("indicator",), "URL": ("indicator",)}


@dataclass(frozen=True)
class Dialect:
    """How one engine spells the parts that differ."""

    name: str
    row_prefix: str  # how a row's column is named: ``r.x`` (UNWIND) or ``r_x`` (Arrow LOAD FROM)

    def value(self, name: str) -> str:
        return f"{self.row_prefix}{name}"

    def union(self, old: str, new: str) -> str:
        if self.name == "ladybug":
            return f"list_distinct(list_concat({old}, {new}))"
        return f"{old} + [v IN {new} WHERE NOT v IN {old}]"

    def merged(self, var: str, prop: Prop) -> str:
        """Expression for the merged value of ``var.prop`` with the incoming row."""
        old, new = f"{var}.{prop.name}", self.value(prop.name)
        if prop.merge is Merge.LATEST:
            return f"coalesce({new}, {old})"
        combine = {
            Merge.MIN: f"CASE WHEN {new} < {old} THEN {new} ELSE {old} END",
            Merge.MAX: f"CASE WHEN {new} > {old} THEN {new} ELSE {old} END",
            Merge.SUM: f"{old} + {new}",
            Merge.UNION: self.union(old, new),
            Merge.OR: f"({old} OR {new})",
        }[prop.merge]
        return f"CASE WHEN {new} IS NULL THEN {old} WHEN {old} IS NULL THEN {new} ELSE {combine} END"


NEO4J = Dialect("neo4j", row_prefix="r.")
LADYBUG = Dialect("ladybug", row_prefix="r_")


def _selected(props: Iterable[Prop], names: frozenset[str]) -> list[Prop]:
    return [p for p in props if p.name in names]


def set_clause(dialect: Dialect, var: str, props: list[Prop]) -> str:
    return ", ".join(f"{var}.{p.name} = {dialect.merged(var, p)}" for p in props)


# ---------------------------------------------------------------- Neo4j


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints on every label's key, plus a few lookup indexes."""
    stmts = [
        f"CREATE CONSTRAINT {label.lower()}_key IF NOT EXISTS FOR (n:{label}) REQUIRE n.key IS UNIQUE"
        for label in NODES
    ]
    for label, props in NODE_INDEXES.items():
        stmts += [f"CREATE INDEX {label.lower()}_{p} IF NOT EXISTS FOR (n:{label}) ON (n.{p})" for p in props]
    return stmts


def neo4j_node_upsert(label: str, names: frozenset[str]) -> str:
    props = _selected(NODES[label].props, names)
    sets = set_clause(NEO4J, "n", props)
    return (
        f"UNWIND $rows AS r MERGE (n:{label} {{key: r.key}}) ON CREATE SET n.kind = '{label}'"
        + (f" SET {sets}" if sets else "")
    )


def neo4j_edge_upsert(rel: str, src: str, dst: str, names: frozenset[str]) -> str:
    sets = set_clause(NEO4J, "e", _selected(RELS[rel].props, names))
    return (
        f"UNWIND $rows AS r MATCH (a:{src} {{key: r.src}}) MATCH (b:{dst} {{key: r.dst}}) "
        f"MERGE (a)-[e:{rel}]->(b)" + (f" SET {sets}" if sets else "")
    )


# ---------------------------------------------------------------- Ladybug


def ladybug_ddl() -> list[str]:
    """Node and relationship tables (key as primary key)."""
    stmts = []
    for label, spec in NODES.items():
        cols = ", ".join(["key STRING PRIMARY KEY", "kind STRING"] + [f"{p.name} {p.type.value}" for p in spec.props])
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({cols})")
    for rel, rspec in RELS.items():
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rspec.pairs)
        cols = ", ".join(f"{p.name} {p.type.value}" for p in rspec.props)
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {rel}({pairs}, {cols})")
    return stmts


def ladybug_node_update(label: str, names: frozenset[str]) -> str:
    """Step one of the upsert: update the nodes that exist, return their keys.

    Rows arrive as an Arrow table ``$batch`` whose columns are ``r_<name>``.
    """
    sets = set_clause(LADYBUG, "n", _selected(NODES[label].props, names))
    return f"LOAD FROM $batch MATCH (n:{label} {{key: r_key}})" + (f" SET {sets}" if sets else "") + " RETURN n.key"


def ladybug_node_create(label: str, names: frozenset[str]) -> str:
    """Step two: create the nodes that did not exist."""
    props = _selected(NODES[label].props, names)
    fields = ", ".join(["key: r_key", f"kind: '{label}'"] + [f"{p.name}: {LADYBUG.value(p.name)}" for p in props])
    return f"LOAD FROM $batch CREATE (n:{label} {{{fields}}})"


def ladybug_node_copy(label: str, names: frozenset[str]) -> str:
    """Bulk load into an empty table: every column in table order, absent ones NULL."""
    columns = ["r_key", f"'{label}'"] + [
        LADYBUG.value(p.name) if p.name in names else f"CAST(NULL AS {p.type.value})" for p in NODES[label].props
    ]
    return f"COPY {label} FROM (LOAD FROM $batch RETURN {', '.join(columns)})"


def ladybug_edge_update(rel: str, src: str, dst: str, names: frozenset[str]) -> str:
    # Look the source up by key, then expand its edges: matching the whole pattern at once lets
    # the planner hash-join over the relationship table, which exhausts the buffer pool on big graphs.
    sets = set_clause(LADYBUG, "e", _selected(RELS[rel].props, names))
    return (
        f"LOAD FROM $batch MATCH (a:{src} {{key: r_src}}) MATCH (a)-[e:{rel}]->(b:{dst}) WHERE b.key = r_dst"
        + (f" SET {sets}" if sets else "")
        + " RETURN a.key, b.key"
    )


def ladybug_edge_create(rel: str, src: str, dst: str, names: frozenset[str]) -> str:
    props = _selected(RELS[rel].props, names)
    fields = ", ".join(f"{p.name}: {LADYBUG.value(p.name)}" for p in props)
    return (
        f"LOAD FROM $batch MATCH (a:{src} {{key: r_src}}) MATCH (b:{dst} {{key: r_dst}}) "
        f"CREATE (a)-[e:{rel} {{{fields}}}]->(b)"
    )
