"""Before a job runs: what was asked for, which run it belongs to, and the plan it shows first."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from graphpivot.enrich.base import Enricher, Target
from graphpivot.enrich.joblog import JobLog
from graphpivot.enrich.runner import RunInfo, open_run
from graphpivot.enrich.selection import (
    BUILTIN,
    IndicatorInfrastructure,
    Plan,
    explicit_targets,
    fresh_targets,
    pending_targets,
    plan,
    reference_only,
    selection_query,
    targets_from_rows,
)
from graphpivot.store.base import GraphStore

PLAN_SHOWN = 10


@dataclass
class JobRequest:
    """What the analyst asked a job to touch, and how carefully."""

    targets: list[str] = field(default_factory=list)  # built-in selections
    select: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    column: str | None = None
    explicit: list[str] = field(default_factory=list)
    active: bool = False
    allow_private: bool = False
    max_age: int = 0  # seconds; 0 = enrich again whatever the age
    limit: int | None = None
    ports: tuple[int, ...] = ()

    def signature(self, job: str) -> str:
        """What makes two invocations the same run (a killed one resumes only the same request)."""
        return json.dumps(
            [job, sorted(self.targets), self.select, sorted(self.params.items()), self.column,
             sorted(self.explicit), self.active, self.allow_private, list(self.ports), self.limit]
        )


def candidates(store: GraphStore, labels: tuple[str, ...], request: JobRequest, timeout: float) -> list[Target]:
    """Every target the request names; raises InvalidValue or QueryError with the reason."""
    found = explicit_targets(request.explicit, labels)
    queries = [(mode, {"kinds": ",".join(labels)}) for mode in request.targets]
    if request.select:
        queries.append((request.select, request.params))
    for name, raw in queries:
        query = selection_query(name)
        rows = store.read(query.cypher_for(store.engine), query.bind(raw), timeout)
        if name in BUILTIN:
            rows = [r for r in rows if not reference_only(r.get("sources"))]
        found += targets_from_rows(rows, labels, request.column if name == request.select else None)
    if request.ports:
        found = [Target(t.label, t.key, port) for t in found for port in request.ports]
    return found


def prepare(
    store: GraphStore, enricher: Enricher, request: JobRequest, *, now: int, timeout: float = 60.0
) -> tuple[RunInfo, Plan]:
    """The run (resumed when the same request was cut short) and its plan."""
    run = open_run(store, enricher.job, request.signature(enricher.job), now)
    if run.resumed:
        return run, Plan(targets=pending_targets(store, enricher.job, run.run))
    return run, plan(
        candidates(store, enricher.labels, request, timeout),
        indicators=None if request.active or not enricher.touches_targets else IndicatorInfrastructure(store),
        fresh=fresh_targets(store, enricher.job, now - request.max_age) if request.max_age else set(),
        allow_private=request.allow_private,
        limit=request.limit,
    )


def show_plan(log: JobLog, enricher: Enricher, the_plan: Plan, run: RunInfo, *, active: bool) -> None:
    """Say what will be contacted, for how many targets, and what is left alone and why."""
    if not enricher.touches_targets:
        mode = "passive (the service answers from its own records; nothing reaches the targets)"
    else:
        mode = "ACTIVE (touches indicator infrastructure)" if active else "passive"
    verb = f"resuming run {run.run}" if run.resumed else f"run {run.run}"
    log.event(
        "plan",
        f"{verb}, {mode}: {enricher.describe()}; {len(the_plan.targets)} target(s)",
        run=run.run,
        resumed=run.resumed,
        active=active,
        targets=len(the_plan.targets),
        skipped={reason: len(ts) for reason, ts in the_plan.skipped.items()},
        contacts=enricher.describe(),
    )
    if the_plan.targets:
        more = len(the_plan.targets) - PLAN_SHOWN
        shown = ", ".join(t.ref for t in the_plan.targets[:PLAN_SHOWN]) + (f" and {more} more" if more > 0 else "")
        log.event("plan-targets", f"  targets: {shown}", first=[t.ref for t in the_plan.targets[:PLAN_SHOWN]])
    for reason, skipped in the_plan.skipped.items():
        names = ", ".join(t.ref for t in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        log.event("plan-skip", f"  skipped {len(skipped)}: {reason} ({names})", reason=reason, count=len(skipped))
