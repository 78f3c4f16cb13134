"""Start-up benchmark: how long the ``graphpivot`` command takes before it does any work.

Each case runs the command from a source tree in a fresh process, several times, and reports the
median and best wall time and the median CPU time of the child; plus the modules a bare
``import graphpivot.cli`` pulls in and the heaviest of them (``python -X importtime``). Shell
completion is measured the way the shell calls it (``_GRAPHPIVOT_COMPLETE=complete_bash``).
``--baseline DIR`` (a checkout of an older commit, e.g. made with ``git worktree add``) runs every
case on that tree too, interleaved in the same run, so the two are compared on the same load.

    python bench/startup.py                                  # print the table
    git worktree add /tmp/gp-old REV && python bench/startup.py --baseline /tmp/gp-old --write-results
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-startup.md"
ROOT = HERE.parent
# The command as the console script runs it, from whichever tree PYTHONPATH names.
GRAPHPIVOT = [sys.executable, "-c", "from graphpivot.cli import app; app(prog_name='graphpivot')"]
FLOORS: list[tuple[str, list[str], dict[str, str]]] = [
    ("python -c pass (floor)", [sys.executable, "-c", "pass"], {}),
    ("import typer (floor for a Typer app)", [sys.executable, "-c", "import typer"], {}),
]
CASES: list[tuple[str, list[str], dict[str, str]]] = [
    ("graphpivot --help", [*GRAPHPIVOT, "--help"], {}),
    ("graphpivot --version", [*GRAPHPIVOT, "--version"], {}),
    ("graphpivot load zeek --help", [*GRAPHPIVOT, "load", "zeek", "--help"], {}),
    ("graphpivot hunt --help", [*GRAPHPIVOT, "hunt", "--help"], {}),
    ("completion: graphpivot pivot run <TAB>", [*GRAPHPIVOT], {
        "_GRAPHPIVOT_COMPLETE": "complete_bash", "COMP_WORDS": "graphpivot pivot run ", "COMP_CWORD": "3"}),
]


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and child CPU seconds of one run (from the tree PYTHONPATH names: ``python -c`` puts the current
    folder first on the path)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, cwd=env.get("PYTHONPATH", HERE))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float]:
    """Median wall, best wall and median CPU seconds over ``runs`` runs (after one warm-up)."""
    run_once(argv, env)
    samples = [run_once(argv, env) for _ in range(runs)]
    walls = [w for w, _ in samples]
    return statistics.median(walls), min(walls), statistics.median(c for _, c in samples)


def heaviest_imports(limit: int = 8) -> tuple[int, list[tuple[str, float]]]:
    """Modules loaded by ``import graphpivot.cli`` and the top-level packages costing most (cumulative)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import graphpivot.cli"],
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    costs: dict[str, float] = {}
    count = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        count += 1
        _, cumulative, name = line.split("|")
        if name.strip() == name.lstrip() or len(name) - len(name.lstrip()) <= 2:  # top-level imports only
            package = name.strip().split(".")[0]
            costs[package] = max(costs.get(package, 0.0), int(cumulative) / 1e6)
    return count, sorted(costs.items(), key=lambda kv: -kv[1])[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="A source tree of an older commit to compare with.")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    trees = [("now", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    rows = [(name, "", *measure(argv, env, args.runs)) for name, argv, env in FLOORS]
    for name, argv, env in CASES:
        for label, tree in trees:
            rows.append((name, label, *measure(argv, {**env, "PYTHONPATH": str(tree)}, args.runs)))
    modules, heavy = heaviest_imports()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    base = ""
    if args.baseline:
        base = subprocess.run(["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False).stdout.strip()
    lines = [
        "# Start-up benchmark: the graphpivot command before it does any work",
        "",
        f"Report written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.runs} runs per case (after one "
        f"warm-up), each a fresh process, trees interleaved. now = {commit}"
        + (f", baseline = {base}" if base else "") + ".",
        "CPU seconds are the steadier figure on a shared machine; wall time includes waiting for a core.",
        "",
        "Command: `python bench/startup.py --baseline OLD_TREE --write-results`",
        "",
        "| case | tree | median wall s | best wall s | median CPU s |",
        "|---|---|---|---|---|",
        *(f"| {n} | {t} | {m:.3f} | {b:.3f} | {c:.3f} |" for n, t, m, b, c in rows),
        "",
        f"`import graphpivot.cli` (now) loads {modules} modules; the heaviest top-level imports (cumulative s, "
        "one run of `-X importtime`):",
        "",
        "| package | s |",
        "|---|---|",
        *(f"| {p} | {s:.3f} |" for p, s in heavy),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
