"""Generate each engine's DDL and merge writers from :mod:`graphpivot.schema`.

The two dialects differ only in a few spellings (list union, casts, DDL), so
one generator with a small :class:`Dialect` serves both; the merge rules are
the schema's, never hand-written per label.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphpivot.schema import EVENTS_KEPT, NODES, RELS, Merge, Prop

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

    def sample(self, values: str) -> str:
        """The :data:`EVENTS_KEPT` smallest distinct ``values``, sorted (:attr:`Merge.SAMPLE`)."""
        if self.name == "ladybug":
            return f"list_slice(list_sort(list_distinct({values})), 1, {EVENTS_KEPT})"
        return f"COLLECT {{ UNWIND {values} AS v WITH DISTINCT v ORDER BY v LIMIT {EVENTS_KEPT} RETURN v }}"

    def merged(self, var: str, prop: Prop) -> str:
        """Expression for the merged value of ``var.prop`` with the incoming row."""
        old, new = f"{var}.{prop.name}", self.value(prop.name)
        if prop.merge is Merge.LATEST:
            return f"coalesce({new}, {old})"
        if prop.merge is Merge.SAMPLE:
            return f"CASE WHEN {new} IS NULL THEN {old} ELSE {self.sample(f'coalesce({old}, []) + {new}')} END"
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


# Node properties added after graphs with their table could exist: a graph made before gets the column on open.
LATER_NODE_PROPS = {"Report": ("techniques",), "Threat": ("techniques",)}


def ladybug_ddl() -> list[str]:
    """Node and relationship tables (key as primary key), and the columns added since a table was made."""
    stmts = []
    for label, spec in NODES.items():
        cols = ", ".join(["key STRING PRIMARY KEY", "kind STRING"] + [f"{p.name} {p.type.value}" for p in spec.props])
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({cols})")
        for name in LATER_NODE_PROPS.get(label, ()):
            stmts.append(f"ALTER TABLE {label} ADD IF NOT EXISTS {name} {spec.prop(name).type.value}")
    for rel, rspec in RELS.items():
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rspec.pairs)
        cols = ", ".join(f"{p.name} {p.type.value}" for p in rspec.props)
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {rel}({pairs}, {cols})")
    return stmts


def ladybug_node_read(label: str) -> str:
    """Step one of the upsert: the stored properties of the batch's keys that exist (``$batch``: ``r_key``).

    Ladybug sets properties slowly (about 12 µs per row and property), so the store merges in Python and
    writes back only the properties that changed (:func:`ladybug_node_set`).
    """
    values = ", ".join(f"n.{p.name}" for p in NODES[label].props)
    return f"LOAD FROM $batch MATCH (n:{label} {{key: r_key}}) RETURN n.key, {values}"


def ladybug_node_set(label: str, names: tuple[str, ...]) -> str:
    """Write merged values of ``names`` (Arrow columns ``r_<name>``) to existing nodes."""
    sets = ", ".join(f"n.{name} = {LADYBUG.value(name)}" for name in names)
    return f"LOAD FROM $batch MATCH (n:{label} {{key: r_key}}) SET {sets}"


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


def ladybug_edge_take(rel: str, src: str, dst: str) -> str:
    """Return the properties of the ``rel`` edges between ``$pairs`` (``[{src, dst}]``) and delete them.

    Ladybug 0.22 updates relationship properties slowly (about 12 µs per row and property), and memory grew
    with every Arrow ``LOAD FROM`` joined against a relationship table (explicit checkpoints did not release
    it). So edges that already exist are taken out with a plain parameter list, merged in Python by the
    schema's rules, and created again with the new rows.
    """
    values = [f"e.{p.name} AS v_{p.name}" for p in RELS[rel].props]
    return (
        f"UNWIND $pairs AS p MATCH (a:{src} {{key: p.src}})-[e:{rel}]->(b:{dst} {{key: p.dst}}) "
        f"WITH {', '.join(['a.key AS s', 'b.key AS d', 'e', *values])} DELETE e "
        f"RETURN {', '.join(['s', 'd', *(f'v_{p.name}' for p in RELS[rel].props)])}"
    )


def ladybug_edge_create(rel: str, src: str, dst: str, names: frozenset[str]) -> str:
    props = _selected(RELS[rel].props, names)
    fields = ", ".join(f"{p.name}: {LADYBUG.value(p.name)}" for p in props)
    return (
        f"LOAD FROM $batch MATCH (a:{src} {{key: r_src}}) MATCH (b:{dst} {{key: r_dst}}) "
        f"CREATE (a)-[e:{rel} {{{fields}}}]->(b)"
    )
