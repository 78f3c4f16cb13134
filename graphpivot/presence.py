"""Whether seeds are in the graph at all, so an empty answer can say why instead of printing nothing.

Lookups go label by label through the key index (``UNWIND $keys ... MATCH (n:Label {key: k})``),
never a label-less scan.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphpivot.catalog import StoredQuery
from graphpivot.store.base import GraphStore

# Parameter type -> the labels a value of that type can be a key of.
SEED_LABELS = {
    "domain": ("Domain",),
    "ip": ("IP",),
    "host": ("Domain", "IP"),
    "url": ("URL",),
    "sha256": ("Certificate",),
    "str": ("Domain", "IP", "URL", "Fingerprint", "Certificate", "Email"),
}
EXIT_EMPTY = 4  # ran, nothing matched; the seeds are in the graph
EXIT_UNKNOWN_SEED = 5  # a seed is not in the graph at all


def present(store: GraphStore, labels: Iterable[str], keys: list[str]) -> dict[str, str]:
    """``{key: label}`` for every key found under one of ``labels``."""
    found: dict[str, str] = {}
    for label in labels:
        if label not in SEED_LABELS["str"]:
            continue  # labels come from the fixed table above, never from input
        rows = store.read(f"UNWIND $keys AS k MATCH (n:{label} {{key: k}}) RETURN n.key AS key", {"keys": keys})
        for row in rows:
            found.setdefault(str(row["key"]), label)
    return found


def seed_values(query: StoredQuery, params: dict[str, object]) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """The bound seed-like parameters of a query: ``{name: (values, labels they may key)}``."""
    seeds: dict[str, tuple[list[str], tuple[str, ...]]] = {}
    for name, spec in query.header.params.items():
        base = spec.type.removeprefix("list[").removesuffix("]")
        value = params.get(name)
        if base not in SEED_LABELS or value is None or name in ("since", "until"):
            continue
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if base == "str" and name not in ("seed", "seeds", "from", "to", "indicators"):
            continue
        seeds[name] = (values, SEED_LABELS[base])
    return seeds


def explain_empty(store: GraphStore, query: StoredQuery, params: dict[str, object]) -> tuple[str, int]:
    """Why a stored query returned no rows, and the exit code that says so."""
    missing: list[str] = []
    known: list[str] = []
    for name, (values, labels) in seed_values(query, params).items():
        found = present(store, labels, values)
        missing += [f"{name}={v}" for v in values if v not in found]
        known += [f"{name}={v} ({found[v]})" for v in values if v in found]
    if missing:
        return f"no rows: not in the graph: {', '.join(missing)} (load intel or telemetry that names it)", (
            EXIT_UNKNOWN_SEED
        )
    limits = [f"{k}={params[k]}" for k in ("max_fanout", "since", "until", "limit") if params.get(k) is not None]
    where = f"{', '.join(known)} " if known else ""
    return (f"no rows: {where}in the graph, but nothing matched within {', '.join(limits) or 'the query'}", EXIT_EMPTY)
