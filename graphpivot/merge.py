"""Merge rules in Python: the same min/max/sum/union/or/latest the writers apply in Cypher."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphpivot.schema import EVENTS_KEPT, Merge, Prop


def sample(values: Iterable[Any]) -> list[Any]:
    """The :data:`EVENTS_KEPT` smallest distinct ``values``, sorted (the :attr:`Merge.SAMPLE` rule)."""
    return sorted(set(values))[:EVENTS_KEPT]


def merge_value(rule: Merge, old: Any, new: Any) -> Any:
    """Combine two values of one property by its rule; ``None`` means absent."""
    if rule is Merge.SAMPLE:
        return None if old is None and new is None else sample([*(old or ()), *(new or ())])
    if old is None:
        return new
    if new is None:
        return old
    if rule is Merge.MIN:
        return min(old, new)
    if rule is Merge.MAX:
        return max(old, new)
    if rule is Merge.SUM:
        return old + new
    if rule is Merge.UNION:
        return old + [v for v in new if v not in old]
    if rule is Merge.OR:
        return bool(old) or bool(new)
    return new


_INDEX: dict[int, tuple[Iterable[Prop], dict[str, Prop]]] = {}


def _by_name(props: Iterable[Prop]) -> dict[str, Prop]:
    """``props`` by name, kept per props object (the schema's are module constants)."""
    entry = _INDEX.get(id(props))
    if entry is None or entry[0] is not props:
        entry = (props, {p.name: p for p in props})
        _INDEX[id(props)] = entry
    return entry[1]


def merge_into(target: dict[str, Any], incoming: dict[str, Any], props: Iterable[Prop]) -> None:
    """Merge ``incoming`` into ``target`` in place, property by property (names not in ``props`` are ignored)."""
    index = _by_name(props)
    for name, value in incoming.items():
        prop = index.get(name)
        if prop is not None:
            target[name] = merge_value(prop.merge, target.get(name), value)
