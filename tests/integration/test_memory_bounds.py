"""Issue #12: batches and windows bounded by bytes, overlong keys refused alike on both engines.

Batch sizes are measured (the JSON size of the rows each write receives), never timed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.observations import Observations
from graphpivot.loaders.telemetry.proxy import read_proxy
from support import graph_dump, load, nonzero_counts, require_neo4j

from graphpivot.canonical import MAX_KEY_BYTES
from graphpivot.config import from_env
from graphpivot.ingest import MB, Ingestor, LoadSummary
from graphpivot.store.base import EdgeRows, GraphStore, NodeRows
from graphpivot.store.embedded import LadybugStore

T0 = 1_700_000_000
LONG_PATH = 3000  # characters of each URL's path: about 6 KB of row text per line (URL node + edge)


class MeasuredLadybug(LadybugStore):
    """The embedded store, noting the JSON size of the rows of every batch it writes."""

    batch_bytes: list[int]

    def write_batch(self, nodes: NodeRows, edges: EdgeRows) -> None:
        size = sum(len(json.dumps(row)) for rows in (*nodes.values(), *edges.values()) for row in rows)
        self.batch_bytes.append(size)
        super().write_batch(nodes, edges)


def long_url_log(path: Path, lines: int) -> Path:
    """A JSON proxy log of ``lines`` requests, each for a distinct URL with a long path."""
    with path.open("w", encoding="utf-8") as handle:
        for n in range(lines):
            url = f"http://h{n % 7}.example.com/{n}/" + "p" * LONG_PATH
            handle.write(json.dumps({"time": T0 + n, "client": "10.0.0.5", "url": url}) + "\n")
    return path


def measured_load(tmp_path: Path, log: Path, batch_mb: float | None) -> tuple[LoadSummary, MeasuredLadybug]:
    store = MeasuredLadybug(tmp_path / f"g{batch_mb}.lbdb")
    store.batch_bytes = []
    store.init_schema()
    summary = Ingestor(store, "proxy", batch_size=100_000, batch_mb=batch_mb).run(
        read_proxy([log], "jsonl", network=Network()))
    return summary, store


def test_a_batch_is_flushed_by_bytes_before_records(tmp_path: Path) -> None:
    log = long_url_log(tmp_path / "proxy.jsonl", 600)
    whole, one = measured_load(tmp_path, log, None)  # 64 MB default: the record limit alone, one batch
    budget = 0.25
    split, many = measured_load(tmp_path, log, budget)
    try:
        assert whole.batches == len(one.batch_bytes) == 1
        total = one.batch_bytes[0]
        assert total > 8 * budget * MB  # the file is well over the budget
        assert split.batches == len(many.batch_bytes) >= total // (2 * budget * MB)
        # Each batch stays within twice the budget (a group of nodes and edges is split only there).
        assert max(many.batch_bytes) <= 2.1 * budget * MB, many.batch_bytes
        assert nonzero_counts(many) == nonzero_counts(one)
        assert nonzero_counts(one)[0]["URL"] == 600
        assert split.balanced and split.loaded == 600 and split.rejected == 0
    finally:
        one.close()
        many.close()


def test_batch_mb_comes_from_the_environment() -> None:
    settings = from_env({"GRAPHPIVOT_BATCH_MB": "0.5"})
    assert settings.batch_mb == 0.5
    assert Ingestor(None, "t", dry_run=True, batch_mb=settings.batch_mb).batch_bytes == MB // 2


def test_a_telemetry_window_is_full_by_bytes() -> None:
    """Few distinct edges with long keys fill a window by bytes long before ``max_pending``."""
    obs = Observations(max_pending=100_000, max_bytes=64 * 1024)
    n = 0
    while not obs.full:
        obs.edge("REQUESTED", "Host", "10.0.0.5", "URL", f"http://x.example.com/{n}/" + "q" * 4000, T0)
        n += 1
    assert 14 <= n <= 17  # 64 KiB / ~4.2 KB per edge
    emitted = list(obs.flush())
    assert sum(1 for r in emitted if type(r).__name__ == "Edge") == n
    assert not obs.full and obs.pending_bytes == 0
    agents = Observations(max_bytes=64 * 1024)  # list values count too: one edge, long user agents
    agents.edge("REQUESTED", "Host", "10.0.0.5", "URL", "http://x.example.com/", T0,
                user_agents=[f"agent {i} " + "u" * 3000 for i in range(30)])
    assert agents.full


def _overlong_case(tmp_path: Path) -> tuple[Path, Path, str]:
    url = "http://long.example.com/" + "a" * (9 * 1024)  # over Neo4j's ~8 KiB index key limit
    assert len(url.encode()) > 8 * 1024 > MAX_KEY_BYTES
    proxy = tmp_path / "proxy.jsonl"
    proxy.write_text("\n".join(json.dumps({"time": T0 + n, "client": "10.0.0.5", "url": u}) for n, u in enumerate(
        ["http://good.example.com/a", url, "http://good.example.com/b"])) + "\n", encoding="utf-8")
    ioc = tmp_path / "list.txt"
    ioc.write_text(f"first.example.com\n{url}\nlast.example.com\n", encoding="utf-8")
    return proxy, ioc, url


def _plain(summary: LoadSummary) -> dict[str, Any]:
    shown = summary.as_dict()
    for varying in ("run_id", "seconds", "notes", "source"):
        shown.pop(varying)
    shown["rejects"] = [(Path(r.file).name, r.line, r.reason, r.units) for r in summary.rejects]
    return shown


def test_overlong_url_key_is_the_same_reject_on_both_engines(
    tmp_path: Path, neo4j_store: GraphStore | None
) -> None:
    """A >8 KB URL is one reject with file, line and reason on both engines; the rest of each file loads."""
    neo = require_neo4j(neo4j_store)
    proxy, ioc, url = _overlong_case(tmp_path)
    reason = (f"value of {len(url)} characters, longer than any key ({MAX_KEY_BYTES} bytes): "
              f"not refanged ({url[:60]!r}...)")
    results = []
    for store in (LadybugStore(tmp_path / "g.lbdb"), neo):
        store.clear() if store is neo else store.init_schema()
        summaries = [
            load(store, read_proxy([proxy], "jsonl", network=Network()), "proxy", observed_at=T0),
            load(store, read_ioc_list(ioc, "t", observed_at=T0), "t", observed_at=T0),
        ]
        for summary, path in zip(summaries, (proxy, ioc), strict=True):
            assert summary.balanced and summary.rejected == summary.rejected_units == 1
            assert [(r.file, r.line, r.reason) for r in summary.rejects] == [(str(path), 2, reason)]
        assert summary.loaded == 2 and summary.skipped_units == 0
        results.append(([_plain(s) for s in summaries], graph_dump(store)))
        if store is not neo:
            store.close()
    (lb_summaries, lb_graph), (neo_summaries, neo_graph) = results
    assert lb_summaries == neo_summaries
    assert lb_graph == neo_graph
    urls = {key for label, key in lb_graph["nodes"] if label == "URL"}
    assert urls == {"http://good.example.com/a", "http://good.example.com/b"}
    domains = {key for label, key in lb_graph["nodes"] if label == "Domain"}
    assert {"first.example.com", "last.example.com", "good.example.com"} <= domains
    assert not any("long.example.com" in key for _label, key in lb_graph["nodes"])
