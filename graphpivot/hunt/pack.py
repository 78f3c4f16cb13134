"""The AN2028 hunt pack: exposure to every indicator, the web-service hunts, and the blind spots."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graphpivot.config import HUNT_DEFAULTS
from graphpivot.hunt.blindspots import BlindSpots, blind_spots
from graphpivot.hunt.exposure import Exposure
from graphpivot.hunt.model import ExposureResult, Finding, Options
from graphpivot.hunt.runner import QueryRun, Runner
from graphpivot.hunt.triage import apply_marks, read_marks
from graphpivot.hunt.vocabulary import Strength
from graphpivot.hunt.webservice_leads import Lead, web_service_leads

NEW_USE_DAYS = HUNT_DEFAULTS.new_use_days  # default first-seen window: the last days of telemetry


@dataclass
class HostSummary:
    """Everything the hunt says about one host, for ranking hosts rather than rows."""

    host: str
    strength: Strength
    confidence: float
    findings: int
    leads: int
    evidence: list[str]
    indicators: list[str]
    first_seen: int
    last_seen: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "strength": self.strength.label,
            "strength_rank": int(self.strength),
            "confidence": self.confidence,
            "findings": self.findings,
            "leads": self.leads,
            "evidence": self.evidence,
            "indicators": self.indicators,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


@dataclass
class HuntResult:
    engine: str
    options: Options
    new_since: int
    new_until: int
    exposure: ExposureResult
    leads: list[Lead]
    blind: BlindSpots
    runs: list[QueryRun]
    generated_at: int = field(default_factory=lambda: int(time.time()))
    marked: list[Finding] = field(default_factory=list)  # hidden by a false-positive or benign triage mark

    @property
    def findings(self) -> list[Finding]:
        return self.exposure.findings

    def hosts(self) -> list[HostSummary]:
        """Hosts ranked by their strongest finding or lead, then confidence."""
        items: dict[str, list[Finding | Lead]] = defaultdict(list)
        everything: list[Finding | Lead] = [*self.findings, *self.leads]
        for item in everything:
            items[item.host].append(item)
        summaries = []
        for host, found in items.items():
            best = max(found, key=lambda i: (i.strength, i.confidence))
            summaries.append(
                HostSummary(
                    host=host,
                    strength=best.strength,
                    confidence=best.confidence,
                    findings=sum(isinstance(i, Finding) for i in found),
                    leads=sum(isinstance(i, Lead) for i in found),
                    evidence=sorted({i.evidence if isinstance(i, Finding) else i.hunt for i in found}),
                    indicators=sorted({i.indicator for i in found if isinstance(i, Finding)}),
                    first_seen=min(i.first_seen for i in found),
                    last_seen=max(i.last_seen for i in found),
                )
            )
        return sorted(summaries, key=lambda s: (-int(s.strength), -s.confidence, -s.last_seen, s.host))


def run_hunt(
    runner: Runner,
    options: Options,
    *,
    seeds: list[str] | None = None,
    all_indicators: bool = True,
    new_since: int | None = None,
    new_until: int | None = None,
) -> HuntResult:
    """Exposure (every indicator by default), blind spots, then the web-service hunts.

    The first-seen hunt looks at ``new_since..new_until``; by default the last
    :data:`NEW_USE_DAYS` days of telemetry.
    """
    exposure = Exposure(runner, options).run(seeds or [], all_indicators=all_indicators)
    exposure.findings, marked = apply_marks(exposure.findings, read_marks(runner.store), int(time.time()))
    blind = blind_spots(runner, exposure, options)
    span = blind.span
    end = new_until if new_until is not None else (span[1] if span else options.until)
    start = new_since if new_since is not None else max(options.since, end - NEW_USE_DAYS * 86400)
    leads = web_service_leads(runner, options, new_since=start, new_until=end)
    return HuntResult(runner.store.engine, options, start, end, exposure, leads, blind, list(runner.runs),
                      marked=marked)
