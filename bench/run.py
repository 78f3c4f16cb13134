"""Every benchmark phase side by side, in one run, on the same files; appends a section to bench/RESULTS.md.

Phases, each in a process of its own (so its peak RSS is its own), on one generated Zeek dns.log:

* ``floor-polars``: a bare Polars read of the needed columns and the two group-bys that give the
  edge tables (one thread): the floor for parsing;
* ``parse``: graphpivot's reader, canonical forms and batcher, no database;
* ``ladybug`` / ``neo4j``: the whole load into a fresh embedded database / the Neo4j at
  ``GRAPHPIVOT_NEO4J_URI`` (cleared first), post-load degrees included;
* ``floor-copy``: the final tables of the ``ladybug`` phase copied (Parquet ``COPY``) into an empty
  embedded database: the floor for writing;
* ``naive``: a one-MERGE-per-record Neo4j loader on the first ``--naive-lines`` lines;
* ``concurrent-N``: the log split into N parts loaded by N ``graphpivot load zeek`` processes at once
  into one Neo4j (N = 1, 2, 4); each graph is compared with the one of N = 1 (nodes per label, and per
  relationship type its edges, summed counts, first and last sighting);
* ``pivots``: ``bench/pivots.py`` at ``--pivot-scale`` on each engine (p50/p95 of every stored pivot,
  exposure over every indicator, the hunt pack).

``neo4j-admin database import`` is not a phase: graphpivot has no export to its CSV format yet.

    python bench/run.py --lines 1000000 --pivot-scale 1.0          # the full run (an hour or more)
    python bench/run.py --lines 3000 --pivot-scale 0.003 --results /tmp/R.md   # the smoke test's size
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest_zeek_dns import HERE, OUT, calibrate, data_lines, run_phase
from pivots import markdown as pivot_markdown
from pivots import run_engine

RESULTS = HERE / "RESULTS.md"
NEO4J_PHASES = ("neo4j", "naive", "concurrent-1", "concurrent-2", "concurrent-4")


def generated_log(lines: int) -> Path:
    path = OUT / f"run-{lines}.log"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen_zeek_dns.py"), "--lines", str(lines), "--out", str(path)],
                       check=True, capture_output=True)
    return path


def child(phase: str, log: Path) -> dict[str, Any]:
    """The phases this file runs itself (the others are ``ingest_zeek_dns.py``'s)."""
    import resource

    if phase == "floor-polars":
        from columnar_floor import run_polars

        cpu, wall = time.process_time(), time.perf_counter()
        lines, queried, resolves = run_polars(log)
        result: dict[str, Any] = {"lines": lines, "seconds": time.perf_counter() - wall,
                                  "cpu_seconds": time.process_time() - cpu, "edges_written": queried + resolves}
    else:
        result = copy_floor(OUT / "bench.lbdb")
    result.update(phase=phase, peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return result


def scalar(conn: Any, query: str) -> int:
    """The one value ``query`` returns on a Ladybug connection."""
    return int(conn.execute(query).get_all()[0][0])


def copy_floor(source: Path) -> dict[str, Any]:
    """Every table of ``source`` to Parquet, then a timed bulk ``COPY`` of them into an empty database."""
    import ladybug

    from graphpivot.schema import NODES, RELS
    from graphpivot.store.embedded import LadybugStore

    with tempfile.TemporaryDirectory() as folder:
        old = ladybug.Connection(ladybug.Database(str(source), read_only=True))
        files: list[tuple[str, str, Path]] = []
        for label in NODES:
            path = Path(folder) / f"{label}.parquet"
            if scalar(old, f"MATCH (n:{label}) RETURN count(n)"):
                old.execute(f"COPY (MATCH (n:{label}) RETURN n.*) TO '{path}'")
                files.append((label, "", path))
        for rel, spec in RELS.items():
            props = ", ".join(f"e.{p.name}" for p in spec.props)
            for src, dst in spec.pairs:
                query = f"MATCH (a:{src})-[e:{rel}]->(b:{dst}) RETURN a.key, b.key, {props}"
                path = Path(folder) / f"{rel}-{src}-{dst}.parquet"
                if scalar(old, f"MATCH (:{src})-[e:{rel}]->(:{dst}) RETURN count(e)"):
                    old.execute(f"COPY ({query}) TO '{path}'")
                    files.append((rel, f"(from='{src}', to='{dst}')" if len(spec.pairs) > 1 else "", path))
        target = Path(folder) / "floor.lbdb"
        store = LadybugStore(target)
        store.init_schema()
        store.close()
        new = ladybug.Connection(ladybug.Database(str(target)))
        cpu, wall = time.process_time(), time.perf_counter()
        for table, options, path in files:
            new.execute(f"COPY {table} FROM '{path}' {options}")
        seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
        nodes = sum(scalar(new, f"MATCH (n:{label}) RETURN count(n)") for label in NODES)
        edges = sum(scalar(new, f"MATCH ()-[e:{rel}]->() RETURN count(e)") for rel in RELS)
    return {"lines": 0, "seconds": seconds, "cpu_seconds": cpu_seconds, "edges_written": edges,
            "graph_nodes": nodes, "graph_edges": edges}


def run_own_phase(phase: str, log: Path) -> dict[str, Any]:
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    done = subprocess.run([sys.executable, __file__, "--child", phase, "--log", str(log)], check=False,
                          capture_output=True, text=True, cwd=HERE, env=env)
    if done.returncode != 0:
        return {"phase": phase, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def split_log(log: Path, parts: int) -> list[Path]:
    """``parts`` Zeek logs with the header and consecutive slices of the records (one per sensor-day)."""
    header: list[str] = []
    records: list[str] = []
    with log.open() as handle:
        for line in handle:
            (header if line.startswith("#") and not line.startswith("#close") else records).append(line)
    size = -(-len(records) // parts)
    paths = []
    for k in range(parts):
        path = log.with_name(f"{log.stem}.part{k}of{parts}.log")
        path.write_text("".join(header + records[k * size : (k + 1) * size]))
        paths.append(path)
    return paths


def graph_digest(store: Any) -> list[list[Any]]:
    """Per relationship type: edges, summed counts, earliest first and latest last sighting; nodes per label."""
    from graphpivot.schema import NODES, RELS

    digest = [[label, store.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]] for label in NODES]
    for rel in RELS:
        row = store.read(f"MATCH ()-[e:{rel}]->() RETURN count(e) AS n, sum(e.count) AS c, "
                         "min(e.first_seen) AS f, max(e.last_seen) AS l")[0]
        digest.append([rel, row["n"], row["c"], row["f"], row["l"]])
    return digest


def concurrent(log: Path, parts: int, single: dict[str, Any] | None) -> dict[str, Any]:
    """``parts`` CLI loader processes into one cleared Neo4j at once; the graph compared with one CLI load's."""
    from ingest_zeek_dns import cleared_neo4j

    from graphpivot.maintenance import refresh_degrees

    store = cleared_neo4j()
    store.init_schema()  # once, as a deployment would before starting its loaders
    env = {**os.environ, "GRAPHPIVOT_ENGINE": "neo4j"}
    files = split_log(log, parts)
    wall = time.perf_counter()
    loaders = [subprocess.Popen([sys.executable, "-m", "graphpivot", "load", "zeek", str(f), "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    outputs = [loader.communicate() for loader in loaders]
    seconds = time.perf_counter() - wall
    failed = [err.strip().splitlines()[-1] for (_, err), loader in zip(outputs, loaders, strict=True)
              if loader.returncode != 0 and err.strip()]
    edges_written = sum(sum(json.loads(out)["edges"].values()) for out, _ in outputs if out.strip().startswith("{"))
    refresh_degrees(store)
    nodes, edges = store.counts()
    digest = graph_digest(store)
    store.clear()
    store.close()
    result = {"phase": f"concurrent-{parts}", "lines": data_lines(log), "seconds": seconds,
              "edges_written": edges_written, "graph_nodes": sum(nodes.values()), "graph_edges": sum(edges.values()),
              "digest": digest, "peak_rss_mb": 0.0}
    if single is not None:
        result["same_graph"] = digest == single["digest"]
    if failed:
        result["error"] = "; ".join(failed)
    return result


def phase_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| phase | lines | wall s | lines/s | lines per CPU-s | edge rows/s | graph nodes / edges | peak RSS MB | "
            "notes |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r or "skipped" in r:
            rows.append(f"| {r['phase']} | - | - | - | - | - | - | - | {r.get('error') or r['skipped']} |")
            continue
        seconds, lines = r["seconds"], r.get("lines") or 0
        cpu = r.get("cpu_seconds")
        graph = f"{r['graph_nodes']:,} / {r['graph_edges']:,}" if "graph_nodes" in r else "-"
        notes = []
        if "same_graph" in r:
            notes.append("same graph as concurrent-1" if r["same_graph"] else "**graph differs from concurrent-1**")
        if "statements" in r:
            notes.append(f"{r['statements']:,} statements")
        per_cpu = f"{lines / cpu:,.0f}" if cpu and lines else "-"
        edge_rate = f"{r['edges_written'] / seconds:,.0f}" if r.get("edges_written") else "-"
        line_rate = f"{lines / seconds:,.0f}" if lines else "-"
        shown = f"{lines:,}" if lines else "-"
        rows.append(
            f"| {r['phase']} | {shown} | {seconds:.1f} | {line_rate} | {per_cpu} | {edge_rate} | {graph} | "
            f"{r['peak_rss_mb']:.0f} | {'; '.join(notes)} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--naive-lines", type=int, default=10_000)
    parser.add_argument("--pivot-scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pivot query")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the Markdown file to append to")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.log)))
        return
    neo4j = bool(os.environ.get("GRAPHPIVOT_NEO4J_URI"))
    calibration = calibrate()
    log = generated_log(args.lines)
    results: list[dict[str, Any]] = []
    for phase in ("floor-polars", "parse", "ladybug", "floor-copy", "neo4j", "naive", "concurrent-1", "concurrent-2",
                  "concurrent-4"):
        print(f"phase {phase}", file=sys.stderr, flush=True)
        if phase in NEO4J_PHASES and not neo4j:
            results.append({"phase": phase, "skipped": "no Neo4j (GRAPHPIVOT_NEO4J_URI unset)"})
        elif phase.startswith("concurrent"):
            single = next((r for r in results if r["phase"] == "concurrent-1" and "digest" in r), None)
            results.append(concurrent(log, int(phase.split("-")[1]), single))
        elif phase.startswith("floor"):
            results.append(run_own_phase(phase, log))
        else:
            results.append(run_phase(phase, log, args.naive_lines))
    engines = ["ladybug", "neo4j"] if neo4j else ["ladybug"]
    pivots = [run_engine(engine, args.pivot_scale, args.repeat) for engine in engines]
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    text = "\n".join([
        f"## Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: every phase side by side",
        "",
        f"CPython {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"10M-addition loop {calibration:.2f} CPU-s. Input: {data_lines(log):,} generated Zeek dns.log lines "
        f"(`bench/gen_zeek_dns.py`, seed 7). Command: `{command}`",
        "",
        *phase_table(results),
        "",
        "### Pivots",
        "",
        pivot_markdown(pivots, command, calibration).split("\n", 4)[4],
    ])
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"phases": results, "pivots": pivots}, indent=1))
    with args.results.open("a") as handle:
        handle.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
