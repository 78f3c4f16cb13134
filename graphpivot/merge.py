"""Merge rules in Python: the same min/max/sum/union/or/latest the writers apply in Cypher."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphpivot.schema import Merge, Prop


def merge_value(rule: Merge, old: Any, new: Any) -> Any:
    """Combine two values of one property by its rule; ``None`` means absent."""
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


def merge_into(target: dict[str, Any], incoming: dict[str, Any], props: Iterable[Prop]) -> None:
    """Merge ``incoming`` into ``target`` in place, property by property."""
    for prop in props:
        if prop.name in incoming:
            target[prop.name] = merge_value(prop.merge, target.get(prop.name), incoming[prop.name])
