"""The hunt's data: run options, observations (one hunt row each), pivots, grades, findings and results."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from graphpivot.attack import describe
from graphpivot.canonical import InvalidValue
from graphpivot.catalog import FOREVER
from graphpivot.config import HUNT_DEFAULTS
from graphpivot.hunt.intel import Intel
from graphpivot.hunt.vocabulary import HUNT_EVIDENCE, Strength
from graphpivot.model import entity


class ExposureError(ValueError):
    """A seed that is not an indicator graphpivot can read, or a bad option."""


@dataclass
class Options:
    """Knobs of an exposure run (CLI flags; defaults from :data:`graphpivot.config.HUNT_DEFAULTS`)."""

    since: int = 0
    until: int = FOREVER
    expand: bool = False
    max_fanout: int = HUNT_DEFAULTS.max_fanout
    tolerance: int = HUNT_DEFAULTS.tolerance
    rare_hosts: int = HUNT_DEFAULTS.rare_hosts
    rare_population: int = HUNT_DEFAULTS.rare_population
    upload_bytes: int = HUNT_DEFAULTS.upload_bytes
    # Prevalence thresholds, relative to the active population (hosts with any telemetry in the window):
    # rare = at most max(1, rare_share x population) hosts, capped at rare_hosts; common = at least
    # common_share x population. Neither applies below rare_population active hosts.
    rare_share: float = 0.05
    common_share: float = 0.2
    # An IP more domains than this resolve to is shared hosting: a flow to it alone says nothing.
    shared_ip_degree: int = 20

    def rare_limit(self, population: int) -> int:
        return min(self.rare_hosts, max(1, int(self.rare_share * population)))

    def common_limit(self, population: int) -> int:
        return max(2, math.ceil(self.common_share * population))


@dataclass(frozen=True)
class Pivot:
    """How ``expand`` reached a piece of infrastructure from a seed indicator."""

    seed: str
    stage: int
    via: tuple[str, ...]
    via_kinds: tuple[str, ...]
    max_degree: int
    min_degree: int = -1  # the most dedicated tied route's degree (stage 1); -1: unknown, use max_degree

    @property
    def best_degree(self) -> int:
        return self.max_degree if self.min_degree < 0 else self.min_degree


@dataclass
class Observation:
    """One hunt row: a host's edge that reached (or led to) an indicator."""

    host: str
    indicator: str
    indicator_kind: str
    evidence: str
    hunt: str
    rel: str
    touched: str
    url: str = ""
    hops: int = 0
    first_seen: int = 0
    last_seen: int = 0
    count: int = 0
    bytes_out: int = 0
    telemetry: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # raw-event ids kept on the edge (uid, flow_id, FILE:LINE)
    service: str = ""
    degree: int = 0
    users: int = 0
    pivot: Pivot | None = None
    # Filled in by the exposure run from the reference data and telemetry (entity-lists, prevalence).
    lists: tuple[str, ...] = ()
    meanings: frozenset[str] = frozenset()
    noise: str = ""
    prevalence: int | None = None  # distinct internal hosts that used the touched name/IP/fingerprint
    site_prevalence: int | None = None  # ... any name of its registered domain
    registered_domain: str = ""
    hub_via: str = ""  # a listed or noise attribute the pivot crossed
    ports: tuple[int, ...] = ()  # a flow's responder ports and protocols (flow-channels), for its ATT&CK
    protocols: tuple[str, ...] = ()
    queried: str = ""  # the key the hunt was run with (a URL's site, a pivot's reached name): its re-run link

    @classmethod
    def from_row(cls, hunt: str, row: dict[str, Any], **override: Any) -> Observation:
        values = {
            "queried": row["indicator"],
            "host": row["host"],
            "indicator": row["indicator"],
            "indicator_kind": row["indicator_kind"],
            "evidence": HUNT_EVIDENCE.get(hunt, ""),
            "hunt": hunt,
            "rel": row["rel"],
            "touched": row["touched"],
            "url": row.get("url") or "",
            "hops": int(row.get("hops") or 0),
            "first_seen": int(row["first_seen"]),
            "last_seen": int(row["last_seen"]),
            "count": int(row.get("count") or 0),
            "bytes_out": int(row.get("bytes_out") or 0),
            "telemetry": list(row.get("telemetry") or []),
            "events": list(row.get("events") or []),
            "service": row.get("service") or "",
            "degree": int(row.get("degree") or 0),
            "users": int(row.get("users") or 0),
        }
        values.update(override)
        return cls(**values)

    @property
    def touched_kind(self) -> str:
        if self.rel == "USED_CLIENT":
            return "Fingerprint"
        if self.indicator_kind == "URL" and self.touched == self.indicator:
            return "URL"
        return _host_kind(self.touched)


def _host_kind(key: str) -> str:
    try:
        return entity("IP", key).label
    except InvalidValue:
        return "Domain"


@dataclass
class Grade:
    evidence: str
    strength: Strength
    confidence: float
    reasons: list[str]

@dataclass
class Finding:
    """One host and one indicator, with the best evidence between them and everything else seen."""

    host: str
    indicator: str
    indicator_kind: str
    evidence: str
    strength: Strength
    confidence: float
    first_seen: int
    last_seen: int
    path: list[str]
    sources: list[str]
    telemetry: list[str]
    threats: list[str]
    attack: list[str]
    touched: list[str]
    reasons: list[str]
    count: int
    bytes_out: int
    observations: int
    hunts: list[str]
    valid_from: int | None = None
    valid_until: int | None = None
    pivot: Pivot | None = None
    # Raw-event ids of its observations (the smallest kept, as on the edges): what to pull from the SIEM.
    events: list[str] = field(default_factory=list)
    query_id: str = ""
    query_params: dict[str, Any] = field(default_factory=dict)
    tlp: str | None = None  # the most restrictive TLP marking of the intel behind it
    # technique -> the stored queries whose rows showed it (the finding's own evidence; ``attack`` is its keys)
    attack_queries: dict[str, list[str]] = field(default_factory=dict)
    # what the intel behind the indicator names (MISP ATT&CK galaxies, STIX attack patterns)
    intel_techniques: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON, CSV and reports."""
        return {
            "host": self.host,
            "indicator": self.indicator,
            "indicator_kind": self.indicator_kind,
            "evidence": self.evidence,
            "strength": self.strength.label,
            "strength_rank": int(self.strength),
            "confidence": self.confidence,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "path": self.path,
            "sources": self.sources,
            "telemetry": self.telemetry,
            "events": self.events,
            "threats": self.threats,
            "attack": self.attack,
            "attack_queries": self.attack_queries,
            "attack_names": {t: describe(t)["name"] for t in self.attack},
            "intel_techniques": [describe(t) for t in self.intel_techniques],
            "touched": self.touched,
            "reasons": self.reasons,
            "count": self.count,
            "bytes_out": self.bytes_out,
            "observations": self.observations,
            "hunts": self.hunts,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "tlp": self.tlp,
            "pivot": None
            if self.pivot is None
            else {
                "seed": self.pivot.seed,
                "stage": self.pivot.stage,
                "via": list(self.pivot.via),
                "via_kinds": list(self.pivot.via_kinds),
                "max_degree": self.pivot.max_degree,
                "min_degree": self.pivot.best_degree,
            },
        }

    def sort_key(self) -> tuple[int, float, int, str, str]:
        return (-int(self.strength), -self.confidence, -self.last_seen, self.host, self.indicator)


@dataclass
class Unchecked:
    """An indicator no exposure hunt can test, and why."""

    kind: str
    key: str
    reason: str


@dataclass
class ExposureResult:
    findings: list[Finding]
    intel: dict[tuple[str, str], Intel]
    unchecked: list[Unchecked]
    outside_window: int
    reached: int
