"""Benchmark: consecutive days of Zeek dns.log loaded into one embedded database (not a test).

Day N of ``bench/gen_zeek_dns.py --day N`` is the same network on another day: mostly the same
host-name and name-address pairs again, plus new names. Each day is one ``graphpivot load zeek``
process on the embedded engine into the database the days before it filled, as a scheduled daily
load would run; its wall time, CPU-seconds and peak RSS are its own. The question it answers: does
day N cost what day 1 cost, or does every load pay for the graph already there?

    python bench/ladybug_days.py --days 10 --lines 200000 --write-results   # writes bench/RESULTS-days.md

``--python`` runs the loads with another interpreter (another installed version of graphpivot), so two
versions can be compared on the same files in one run; ``--buffer-pool-mb`` is the embedded page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest_zeek_dns import HERE, calibrate

OUT = HERE / "out" / "days"
REFRESHED = re.compile(r"refreshed in ([0-9.]+) s")


def day_log(day: int, lines: int) -> Path:
    """The generated log of ``day`` (made once, then reused)."""
    path = OUT / f"dns-{lines}-day{day}.log"
    if not path.exists():
        command = [sys.executable, str(HERE / "gen_zeek_dns.py"), "--lines", str(lines), "--day", str(day),
                   "--out", str(path)]
        subprocess.run(command, check=True, capture_output=True)
    return path


def load_day(log: Path, database: Path, python: str, buffer_pool_mb: int) -> dict[str, Any]:
    """One ``graphpivot load zeek`` process: its summary, wall time, CPU-seconds and peak RSS."""
    env = {**os.environ, "GRAPHPIVOT_ENGINE": "ladybug", "GRAPHPIVOT_DB": str(database),
           "GRAPHPIVOT_BUFFER_POOL_MB": str(buffer_pool_mb)}
    command = [python, "-m", "graphpivot", "load", "zeek", str(log), "--json"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage (peak RSS, CPU)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"load of {log.name} failed ({child.returncode}): {err.read().strip()[-500:]}")
        summary = json.loads(out.read())
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "summary": summary,
    }


def run(days: int, lines: int, python: str, buffer_pool_mb: int, name: str) -> list[dict[str, Any]]:
    """Load ``days`` generated days one after the other into a new database; one result per day."""
    database = OUT / f"{name}.lbdb"
    for old in (database, database.with_name(database.name + ".wal")):
        if old.is_dir():
            shutil.rmtree(old)
        old.unlink(missing_ok=True)
    logs = [day_log(day, lines) for day in range(days)]
    results = []
    for day, log in enumerate(logs, start=1):
        result = load_day(log, database, python, buffer_pool_mb)
        result["day"] = day
        results.append(result)
        print(f"{name} day {day}: {result['seconds']:.1f} s, {result['peak_rss_mb']:.0f} MB", file=sys.stderr)
    results[-1]["graph"] = graph_size(database)
    return results


def graph_size(database: Path) -> tuple[int, int]:
    """Node and edge counts of the database (opened read-only after the last day)."""
    from graphpivot.store.embedded import LadybugStore

    store = LadybugStore(database, read_only=True)
    try:
        nodes, edges = store.counts()
    finally:
        store.close()
    return sum(nodes.values()), sum(edges.values())


def table(name: str, results: list[dict[str, Any]]) -> list[str]:
    rows = [
        f"### {name}",
        "",
        "| day | lines | wall s | CPU s | refresh s | lines/s | edge rows written | peak RSS MB | wall vs day 1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    first = results[0]["seconds"]
    for r in results:
        summary = r["summary"]
        rows.append(
            f"| {r['day']} | {summary['lines']:,} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
            f"{refresh_seconds(summary):.1f} | "
            f"{summary['lines'] / r['seconds']:,.0f} | {sum(summary['edges'].values()):,} | {r['peak_rss_mb']:.0f} | "
            f"{r['seconds'] / first:.2f}x |"
        )
    nodes, edges = results[-1]["graph"]
    last = results[-1]
    peak = max(r["peak_rss_mb"] for r in results)
    rows += [
        "",
        f"Graph after day {last['day']}: {nodes:,} nodes, {edges:,} edges. Day {last['day']} cost "
        f"{last['seconds'] / first:.2f}x day 1; peak RSS over all days {peak:,.0f} MB.",
        "",
    ]
    return rows


def refresh_seconds(summary: dict[str, Any]) -> float:
    """The post-load refresh time the load's summary notes report (degrees, noise flags, lists)."""
    for note in summary["notes"]:
        found = REFRESHED.search(note)
        if found:
            return float(found.group(1))
    return 0.0


def markdown(runs: dict[str, list[dict[str, Any]]], calibration: float, command: str, buffer_pool_mb: int) -> str:
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; 10M-addition loop {calibration:.2f} CPU-s"
    )
    lines = [
        "# Consecutive days into one embedded database (issue #11: day N costs what day 1 cost)",
        "",
        f"Report written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}; one `graphpivot load zeek` process "
        f"per day, embedded engine, `GRAPHPIVOT_BUFFER_POOL_MB={buffer_pool_mb}`.",
        "Input: `bench/gen_zeek_dns.py --day N` (seed 7): the same network each day, new queries.",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
    ]
    for name, results in runs.items():
        lines += table(name, results)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--lines", type=int, default=200_000, help="lines per day")
    parser.add_argument("--buffer-pool-mb", type=int, default=1024)
    parser.add_argument("--python", action="append", default=[], metavar="NAME=INTERPRETER",
                        help="also run the days with this interpreter (repeatable); the current one runs as 'this'")
    parser.add_argument("--write-results", action="store_true", help="write bench/RESULTS-days.md")
    args = parser.parse_args()
    calibration = calibrate()
    interpreters = [("this", sys.executable)] + [tuple(item.split("=", 1)) for item in args.python]
    runs = {name: run(args.days, args.lines, python, args.buffer_pool_mb, name) for name, python in interpreters}
    command = "python bench/ladybug_days.py " + " ".join(sys.argv[1:])
    report = markdown(runs, calibration, command, args.buffer_pool_mb)
    print(report)
    if args.write_results:
        (HERE / "RESULTS-days.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
