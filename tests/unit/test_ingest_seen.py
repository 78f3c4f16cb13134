"""The ingest path's inlined endpoint widening agrees with the schema's merge rules for every label."""

from __future__ import annotations

from typing import Any

import pytest

from graphpivot.ingest import note_seen
from graphpivot.merge import merge_into
from graphpivot.schema import NODES, Merge

CASES: list[tuple[dict[str, Any], tuple[int, int, list[str]]]] = [
    ({}, (10, 20, ["zeek"])),
    ({"first_seen": 5, "last_seen": 30, "sources": ["zeek"]}, (10, 20, ["zeek"])),
    ({"first_seen": 15, "last_seen": 18, "sources": ["eve"]}, (10, 20, ["zeek", "eve"])),
    ({"first_seen": None, "last_seen": None, "sources": None}, (1, 2, ["proxy"])),
]


@pytest.mark.parametrize("label", sorted(NODES))
def test_every_label_widens_times_and_unites_sources(label: str) -> None:
    rules = {p.name: p.merge for p in NODES[label].props}
    assert rules["first_seen"] is Merge.MIN and rules["last_seen"] is Merge.MAX
    assert rules["sources"] is Merge.UNION


@pytest.mark.parametrize(("start", "seen"), CASES)
def test_note_seen_equals_merge_into(start: dict[str, Any], seen: tuple[int, int, list[str]]) -> None:
    first, last, sources = seen
    fast, slow = dict(start), dict(start)
    note_seen(fast, first, last, sources)
    merge_into(slow, {"first_seen": first, "last_seen": last, "sources": sources}, NODES["Domain"].props)
    assert fast == slow
    assert fast["sources"] is not sources  # never aliased to the edge's list
