"""Benchmark: the per-line and the columnar Zeek dns.log paths side by side in one run (not a test).

Each phase runs in its own process (so peak memory is its own), the paths alternating per engine:

* ``parse``: read + canonicalise + aggregate through the ingest batcher in dry-run, no database;
* ``ladybug``: the full load into a fresh embedded database (4 GiB buffer pool);
* ``neo4j``: the full load into the Neo4j at ``GRAPHPIVOT_NEO4J_URI`` (cleared before and after).

Engine phases load the first ``--engine-lines`` lines (0: all). CPU-seconds are the loader process's own
(the Neo4j server's work is not in them); ``bench/columnar_floor.py`` measures the bare libraries.

    python bench/gen_zeek_dns.py
    python bench/columnar_zeek_dns.py --engine-lines 200000 --write-results   # writes bench/RESULTS-columnar.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest_zeek_dns import DEFAULT_LOG, HERE, calibrate, cleared_neo4j, data_lines, fresh_ladybug, peak_rss_mb, prefix

PATHS = ("per-line", "columnar")
ENGINES = ("parse", "ladybug", "neo4j")


def load(log: Path, engine: str, columnar: bool) -> dict[str, Any]:
    """One load of ``log`` by one path into one engine (``parse``: none); its figures."""
    import gc

    from graphpivot.loaders.telemetry.network import Network
    from graphpivot.loaders.telemetry.zeek import read_zeek

    from graphpivot.ingest import Ingestor
    from graphpivot.store.base import GraphStore

    gc.set_threshold(200_000, 100, 100)  # as the CLI does for loads
    store: GraphStore | None = None
    if engine == "ladybug":
        store = fresh_ladybug(HERE / "out" / "columnar.lbdb")
    elif engine == "neo4j":
        store = cleared_neo4j()
    if store is not None:
        store.init_schema()
    cpu, wall = time.process_time(), time.perf_counter()
    records = read_zeek([log], network=Network(), columnar=columnar)
    summary = Ingestor(store, "zeek", dry_run=store is None).run(records)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    result: dict[str, Any] = {
        "lines": data_lines(log),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "edges_written": sum(summary.edges.values()),
        "loaded": summary.loaded,
        "rejected": summary.rejected,
    }
    if store is not None:
        nodes, edges = store.counts()
        result["graph_nodes"], result["graph_edges"] = sum(nodes.values()), sum(edges.values())
        if engine == "neo4j":
            store.clear()  # leave the server as we found it
        store.close()
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def run(log: Path, engine: str, path: str) -> dict[str, Any]:
    """One phase in a child process."""
    command = [sys.executable, __file__, "--child", f"{engine}:{path}", "--log", str(log)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"engine": engine, "path": path, "error": error}
    return {"engine": engine, "path": path, **json.loads(done.stdout.strip().splitlines()[-1])}


def row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"| {r['engine']} | {r['path']} | failed: {r['error']} | | | | | | |"
    graph = f"{r['graph_nodes']:,} / {r['graph_edges']:,}" if "graph_nodes" in r else "-"
    return (
        f"| {r['engine']} | {r['path']} | {r['lines']:,} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
        f"{r['lines'] / r['seconds']:,.0f} | {r['lines'] / r['cpu_seconds']:,.0f} | {r['edges_written']:,} | "
        f"{graph} | {r['peak_rss_mb']:.0f} |"
    )


def markdown(results: list[dict[str, Any]], calibration: float, command: str, log: Path) -> str:
    by = {(r["engine"], r["path"]): r for r in results if "error" not in r}
    notes = []
    for engine in ENGINES:
        old, new = by.get((engine, "per-line")), by.get((engine, "columnar"))
        if old and new:
            same = "same" if old.get("graph_edges") == new.get("graph_edges") else "DIFFERENT"
            notes.append(
                f"- {engine}: columnar {old['cpu_seconds'] / new['cpu_seconds']:.1f}x fewer CPU-seconds, "
                f"{old['seconds'] / new['seconds']:.1f}x less wall time on {new['lines']:,} lines"
                + ("" if engine == "parse" else f"; {same} graph size")
                + f"; {new['loaded']:,} / {old['loaded']:,} lines loaded."
            )
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; 10M-addition loop {calibration:.2f} CPU-s"
    )
    return "\n".join(
        [
            "# Per-line vs columnar Zeek dns.log path (issue #11, first increment)",
            "",
            f"Report written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; one process per phase, one run.",
            f"Input: `{log.name}` generated by `bench/gen_zeek_dns.py` (seed 7); engine phases on its first lines.",
            "",
            "Command:",
            "",
            "```",
            "python bench/gen_zeek_dns.py",
            command,
            "```",
            "",
            "| engine | path | lines | wall s | CPU s | lines/s | lines per CPU-s | edge rows written | "
            "graph nodes / edges | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *(row(r) for r in results),
            "",
            *notes,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, from {', '.join(ENGINES)}")
    parser.add_argument("--engine-lines", type=int, default=0, help="ladybug/neo4j load the first N lines (0: all)")
    parser.add_argument("--write-results", action="store_true", help="write bench/RESULTS-columnar.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, path = args.child.split(":")
        print(json.dumps(load(args.log, engine, path == "columnar")))
        return
    if not args.log.exists():
        sys.exit(f"{args.log} not found: run bench/gen_zeek_dns.py first")
    engines = [e for e in args.engines.split(",") if e]
    if "neo4j" in engines and not os.environ.get("GRAPHPIVOT_NEO4J_URI"):
        engines.remove("neo4j")
        print("GRAPHPIVOT_NEO4J_URI not set: skipping neo4j")
    calibration = calibrate()
    total = data_lines(args.log)
    results = []
    for engine in engines:
        lines = total if engine == "parse" or not args.engine_lines else min(args.engine_lines, total)
        log = prefix(args.log, lines) if lines < total else args.log
        for path in PATHS:
            result = run(log, engine, path)
            print(row(result), flush=True)
            results.append(result)
    if args.write_results:
        command = " ".join(["python bench/columnar_zeek_dns.py", *sys.argv[1:]])
        text = markdown(results, calibration, command, args.log)
        (HERE / "RESULTS-columnar.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
