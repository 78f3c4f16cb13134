"""Run an enricher over its targets: bounded concurrency, retries with backoff, a rate limit, resume.

Lookups run in worker threads; only the calling thread writes, in chunks,
through the :class:`~graphpivot.ingest.Ingestor`: first the chunk's records,
then one Enrichment record per target. A job's run (its id and observation
time) is kept in the graph, so a killed job started again resumes that run:
it skips the targets already recorded and stamps the rest with the same time.
Within a run every edge counts once: an edge the run already wrote (same
``last_seen``, this job among its sources) is merged with ``count`` 0, so the
graph does not depend on chunking, on the order lookups finish in, or on a
kill between writing a target's records and its outcome.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from graphpivot.enrich.base import PENDING, Enricher, Lookup, Target, outcome_node, run_key
from graphpivot.enrich.joblog import JobLog
from graphpivot.ingest import Ingestor
from graphpivot.merge import merge_into
from graphpivot.model import Edge, Record, entity
from graphpivot.schema import RELS
from graphpivot.store.base import GraphStore

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3


@dataclass(frozen=True)
class Limits:
    """How hard a job may push: workers, attempts, pacing and write chunks."""

    concurrency: int = 8
    retries: int = 2
    backoff: float = 0.5
    rate: float | None = None  # attempts per second over all workers
    chunk: int = 50
    chunk_seconds: float = 2.0


@dataclass(frozen=True)
class RunInfo:
    """The run a job belongs to; a resumed run keeps its id and observation time."""

    run: str
    observed_at: int
    resumed: bool
    selection: str


def open_run(store: GraphStore, job: str, selection: str, now: int) -> RunInfo:
    """Resume the job's unfinished run when it was for the same selection, else start a new one."""
    rows = store.read(
        "MATCH (e:Enrichment) WHERE e.key = $key "
        "RETURN e.run AS run, e.outcome AS state, e.selection AS selection, e.checked_at AS observed_at",
        {"key": run_key(job)},
    )
    if rows and rows[0]["state"] in ("running", "interrupted") and rows[0]["selection"] == selection:
        return RunInfo(rows[0]["run"], int(rows[0]["observed_at"]), True, selection)
    return RunInfo(uuid.uuid4().hex[:12], now, False, selection)


class RateLimit:
    """Evenly spaced slots shared by every worker; ``None`` means no limit."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> bool:
        """Block until the next slot; False when the job is stopping."""
        if not self.interval:
            return not stop.is_set()
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        return not stop.wait(slot - now) if slot > now else not stop.is_set()


@dataclass
class JobSummary:
    """What a run did; its exit code tells schedulers success, partial or failure."""

    job: str
    run: str
    resumed: bool
    observed_at: int
    planned: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    answered: int = 0
    failed: int = 0
    nodes: Counter[str] = field(default_factory=Counter)
    edges: Counter[str] = field(default_factory=Counter)
    rejected: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if not self.failed:
            return EXIT_OK
        return EXIT_FAILED if not self.answered else EXIT_PARTIAL

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "run": self.run,
            "resumed": self.resumed,
            "observed_at": self.observed_at,
            "planned": self.planned,
            "answered": self.answered,
            "failed": self.failed,
            "outcomes": dict(self.outcomes),
            "nodes": dict(self.nodes),
            "edges": dict(self.edges),
            "rejected": self.rejected,
            "interrupted": self.interrupted,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
        }


class Job:
    """One run of one enricher against one graph."""

    def __init__(
        self,
        store: GraphStore,
        enricher: Enricher,
        run: RunInfo,
        *,
        limits: Limits,
        log: JobLog,
        stop: threading.Event | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.store = store
        self.enricher = enricher
        self.run_info = run
        self.limits = limits
        self.log = log
        self.stop = stop or threading.Event()
        self.source = f"enrich:{enricher.job}"
        self.ingestor = Ingestor(store, self.source, batch_size=batch_size, observed_at=run.observed_at)
        self.summary = JobSummary(enricher.job, run.run, run.resumed, run.observed_at)
        self._rate = RateLimit(limits.rate)

    # ------------------------------------------------------------ lookups
    def _attempts(self, target: Target) -> Lookup | None:
        """Try a target up to 1 + retries times; None when the job stopped first."""
        for attempt in range(1, self.limits.retries + 2):
            if not self._rate.wait(self.stop):
                return None
            lookup = self.enricher.lookup(target, self.run_info.observed_at)
            lookup.attempts = attempt
            if not lookup.transient or attempt > self.limits.retries:
                return lookup
            delay = self.limits.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
            if self.stop.wait(delay):
                return None
        raise AssertionError("unreachable")  # pragma: no cover

    def run(self, targets: Iterable[Target]) -> JobSummary:
        """Look every target up, record each outcome, and return the summary."""
        started = time.perf_counter()
        todo = list(targets)
        self.summary.planned = self.log.total = len(todo)
        self._plan(todo)
        pending = iter(todo)
        buffer: list[Lookup] = []
        last_commit = time.monotonic()
        window = self.limits.concurrency * 2
        with ThreadPoolExecutor(self.limits.concurrency, thread_name_prefix=f"enrich-{self.enricher.job}") as pool:
            inflight: set[Future[Lookup | None]] = set()
            while True:
                while not self.stop.is_set() and len(inflight) < window:
                    target = next(pending, None)
                    if target is None:
                        break
                    inflight.add(pool.submit(self._attempts, target))
                if not inflight:
                    break
                try:
                    finished, inflight = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self.stop.set()
                    continue
                buffer.extend(lookup for f in finished if (lookup := f.result()) is not None)
                if len(buffer) >= self.limits.chunk or time.monotonic() - last_commit >= self.limits.chunk_seconds:
                    self._commit(buffer)
                    buffer, last_commit = [], time.monotonic()
        self._commit(buffer)
        self.summary.interrupted = self.stop.is_set() and self.log.done < len(todo)
        self._write_run_state("interrupted" if self.summary.interrupted else "finished")
        self.summary.nodes = self.ingestor.summary.nodes
        self.summary.edges = self.ingestor.summary.edges
        self.summary.rejected = self.ingestor.summary.rejected
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    # ------------------------------------------------------------ writing
    def _commit(self, lookups: list[Lookup]) -> None:
        """Write a chunk: records first, then the outcomes that mark the targets done."""
        if not lookups:
            return
        for record in self._once_per_run([r for lookup in lookups for r in lookup.records]):
            self.ingestor.add(record)
        self.ingestor.flush()
        observed_at = self.run_info.observed_at
        for lookup in lookups:
            self.ingestor.add(outcome_node(self.enricher.job, lookup, run=self.run_info.run, observed_at=observed_at))
        self.ingestor.flush()
        for lookup in lookups:
            self.summary.outcomes[lookup.outcome] += 1
            if lookup.answered:
                self.summary.answered += 1
            else:
                self.summary.failed += 1
            self.log.target(lookup)

    def _once_per_run(self, records: list[Record]) -> list[Record]:
        """Fold duplicate edges to one observation; edges this run already wrote get ``count`` 0.

        A history service's edges keep their own times and count, and get ``count`` 0 when this
        source already holds them (a second run of the job adds no count).
        """
        if self.enricher.history:
            return self._history_once(records)
        edges: dict[tuple[str, str, str, str, str], Edge] = {}
        others: list[Record] = []
        for record in records:
            if not isinstance(record, Edge):
                others.append(record)
                continue
            slot = (record.type, record.src_label, record.src_key, record.dst_label, record.dst_key)
            props = {**record.props, "count": 1}
            if slot in edges:
                merge_into(edges[slot].props, props, RELS[record.type].props)
                edges[slot].props["count"] = 1
            else:
                edges[slot] = Edge(*slot, props=props)
        groups: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        for rel, src_label, src, dst_label, dst in edges:
            groups.setdefault((rel, src_label, dst_label), []).append({"src": src, "dst": dst})
        for (rel, src_label, dst_label), pairs in groups.items():
            written = self.store.read(
                f"UNWIND $pairs AS p MATCH (a:{src_label})-[e:{rel}]->(b:{dst_label}) "
                "WHERE a.key = p.src AND b.key = p.dst AND e.last_seen = $t AND $source IN e.sources "
                "RETURN a.key AS src, b.key AS dst",
                {"pairs": pairs, "t": self.run_info.observed_at, "source": self.source},
            )
            for row in written:
                edges[(rel, src_label, row["src"], dst_label, row["dst"])].props["count"] = 0
        return [*others, *edges.values()]

    def _history_once(self, records: list[Record]) -> list[Record]:
        edges = [r for r in records if isinstance(r, Edge)]
        groups: dict[tuple[str, str, str], list[Edge]] = {}
        for edge in edges:
            groups.setdefault((edge.type, edge.src_label, edge.dst_label), []).append(edge)
        for (rel, src_label, dst_label), group in groups.items():
            held = {(row["src"], row["dst"]) for row in self.store.read(
                f"UNWIND $pairs AS p MATCH (a:{src_label})-[e:{rel}]->(b:{dst_label}) "
                "WHERE a.key = p.src AND b.key = p.dst AND $source IN e.sources RETURN a.key AS src, b.key AS dst",
                {"pairs": [{"src": e.src_key, "dst": e.dst_key} for e in group], "source": self.source})}
            for edge in group:
                if (edge.src_key, edge.dst_key) in held:
                    edge.props["count"] = 0
        return records

    def _plan(self, targets: list[Target]) -> None:
        """Record every target as pending, then the run as running: a resumed run finds exactly these."""
        info = self.run_info
        for target in targets:
            pending = Lookup(target, PENDING, f"planned by run {info.run}", attempts=0)
            self.ingestor.add(outcome_node(self.enricher.job, pending, run=info.run, observed_at=info.observed_at))
        self.ingestor.flush()
        self._write_run_state("running")

    def _write_run_state(self, state: str) -> None:
        info = self.run_info
        self.ingestor.add(
            entity(
                "Enrichment",
                run_key(self.enricher.job),
                job=self.enricher.job,
                outcome=state,
                run=info.run,
                selection=info.selection,
                checked_at=info.observed_at,
            )
        )
        self.ingestor.flush()
