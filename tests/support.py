"""Helpers shared by the test modules."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.maintenance import refresh
from graphpivot.model import Record
from graphpivot.store.base import GraphStore

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """The project's shared real-data samples (``../shared/data`` beside the checkout)."""
    return Path(os.environ.get("GRAPHPIVOT_SHARED_DATA", REPO.parent / "shared" / "data"))


def load(store: GraphStore, records: Iterable[Record], source: str = "test", **kwargs: object) -> LoadSummary:
    """Ingest records the way the CLI does, degrees and noise flags included."""
    summary = Ingestor(store, source, **kwargs).run(records)  # type: ignore[arg-type]
    refresh(store)
    return summary


def rows(store: GraphStore, cypher: str, **params: object) -> list[dict[str, object]]:
    """Read rows through the store's read transaction."""
    return store.read(cypher, dict(params))
