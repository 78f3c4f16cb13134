"""``graphpivot demo``: a throwaway embedded graph, a pivot and a hunt, right after install."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console

from graphpivot.catalog import Catalog
from graphpivot.config import Settings
from graphpivot.ingest import Ingestor
from graphpivot.loaders.demo import SEED, SOURCE, scenario
from graphpivot.maintenance import refresh_degrees
from graphpivot.output import render
from graphpivot.store.embedded import LadybugStore

out = Console(highlight=False)


def demo() -> None:
    """Build a small scenario in a temporary embedded database, pivot from its seed, and hunt."""
    catalog = Catalog()
    with tempfile.TemporaryDirectory(prefix="graphpivot-demo-") as tmp:
        store = LadybugStore(Path(tmp) / "demo.lbdb", query_timeout=Settings().query_timeout)
        try:
            store.init_schema()
            summary = Ingestor(store, SOURCE).run(scenario())
            refresh_degrees(store)
            out.print(
                f"[bold]1. Loaded the demo scenario[/] into an embedded graph: "
                f"{sum(summary.nodes.values())} node and {sum(summary.edges.values())} edge upserts."
            )
            pivot = catalog.get("shared-ip")
            out.print(f"\n[bold]2. Pivot[/] shared-ip from {SEED} (hub IPs over max_fanout skipped, times must overlap):")
            rows = store.read(pivot.cypher_for(store.engine), pivot.bind({"seed": SEED}))
            render(rows, "table", pivot.header.columns)
            found = sorted({SEED, *(row["domain"] for row in rows)})
            hunt = catalog.get("hosts-queried")
            out.print(f"\n[bold]3. Exposure[/]: internal hosts that queried {', '.join(found)}:")
            render(store.read(hunt.cypher_for(store.engine), hunt.bind({"domains": found})), "table", hunt.header.columns)
            out.print(
                "\nbenign-bakery.com shares 203.0.113.10 only after the adversary left, and the 300 shops share a "
                "hub IP: neither is reported. Try 'graphpivot pivot list' next."
            )
        finally:
            store.close()
