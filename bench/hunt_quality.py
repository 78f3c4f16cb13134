"""Hunt-quality benchmark: generated enterprise weeks, loaded and graded through the real CLI, scored on truth.

    python bench/hunt_quality.py                                  # 5 seeds, small and large, ladybug (+neo4j)
    python bench/hunt_quality.py --seeds 3 --scale small --engines ladybug --cli .venv/bin/graphpivot
    python bench/hunt_quality.py --suspicious-tag                 # also a variant loading the suspicious list tagged

For each scale and seed, ``gen_enterprise_week.py`` writes a week; for each
engine (ladybug always, neo4j when ``GRAPHPIVOT_NEO4J_URI`` is set) and setup
(``db init`` first, or not) the runner loads every file with ``graphpivot load
...`` as a user would, then runs ``graphpivot exposure --all-indicators
--format json`` with and without ``--expand`` and scores each finding's
``strength`` word against ``truth.json`` (which graphpivot never sees):

* recall: planted exposed hosts (not siblings) with any finding above weak;
* host precision: hosts above weak that are truly exposed (siblings count) / all hosts above weak;
* trap hosts above weak;
* siblings at the pivot rank (with --expand) and siblings above pivot (never allowed).

A naive exact matcher (``hunt_naive.py``) is scored the same way. The Markdown
table (mean and min over seeds) is appended to ``bench/RESULTS-hunt.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_enterprise_week import HOW_EXPOSED, HOW_TRAP, generate
from hunt_naive import naive_matches, norm

RANK = {"weak": 0, "low": 1, "pivot": 2, "medium": 3, "strong": 4, "very strong": 5}
PIVOT = RANK["pivot"]
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS-hunt.md"
SIBLING_KINDS = tuple(k for k in HOW_EXPOSED if k.startswith("sibling-"))
ERRORS: list[str] = []  # CLI runs that failed, listed in the report


class BenchError(RuntimeError):
    """A CLI call failed or printed something the scorer cannot read."""


# ------------------------------------------------------------------ driving the CLI


@dataclass
class Cli:
    """The graphpivot command line for one engine and database."""

    exe: str
    engine: str
    db: Path | None
    env: dict[str, str]
    calls: list[str] = field(default_factory=list)

    def run(self, *args: str) -> str:
        cmd = [self.exe, "--engine", self.engine, *(["--db", str(self.db)] if self.db else []), *args]
        self.calls.append(shlex.join(cmd))
        done = subprocess.run(cmd, capture_output=True, text=True, env=self.env, check=False)
        if done.returncode != 0:
            raise BenchError(f"{shlex.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-800:]}")
        return done.stdout

    def load(self, *args: str) -> dict[str, Any]:
        out = self.run("load", *args, "--json")
        return dict(json.loads(out[out.index("{"):]))


def load_steps(data: Path, *, tag: bool) -> list[tuple[str, list[str]]]:
    """The ``graphpivot load`` sub-commands and arguments for one week, the way the README shows them."""
    intel, tel = data / "intel", data / "telemetry"
    suspicious = ["--tag", "suspicious"] if tag else []
    zeek = [str(tel / "zeek-hq"), str(tel / "zeek-branch"), str(tel / "zeek-dmz")]
    return [
        ("misp", [str(intel / "misp-events.json"), "--source", "isac-misp"]),
        ("stix", [str(intel / "stix-bundle.json"), "--source", "vendor-stix"]),
        ("ioc", [str(intel / "partner-iocs.txt"), "--source", "partner-cert"]),
        ("ioc", [str(intel / "suspicious-services.txt"), "--source", "maltrail", *suspicious]),
        ("zeek", [*zeek, "--source", "zeek"]),
        ("eve", [str(tel / "suricata-east"), "--source", "suricata-east"]),
        ("proxy", [str(tel / "squid-east"), "--format", "squid", "--source", "squid-east"]),
    ]


def load_week(cli: Cli, data: Path, *, init: bool, tag: bool) -> dict[str, int]:
    """Every file of the week, loaded through the CLI; rejected lines per load."""
    if init:
        cli.run("db", "init")
    rejects: dict[str, int] = {}
    for kind, args in load_steps(data, tag=tag):
        summary = cli.load(kind, *args)
        rejects[f"{kind} {Path(args[0]).name}"] = int(summary.get("rejected", 0))
    return rejects


def exposure(cli: Cli, *, expand: bool) -> list[dict[str, Any]]:
    out = cli.run("exposure", "--all-indicators", "--format", "json", *(["--expand"] if expand else []))
    start = out.find("[")
    findings = json.loads(out[start:]) if start >= 0 else []
    if not isinstance(findings, list):
        raise BenchError("exposure --format json did not print a list")
    return findings


# ------------------------------------------------------------------ scoring


def rank_of(finding: dict[str, Any]) -> int:
    word = finding.get("strength")
    if word not in RANK:
        raise BenchError(f"unknown strength {word!r} in finding for {finding.get('host')}")
    return RANK[str(word)]


def tokens(finding: dict[str, Any]) -> set[str]:
    """Every value a finding names: indicator, touched, path nodes, pivot seed and via, with URL hosts."""
    raw: list[str] = [str(finding.get("indicator", "")), *map(str, finding.get("touched") or [])]
    for step in finding.get("path") or []:
        text = str(step)
        if not text.startswith("-"):
            raw.append(text.split(":", 1)[1] if ":" in text else text)
    pivot = finding.get("pivot") or {}
    raw += [str(pivot.get("seed", "")), *map(str, pivot.get("via") or [])]
    out = {norm(t) for t in raw if t}
    out |= {t.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0] for t in out if "://" in t}
    return out


@dataclass
class Score:
    """One grader's result on one week."""

    recall: float
    precision: float | None
    traps_above: int
    false_above: int
    siblings_pivot: int | None
    siblings_above_pivot: int
    kinds_found: dict[str, int]
    traps_hit: dict[str, int]
    seconds: float = 0.0
    cpu: float = 0.0
    rejects: int = 0
    seed: int = 0


def _planted(truth: dict[str, Any]) -> tuple[set[str], set[str], set[str]]:
    hosts = truth["hosts"]
    direct = {h for h, v in hosts.items() if v["expected"] == "above-weak"}
    siblings = {h for h, v in hosts.items() if v["expected"] == "pivot"}
    traps = {h for h, v in hosts.items() if v["status"] == "trap"}
    return direct, siblings, traps


def score_findings(truth: dict[str, Any], findings: list[dict[str, Any]], *, expand: bool) -> Score:
    """Score graphpivot's findings; host ranks are each host's strongest finding."""
    best: dict[str, int] = defaultdict(lambda: -1)
    named: dict[str, list[tuple[int, set[str]]]] = defaultdict(list)
    for f in findings:
        host, rank = str(f.get("host")), rank_of(f)
        best[host] = max(best[host], rank)
        named[host].append((rank, tokens(f)))
    above = {h for h, r in best.items() if r > RANK["weak"]}

    def relevant(host: str, values: list[str]) -> int:
        wanted = {norm(v) for v in values}
        return max((r for r, t in named.get(host, []) if t & wanted), default=-1)

    return _score(truth, above, relevant, ranked=True, expand=expand)


def score_naive(truth: dict[str, Any], matches: dict[str, set[str]]) -> Score:
    """Score the naive matcher: a flagged host counts as 'above weak'."""
    above = set(matches)

    def relevant(host: str, values: list[str]) -> int:
        return RANK["medium"] if matches.get(host, set()) & {norm(v) for v in values} else -1

    return _score(truth, above, relevant, ranked=False, expand=False)


def _score(truth: dict[str, Any], above: set[str], relevant: Callable[[str, list[str]], int], *, ranked: bool,
           expand: bool) -> Score:
    hosts = truth["hosts"]
    direct, siblings, traps = _planted(truth)
    truly = direct | siblings
    kinds: dict[str, int] = defaultdict(int)
    sib_rank: dict[str, int] = {}
    for ip in truly:
        for exp in hosts[ip]["exposures"]:
            r = relevant(ip, exp["match"])
            sibling = exp["kind"] in SIBLING_KINDS
            if sibling:
                sib_rank[ip] = max(sib_rank.get(ip, -1), r)
            hit = (r == PIVOT) if (ranked and sibling) else r > RANK["weak"]
            kinds[exp["kind"]] += int(hit)
    traps_hit: dict[str, int] = defaultdict(int)
    for ip in traps & above:
        for kind in hosts[ip]["traps"]:
            lures = list(truth["lures"].get(kind, []))
            lures += [v for t in hosts[ip]["dedicated_traps"] if t["kind"] == kind for v in t["match"]]
            traps_hit[kind] += int(relevant(ip, lures) > RANK["weak"])
    sib_pivot = sum(1 for r in sib_rank.values() if r == PIVOT) if ranked and expand else None
    return Score(
        recall=len(direct & above) / len(direct) if direct else 1.0,
        precision=len(above & truly) / len(above) if above else None,
        traps_above=len(traps & above),
        false_above=len(above - truly),
        siblings_pivot=sib_pivot,
        siblings_above_pivot=sum(1 for r in sib_rank.values() if r > PIVOT) if ranked else 0,
        kinds_found=dict(kinds),
        traps_hit=dict(traps_hit),
    )


# ------------------------------------------------------------------ one configuration


@dataclass(frozen=True)
class Config:
    """Who grades: the naive matcher, or graphpivot on one engine and setup, with or without --expand."""

    grader: str  # naive or graphpivot
    engine: str = "-"
    setup: str = "-"
    expand: bool = False

    @property
    def label(self) -> str:
        if self.grader == "naive":
            return "naive exact matcher"
        return f"{self.engine} {self.setup}{' --expand' if self.expand else ''}"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def engine_env(engine: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GRAPHPIVOT_BUFFER_POOL_MB", "2048")  # a shared machine; 512 MB is too little for --expand (large)
    if engine == "ladybug":
        env.pop("GRAPHPIVOT_NEO4J_URI", None)
    return env


def run_graphpivot(exe: str, engine: str, setup: str, week: Path, truth: dict[str, Any],
                   work: Path) -> dict[Config, Score]:
    """Load one week on one engine and setup, grade it with and without --expand."""
    db = None
    folder = work / f"db-{engine}-{setup}"
    if engine == "ladybug":
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        db = folder / "graph.lbug"  # a fresh embedded database per run
    cli = Cli(exe, engine, db, engine_env(engine))
    if engine == "neo4j":
        cli.run("db", "clear", "--yes")
    started, cpu0 = time.monotonic(), _child_cpu()
    rejects = load_week(cli, week / "data", init=setup.startswith("init"), tag=setup.endswith("+tag"))
    loaded = time.monotonic()
    out: dict[Config, Score] = {}
    for expand in (False, True):
        t0 = time.monotonic()
        findings = exposure(cli, expand=expand)
        score = score_findings(truth, findings, expand=expand)
        score.seconds = round(loaded - started + time.monotonic() - t0, 1)
        score.cpu = round(_child_cpu() - cpu0, 1)
        score.rejects = sum(rejects.values())
        out[Config("graphpivot", engine, setup, expand)] = score
        (work / f"findings-{engine}-{setup}-{'expand' if expand else 'plain'}.json").write_text(
            json.dumps(findings, indent=1), encoding="utf-8")
    (work / f"calls-{engine}-{setup}.txt").write_text("\n".join(cli.calls) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    return out


# ------------------------------------------------------------------ reporting


def _mean_min(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{100 * statistics.mean(values):.0f}% ({100 * min(values):.0f}%)"


def _mean_max(values: list[int]) -> str:
    return f"{statistics.mean(values):.1f} ({max(values)})" if values else "-"


def _by_seed(truths: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(t["seed"]): t for t in truths}


def summary_table(results: dict[Config, list[Score]], truths: list[dict[str, Any]]) -> list[str]:
    weeks = _by_seed(truths)
    rows = ["| grader | seeds | recall mean (min) | host precision mean (min) | trap hosts > weak mean (max) | "
            "false hosts > weak mean (max) | siblings at pivot | siblings > pivot | rejected lines | wall s | CPU s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for cfg, scores in results.items():
        n_sib = sum(len(_planted(weeks[s.seed])[1]) for s in scores)
        sib = "-" if scores[0].siblings_pivot is None else f"{sum(s.siblings_pivot or 0 for s in scores)}/{n_sib}"
        rows.append(
            f"| {cfg.label} | {len(scores)} | {_mean_min([s.recall for s in scores])} | "
            f"{_mean_min([s.precision for s in scores if s.precision is not None])} | "
            f"{_mean_max([s.traps_above for s in scores])} | {_mean_max([s.false_above for s in scores])} | {sib} | "
            f"{sum(s.siblings_above_pivot for s in scores) if cfg.grader != 'naive' else '-'} | "
            f"{statistics.mean([s.rejects for s in scores]):.0f} | "
            f"{statistics.mean([s.seconds for s in scores]):.0f} | {statistics.mean([s.cpu for s in scores]):.0f} |")
    return rows


def _kind_total(week: dict[str, Any], kind: str, *, traps: bool) -> int:
    hosts = week["hosts"].values()
    if traps:
        return sum(1 for h in hosts if h["status"] == "trap" and kind in h["traps"])
    return sum(1 for h in hosts for e in h["exposures"] if e["kind"] == kind)


def kinds_table(results: dict[Config, list[Score]], truths: list[dict[str, Any]], *, traps: bool) -> list[str]:
    """Per kind: found (or failed) / planted, summed over each grader's seeds."""
    weeks = _by_seed(truths)
    configs = list(results)
    head = "| trap kind | hosts per week |" if traps else "| evidence kind | hosts per week |"
    rows = [head + "".join(f" {c.label} |" for c in configs), "|---|---|" + "---|" * len(configs)]
    for kind in (HOW_TRAP if traps else HOW_EXPOSED):
        per_week = statistics.mean(_kind_total(w, kind, traps=traps) for w in weeks.values())
        cells = []
        for cfg in configs:
            got = sum((s.traps_hit if traps else s.kinds_found).get(kind, 0) for s in results[cfg])
            total = sum(_kind_total(weeks[s.seed], kind, traps=traps) for s in results[cfg])
            cells.append(f" {got}/{total} |")
        rows.append(f"| {kind} | {per_week:.1f} |" + "".join(cells))
    return rows


def git_commit() -> str:
    done = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False)
    dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--", "."], capture_output=True,
                           text=True, check=False)
    return done.stdout.strip() + (" (bench modified)" if dirty.stdout.strip() else "")


def report(args: argparse.Namespace, by_scale: Saved, version: str, wall: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"## {args.title}", "",
             f"Run {when}; bench commit `{git_commit()}`; CLI `{args.cli_shown}` ({version}); "
             f"seeds {', '.join(map(str, args.seed_list))}; wall time {wall / 60:.1f} min on "
             f"{os.cpu_count()} cores.", "",
             "```", "python " + shlex.join(["bench/hunt_quality.py", *sys.argv[1:]]), "```", ""]
    for scale, (results, truths) in by_scale.items():
        hosts = truths[0]["hosts"]
        direct, siblings, traps = (len(x) for x in _planted(truths[0]))
        lines += [f"### {scale}: {len(hosts)} hosts, ~{statistics.mean(t['lines'] for t in truths):,.0f} lines; "
                  f"per week {direct} exposed hosts + {siblings} sibling hosts, {traps} trap hosts", "",
                  *summary_table(results, truths), "",
                  "Evidence kinds found (a finding above weak naming the planted indicator; siblings: at pivot), "
                  "summed over seeds:", "", *kinds_table(results, truths, traps=False), "",
                  "Trap hosts above weak through their trap's lure, summed over seeds:", "",
                  *kinds_table(results, truths, traps=True), ""]
    if ERRORS:
        lines += ["Runs that failed (not scored):", "", *[f"- {e.splitlines()[0][:300]}" for e in ERRORS], ""]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="5", help="a count (5 = seeds 1-5) or a comma list (1,4,9)")
    parser.add_argument("--scale", default="both", choices=("small", "large", "both"))
    parser.add_argument("--engines", default=None, help="ladybug,neo4j (default: ladybug, plus neo4j when "
                        "GRAPHPIVOT_NEO4J_URI is set)")
    parser.add_argument("--cli", default="graphpivot", help="the graphpivot executable to drive")
    parser.add_argument("--suspicious-tag", action="store_true",
                        help="also run a variant that loads the suspicious list with --tag suspicious")
    parser.add_argument("--work", type=Path, default=None, help="folder for weeks and findings (default: a temp dir)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file the report is appended to")
    parser.add_argument("--title", default="Hunt quality", help="section title in the results file")
    parser.add_argument("--no-write", action="store_true", help="print the report only")
    parser.add_argument("--save", type=Path, default=None, help="also save the raw scores as JSON (for --merge)")
    parser.add_argument("--merge", type=Path, nargs="*", default=None,
                        help="report on saved runs (e.g. one per engine, run side by side) instead of running")
    args = parser.parse_args(argv)
    args.seed_list = (list(range(1, int(args.seeds) + 1)) if args.seeds.isdigit()
                      else [int(s) for s in args.seeds.split(",")])
    default = "ladybug,neo4j" if os.environ.get("GRAPHPIVOT_NEO4J_URI") else "ladybug"
    args.engine_list = (args.engines or default).split(",")
    args.cli_shown = args.cli
    if exe := shutil.which(args.cli):
        args.cli = exe
    else:
        parser.error(f"--cli {args.cli}: not found")
    return args


def bench_scale(args: argparse.Namespace, scale: str, work: Path) -> tuple[dict[Config, list[Score]],
                                                                            list[dict[str, Any]]]:
    results: dict[Config, list[Score]] = defaultdict(list)
    truths: list[dict[str, Any]] = []
    setups = ["init", "no-init"] + (["init+tag", "no-init+tag"] if args.suspicious_tag else [])
    for seed in args.seed_list:
        week = work / f"{scale}-{seed}"
        shutil.rmtree(week, ignore_errors=True)
        truth = generate(seed, scale, week)
        truths.append(truth)
        naive = score_naive(truth, naive_matches(week / "data"))
        naive.seed = seed
        results[Config("naive")].append(naive)
        for engine in args.engine_list:
            for setup in setups:
                t0 = time.monotonic()
                try:
                    scored = run_graphpivot(args.cli, engine, setup, week, truth, week)
                except BenchError as exc:  # one failing run is reported, the others go on
                    ERRORS.append(f"{scale} seed {seed} {engine} {setup}: {exc}")
                    print(ERRORS[-1], file=sys.stderr)
                    continue
                for cfg, score in scored.items():
                    score.seed = seed
                    results[cfg].append(score)
                print(f"{scale} seed {seed} {engine} {setup}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return dict(results), truths


Saved = dict[str, tuple[dict[Config, list[Score]], list[dict[str, Any]]]]


def save(path: Path, by_scale: Saved, wall: float) -> None:
    doc = {scale: {"truths": truths, "results": [[asdict(cfg), [asdict(s) for s in scores]]
                                                 for cfg, scores in results.items()]}
           for scale, (results, truths) in by_scale.items()}
    path.write_text(json.dumps({"wall": wall, "scales": doc, "errors": ERRORS}), encoding="utf-8")


def merge(paths: list[Path]) -> tuple[Saved, float]:
    """Saved runs side by side: one naive row (the first run's), every run's graphpivot rows."""
    out: Saved = {}
    wall = 0.0
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        wall = max(wall, doc["wall"])
        ERRORS.extend(doc.get("errors", []))
        for scale, part in doc["scales"].items():
            results, truths = out.setdefault(scale, ({}, []))
            seeds = [int(t["seed"]) for t in part["truths"]]
            truths += [t for t in part["truths"] if int(t["seed"]) not in {int(x["seed"]) for x in truths}]
            for cfg, scores in part["results"]:
                config = Config(**cfg)
                if config not in results:
                    results[config] = [Score(**{**s, "seed": seed}) for s, seed in zip(scores, seeds, strict=True)]
            truths.sort(key=lambda t: int(t["seed"]))
    return out, wall


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    version = subprocess.run([args.cli, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if args.merge:
        by_scale, wall = merge(args.merge)
        args.seed_list = sorted({t["seed"] for _, truths in by_scale.values() for t in truths})
    else:
        by_scale, wall = run_all(args)
        if args.save:
            save(args.save, by_scale, wall)
    text = report(args, by_scale, version, wall)
    print(text)
    if not args.no_write:
        with args.results.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0


def run_all(args: argparse.Namespace) -> tuple[Saved, float]:
    started = time.monotonic()
    scales = ["small", "large"] if args.scale == "both" else [args.scale]
    temp = args.work is None
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"hunt-bench-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        by_scale = {scale: bench_scale(args, scale, work) for scale in scales}
    finally:
        if temp:
            shutil.rmtree(work, ignore_errors=True)
    return by_scale, time.monotonic() - started


if __name__ == "__main__":
    raise SystemExit(main())
