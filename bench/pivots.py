"""Benchmark: stored pivots, exposure and the hunt pack on a generated 1M-node graph, both engines (not a test).

For each engine, in a process of its own: the graph of ``bench/pivot_graph.py`` goes through the
real ingest path (plus an indicator list through the IOC-list loader) and the post-load refresh;
then every stored pivot runs from planted seeds (adversary domains and addresses, and names on
hub infrastructure), ``expand`` from each adversary seed, ``path`` between two names of one
estate, ``exposure`` over every indicator (about 1,000), and the whole hunt pack. Per query: p50
and p95 wall seconds over seeds and repeats, and rows. ``expand`` is also scored on the planted
truth: siblings reached from each adversary seed, and names reached that belong to no estate.

    python bench/pivots.py --scale 1.0 --write-results          # both engines (Neo4j from GRAPHPIVOT_NEO4J_URI)
    python bench/pivots.py --scale 1.0 --reuse --write-results  # the graphs the last run left, queries only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest_zeek_dns import HERE, OUT, calibrate, cleared_neo4j, fresh_ladybug
from pivot_graph import PivotGraph, write_indicator_list

RESULTS = HERE / "RESULTS-pivots.md"
QUERY_TIMEOUT = 600.0


def open_store(engine: str, scale: float, *, reuse: bool) -> Any:
    if engine == "ladybug":
        from graphpivot.store.embedded import LadybugStore

        path = OUT / f"pivots-{scale:g}.lbdb"
        store = LadybugStore(path, buffer_pool_mb=4096, query_timeout=QUERY_TIMEOUT) if reuse else fresh_ladybug(path)
        store.query_timeout = QUERY_TIMEOUT
        return store
    if reuse:
        from graphpivot.store.neo4j import Neo4jStore

        return Neo4jStore(os.environ["GRAPHPIVOT_NEO4J_URI"], os.environ.get("GRAPHPIVOT_NEO4J_USER", "neo4j"),
                          os.environ.get("GRAPHPIVOT_NEO4J_PASSWORD", ""))
    return cleared_neo4j()


def build(store: Any, graph: PivotGraph) -> dict[str, Any]:
    """Load the generated graph and the indicator list through the real ingest path, then refresh."""
    from graphpivot.loaders.intel.ioclist import read_ioc_list

    from graphpivot.ingest import Ingestor
    from graphpivot.maintenance import refresh

    store.init_schema()
    started = time.perf_counter()
    summary = Ingestor(store, "bench").run(graph.records())
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        iocs = write_indicator_list(graph, Path(folder) / "indicators.txt")
        Ingestor(store, "feed").run(read_ioc_list(iocs, "feed", observed_at=1_790_000_000))
    refresh(store)
    nodes, edges = store.counts()
    return {"load_seconds": loaded - started, "refresh_seconds": time.perf_counter() - loaded,
            "records": summary.records, "nodes": sum(nodes.values()), "edges": sum(edges.values())}


def timed(store: Any, query_id: str, params: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    from graphpivot.catalog import Catalog

    query = Catalog(with_user=False).get(query_id)
    bound = query.bind(params)
    started = time.perf_counter()
    rows = store.read(query.cypher_for(store.engine), bound, timeout=QUERY_TIMEOUT)
    return time.perf_counter() - started, rows


def pivot_cases(graph: PivotGraph) -> list[tuple[str, dict[str, Any]]]:
    """(query id, parameters) for every stored pivot, from adversary seeds and from hub-hosted names."""
    planted = graph.planted
    actor_domains = [d for d in planted["seeds"] if not d[0].isdigit()]
    actor_ips = [d for d in planted["seeds"] if d[0].isdigit()]
    domains = actor_domains[:6] + planted["hub_domains"][:4]
    hosts = domains + actor_ips[:3]
    cases: list[tuple[str, dict[str, Any]]] = []
    for query_id in ("shared-ip", "shared-ns", "shared-registrant", "cert-san", "subdomains"):
        cases += [(query_id, {"seed": seed}) for seed in domains]
    for query_id in ("shared-cert", "shared-fingerprint", "same-netblock"):
        cases += [(query_id, {"seed": seed}) for seed in hosts]
    cases += [("pivot-value", {"seeds": seed}) for seed in hosts]
    cases += [("expand", {"seeds": seed}) for seed in actor_domains[:6] + actor_ips[:3]]
    estates = [planted["actor_domains"][a * 8 : a * 8 + 8] for a in range(3)]
    cases += [("path", {"from": names[0], "to": names[5]}) for names in estates]
    return cases


def score_expand(graph: PivotGraph, seed: str, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(estate members planted, reached, names and addresses reached outside every estate) for one adversary seed.

    An estate is an adversary's names, addresses and name servers.
    """
    estate = next(members for members in graph.estates if seed in members)
    every = set().union(*graph.estates)
    reached = {row["key"] for row in rows}
    return len(estate) - 1, len(reached & estate), len(reached - every)


def child(engine: str, scale: float, repeat: int, reuse: bool) -> dict[str, Any]:
    from graphpivot.hunt.exposure import Exposure
    from graphpivot.hunt.model import Options
    from graphpivot.hunt.pack import run_hunt
    from graphpivot.hunt.runner import Runner

    graph = PivotGraph(scale)
    store = open_store(engine, scale, reuse=reuse)
    result: dict[str, Any] = {"engine": engine, "scale": scale}
    if reuse:
        list(graph.records())  # fills graph.planted
        store.init_schema()
        nodes, edges = store.counts()
        result.update(nodes=sum(nodes.values()), edges=sum(edges.values()))
    else:
        result.update(build(store, graph))
    result["build_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings: dict[str, list[float]] = {}
    row_counts: dict[str, list[int]] = {}
    expand_score = [0, 0, 0]
    for round_ in range(repeat):
        for query_id, params in pivot_cases(graph):
            seconds, rows = timed(store, query_id, params)
            timings.setdefault(query_id, []).append(seconds)
            row_counts.setdefault(query_id, []).append(len(rows))
            if query_id == "expand" and round_ == 0:
                for i, value in enumerate(score_expand(graph, params["seeds"], rows)):
                    expand_score[i] += value
    for label, options in (("exposure --all-indicators", Options()), ("exposure --all-indicators --expand",
                                                                      Options(expand=True))):
        for _ in range(repeat):
            runner = Runner(store, timeout=QUERY_TIMEOUT)
            started = time.perf_counter()
            found = Exposure(runner, options).run([], all_indicators=True)
            timings.setdefault(label, []).append(time.perf_counter() - started)
            row_counts.setdefault(label, []).append(len(found.findings))
    for _ in range(repeat):
        runner = Runner(store, timeout=QUERY_TIMEOUT)
        started = time.perf_counter()
        hunt = run_hunt(runner, Options())
        timings.setdefault("hunt (whole pack)", []).append(time.perf_counter() - started)
        row_counts.setdefault("hunt (whole pack)", []).append(len(hunt.exposure.findings))
        for run in runner.runs:
            timings.setdefault(f"hunt: {run.query_id}", []).append(run.seconds)
            row_counts.setdefault(f"hunt: {run.query_id}", []).append(run.rows)
    result["queries"] = {
        name: {"runs": len(values), "p50": statistics.median(values), "p95": _p95(values),
               "rows": max(row_counts[name])}
        for name, values in timings.items()
    }
    result["expand_truth"] = dict(zip(("siblings", "reached", "outside"), expand_score, strict=True))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    return result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def markdown(results: list[dict[str, Any]], command: str, calibration: float) -> str:
    engines = [r["engine"] for r in results]
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, scale {results[0]['scale']:g}",
        "",
        f"CPython {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"10M-addition loop {calibration:.2f} CPU-s. Command: `{command}`",
        "",
        "| engine | nodes | edges | load s | refresh s | build peak RSS MB | peak RSS MB | expand: siblings reached | "
        "expand: reached outside every estate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        truth = r["expand_truth"]
        lines.append(
            f"| {r['engine']} | {r['nodes']:,} | {r['edges']:,} | {r.get('load_seconds', 0):.0f} | "
            f"{r.get('refresh_seconds', 0):.0f} | {r['build_rss_mb']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{truth['reached']}/{truth['siblings']} | {truth['outside']} |"
        )
    lines += ["", "| query | " + " | ".join(f"{e} p50 s | {e} p95 s | {e} rows" for e in engines) + " | runs |",
              "|---|" + "---|---|---|" * len(engines) + "---|"]
    names = list(dict.fromkeys(name for r in results for name in r["queries"]))
    for name in names:
        cells = []
        for r in results:
            q = r["queries"].get(name)
            cells.append(f"{q['p50']:.3f} | {q['p95']:.3f} | {q['rows']:,}" if q else "- | - | -")
        runs = max(r["queries"].get(name, {}).get("runs", 0) for r in results)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {runs} |")
    return "\n".join(lines) + "\n"


def run_engine(engine: str, scale: float, repeat: int, *, reuse: bool = False) -> dict[str, Any]:
    """One engine's build and queries, in a process of its own (its peak RSS is its own)."""
    command = [sys.executable, __file__, "--child", engine, "--scale", str(scale), "--repeat", str(repeat)]
    done = subprocess.run(command + (["--reuse"] if reuse else []), check=True, capture_output=True, text=True,
                          cwd=HERE)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--engines", default="ladybug,neo4j")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="query the graphs an earlier run left (no build)")
    parser.add_argument("--write-results", action="store_true", help=f"append to {RESULTS.name}")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.repeat, args.reuse)))
        return
    OUT.mkdir(exist_ok=True)
    calibration = calibrate()
    results = []
    for engine in args.engines.split(","):
        if engine == "neo4j" and not os.environ.get("GRAPHPIVOT_NEO4J_URI"):
            sys.exit("neo4j: set GRAPHPIVOT_NEO4J_URI (and _USER, _PASSWORD), or pass --engines ladybug")
        results.append(run_engine(engine, args.scale, args.repeat, reuse=args.reuse))
        print(f"{engine}: done", file=sys.stderr)
    text = markdown(results, "python bench/pivots.py " + " ".join(sys.argv[1:]), calibration)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.write_results:
        head = "" if RESULTS.exists() else "# Pivot benchmark: stored pivots, exposure and hunts at scale\n\n"
        with RESULTS.open("a") as handle:
            handle.write(head + text + "\n")


if __name__ == "__main__":
    main()
