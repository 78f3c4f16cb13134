"""The bounded union of raw-event ids (Merge.SAMPLE): the same ids whatever the order and batching."""

from __future__ import annotations

import random

from graphpivot.loaders.telemetry.observations import Observations

from graphpivot.merge import merge_value, sample
from graphpivot.model import Edge
from graphpivot.schema import EVENTS_KEPT, Merge, rel_prop

IDS = [f"C{n:05d}" for n in range(40)] + ["1:abc=", "999", "access.log:7"]


def test_events_props_merge_by_sample() -> None:
    for rel in ("QUERIED", "CONNECTED_TO", "REQUESTED", "USED_CLIENT"):
        assert rel_prop(rel, "events").merge is Merge.SAMPLE


def test_any_order_and_batching_keeps_the_smallest() -> None:
    want = sorted(set(IDS))[:EVENTS_KEPT]
    rng = random.Random(7)
    for _ in range(50):
        ids = IDS * 2
        rng.shuffle(ids)
        stored = None
        start = 0
        while start < len(ids):
            size = rng.randint(1, 12)
            stored = merge_value(Merge.SAMPLE, stored, sample(ids[start : start + size]))
            start += size
        assert stored == want
    assert merge_value(Merge.SAMPLE, None, None) is None
    assert merge_value(Merge.SAMPLE, ["b", "a"], None) == ["a", "b"]


def test_observations_fold_keeps_the_smallest_per_window() -> None:
    rng = random.Random(3)
    ids = IDS[:]
    rng.shuffle(ids)
    obs = Observations()
    for n, event in enumerate(ids):
        obs.edge("QUERIED", "Host", "10.0.0.1", "Domain", "a.example.com", 1_700_000_000 + n, events=event)
    (edge,) = [r for r in obs.flush() if isinstance(r, Edge)]
    assert edge.props["events"] == sorted(IDS)[:EVENTS_KEPT]
    assert edge.props["count"] == len(IDS)
    assert obs.pending_bytes == 0 and obs.capped == {}  # a sample by design: nothing counted as skipped
