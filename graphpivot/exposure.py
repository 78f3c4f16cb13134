"""Exposure: which internal hosts touched indicator infrastructure, and how sure we are.

The ``exposure-*`` stored hunts return one row per piece of evidence (a host's DNS
query, HTTP request, flow or TLS client fingerprint that reached an indicator).
Here each row is graded and the rows are folded into one finding per
(host, indicator). Evidence strength, strongest first:

1. *very strong*: the exact URL, or the client fingerprint of the malware;
2. *strong*: the exact domain or IP;
3. *medium*: a name under an indicator domain, or the site of an indicator URL;
4. *low*: infrastructure reached from an indicator through a low-degree attribute
   (``--expand``: shared IP at overlapping times, name server, certificate, ...);
5. *weak*: a popular web-service domain alone, or a service/provider that intel
   lists as "suspicious" rather than malicious (an IP-lookup service, a dynamic-DNS
   provider). Rare internal use and large uploads raise it to *low*.

Confidence (0..1) starts from the strength and drops with the pivot degree (how
many domains share the IP or attribute crossed), with a stage-2 expansion, with
a client fingerprint many internal hosts share, and with the intel's own confidence.
Evidence counts only inside the indicator's validity window (MENTIONS
``valid_from``/``valid_until``), and first/last seen are clipped to it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from graphpivot.canonical import InvalidValue
from graphpivot.catalog import FOREVER
from graphpivot.hunt.runner import Runner
from graphpivot.model import entity, indicator_node


class Strength(IntEnum):
    """How directly the evidence ties the host to the indicator."""

    WEAK = 1
    LOW = 2
    MEDIUM = 3
    STRONG = 4
    VERY_STRONG = 5

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Strength:
        """``weak``, ``low``, ``medium``, ``strong`` or ``very strong`` (also ``very-strong``)."""
        name = text.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[name]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown strength {text!r}; choose one of {choices}") from None


EVIDENCE_STRENGTH: dict[str, Strength] = {
    "exact-url": Strength.VERY_STRONG,
    "client-fingerprint": Strength.VERY_STRONG,
    "exact-domain": Strength.STRONG,
    "exact-ip": Strength.STRONG,
    "subdomain": Strength.MEDIUM,
    "url-host": Strength.MEDIUM,
    "infrastructure": Strength.LOW,
    "web-service": Strength.WEAK,
}
# Which evidence each stored hunt yields, and which hunts check which indicator kind.
HUNT_EVIDENCE = {
    "exposure-url": "exact-url",
    "exposure-fingerprint": "client-fingerprint",
    "exposure-domain": "exact-domain",
    "exposure-ip": "exact-ip",
    "exposure-subdomain": "subdomain",
    "exposure-url-host": "url-host",
}
KIND_HUNTS: dict[str, tuple[str, ...]] = {
    "URL": ("exposure-url", "exposure-url-host"),
    "Fingerprint": ("exposure-fingerprint",),
    "Domain": ("exposure-domain", "exposure-subdomain"),
    "IP": ("exposure-ip",),
}
REACHED_HUNTS = {"Domain": "exposure-domain", "IP": "exposure-ip"}
EXPAND_QUERY = "expand"
EXPAND_LIMIT = 100_000  # rows per chunk of seeds: expansion is hub-capped, so this only guards runaway graphs
# Evidence about a site (not a URL or a client): a web-service site makes it the weakest kind.
SITE_EVIDENCE = frozenset({"exact-domain", "exact-ip", "subdomain", "url-host", "infrastructure"})
BASE_CONFIDENCE = {
    Strength.VERY_STRONG: 0.95,
    Strength.STRONG: 0.85,
    Strength.MEDIUM: 0.65,
    Strength.LOW: 0.45,
    Strength.WEAK: 0.2,
}
# Intel that calls an indicator "suspicious" (a report tag, or a mention context) rather than malicious.
SUSPICIOUS_MARKERS = frozenset({"suspicious", "category: suspicious", "severity: low", "severity: info"})
SEED_SOURCE = "seed"
FINGERPRINT_PREFIXES = ("ja3:", "ja3s:", "ja4:", "ja4s:", "jarm:", "ja3n:", "hassh:")


class ExposureError(ValueError):
    """A seed that is not an indicator graphpivot can read, or a bad option."""


@dataclass
class Options:
    """Knobs of an exposure run (CLI flags)."""

    since: int = 0
    until: int = FOREVER
    expand: bool = False
    max_fanout: int = 200
    tolerance: int = 86400
    rare_hosts: int = 3
    rare_population: int = 20
    upload_bytes: int = 10_000_000


@dataclass
class Intel:
    """What intel says about one indicator: reports, window, threats, and whether it is only 'suspicious'."""

    kind: str
    key: str
    reports: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    threats: set[str] = field(default_factory=set)
    valid_from: int | None = None
    valid_until: int | None = None
    confidence: int | None = None
    suspicious: bool = False
    flagged: bool = False

    def overlaps(self, first: int, last: int) -> bool:
        """Whether ``first..last`` meets the window in which the intel holds."""
        return (self.valid_from is None or last >= self.valid_from) and (
            self.valid_until is None or first <= self.valid_until
        )

    def clip(self, first: int, last: int) -> tuple[int, int]:
        """``first..last`` cut to the window."""
        lo = first if self.valid_from is None else max(first, self.valid_from)
        hi = last if self.valid_until is None else min(last, self.valid_until)
        return lo, hi


def intel_from_rows(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Intel]:
    """Fold ``indicator-intel`` rows (one per indicator and report) into one :class:`Intel` each.

    The window is the hull of the mentions' windows; a mention without ``valid_from``
    (or ``valid_until``) leaves that side open. An indicator is *suspicious* when every
    report that mentions it says so; one malware list is enough to make it malicious.
    """
    intel: dict[tuple[str, str], Intel] = {}
    opened: dict[tuple[str, str], set[str]] = defaultdict(set)
    verdicts: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for row in rows:
        slot = (row["kind"], row["key"])
        item = intel.setdefault(slot, Intel(row["kind"], row["key"]))
        item.flagged = item.flagged or bool(row.get("flagged"))
        item.sources.update(row.get("node_sources") or [])
        if row.get("report") is None:
            continue
        item.reports.add(row["report"])
        if row.get("report_source"):
            item.sources.add(row["report_source"])
        item.threats.update(row.get("threats") or [])
        if row.get("confidence") is not None:
            item.confidence = max(item.confidence or 0, int(row["confidence"]))
        _widen(item, opened[slot], row.get("valid_from"), row.get("valid_until"))
        markers = {str(m).strip().lower() for m in [*(row.get("report_tags") or []), *(row.get("context") or [])]}
        verdicts[slot].append(bool(markers & SUSPICIOUS_MARKERS))
    for slot, item in intel.items():
        item.suspicious = bool(verdicts[slot]) and all(verdicts[slot])
    return intel


def _widen(item: Intel, opened: set[str], valid_from: int | None, valid_until: int | None) -> None:
    if valid_from is None:
        opened.add("from")
    if "from" in opened:
        item.valid_from = None
    elif valid_from is not None:
        item.valid_from = valid_from if item.valid_from is None else min(item.valid_from, valid_from)
    if valid_until is None:
        opened.add("until")
    if "until" in opened:
        item.valid_until = None
    elif valid_until is not None:
        item.valid_until = valid_until if item.valid_until is None else max(item.valid_until, valid_until)


@dataclass(frozen=True)
class Pivot:
    """How ``expand`` reached a piece of infrastructure from a seed indicator."""

    seed: str
    stage: int
    via: tuple[str, ...]
    via_kinds: tuple[str, ...]
    max_degree: int


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
    service: str = ""
    degree: int = 0
    users: int = 0
    pivot: Pivot | None = None

    @classmethod
    def from_row(cls, hunt: str, row: dict[str, Any], **override: Any) -> Observation:
        values = {
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
        if self.rel == "CONNECTED_TO":
            return "IP"
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


def _degree_factor(degree: int) -> float:
    """1 for a dedicated attribute, about 0.5 at 16 domains, about 0.35 at 200."""
    return 1.0 if degree <= 1 else 1.0 / (1.0 + math.log2(degree) / 4.0)


def grade(obs: Observation, intel: Intel, *, population: int, options: Options) -> Grade:
    """Evidence kind, strength, confidence and the reasons for them, for one observation."""
    evidence = obs.evidence
    strength = EVIDENCE_STRENGTH[evidence]
    reasons: list[str] = []
    if obs.service and evidence in SITE_EVIDENCE:
        evidence, strength = "web-service", Strength.WEAK
        reasons.append(f"{obs.touched} is a domain of the web service {obs.service}: everyone may use it")
    elif intel.suspicious and evidence in ("exact-domain", "exact-ip"):
        strength = Strength.WEAK
        reasons.append("intel lists it as suspicious (a service or provider), not as malicious")
    elif intel.suspicious:
        strength = Strength(max(Strength.WEAK, strength - 1))
        reasons.append("intel lists the indicator as suspicious, not as malicious")
    if strength == Strength.WEAK:
        raised = []
        if 0 < obs.users <= options.rare_hosts and population >= options.rare_population:
            raised.append(f"rare: {obs.users} of {population} internal hosts use it")
        if obs.bytes_out >= options.upload_bytes:
            raised.append(f"large upload: {obs.bytes_out:,} bytes out")
        if raised:
            strength = Strength.LOW
            reasons.extend(raised)
    confidence = BASE_CONFIDENCE[strength]
    degree = obs.pivot.max_degree if obs.pivot else obs.degree
    if degree > 1:
        confidence *= _degree_factor(degree)
        reasons.append(f"pivot degree {degree}: that many domains share it")
    if obs.pivot and obs.pivot.stage > 1:
        confidence *= 0.75
        reasons.append("reached in the second expansion stage")
    if evidence == "client-fingerprint" and obs.users > options.rare_hosts:
        confidence *= _degree_factor(obs.users)
        reasons.append(f"{obs.users} internal hosts share this client fingerprint")
    if intel.confidence is not None:
        confidence *= min(1.0, max(0.3, intel.confidence / 100))
        reasons.append(f"intel confidence {intel.confidence}")
    return Grade(evidence, strength, round(confidence, 3), reasons)


def evidence_path(obs: Observation) -> list[str]:
    """Nodes and edges from the host to the indicator, e.g. ``Host:h -QUERIED-> Domain:a.evil.com ...``."""
    path = [f"Host:{obs.host}", f"-{obs.rel}->"]
    if obs.rel == "REQUESTED":
        path.append(f"URL:{obs.url}")
        if obs.touched != obs.url:
            path += ["-ON_HOST->", f"{obs.touched_kind}:{obs.touched}"]
    else:
        path.append(f"{obs.touched_kind}:{obs.touched}")
    labels = obs.touched.split(".")
    for step in range(1, obs.hops + 1):
        path += ["-SUBDOMAIN_OF->", "Domain:" + ".".join(labels[step:])]
    if obs.indicator_kind == "URL" and obs.touched != obs.indicator:
        path += ["<-ON_HOST-", f"URL:{obs.indicator}"]
    if obs.pivot is not None:
        path += _pivot_steps(obs, obs.pivot)
    return path


def _pivot_steps(obs: Observation, pivot: Pivot) -> list[str]:
    """From the reached node back to the seed: the attributes crossed, or the resolution itself."""
    seed = f"{obs.indicator_kind}:{pivot.seed}"
    crossed = [
        f"{kind} {key}"
        for kind, key in reversed(list(zip(pivot.via_kinds, pivot.via, strict=False)))
        if key not in (obs.touched, pivot.seed)
    ]
    if len(pivot.via) > pivot.stage:  # several routes tie: say so rather than draw a chain
        return [f"-[via one of: {', '.join(crossed)}]-", seed]
    if crossed:
        return [*(f"-[{step}]-" for step in crossed), seed]
    # Reached directly over RESOLVES_TO: an IP of a seed domain, or a domain on a seed IP.
    return ["-RESOLVES_TO->" if obs.indicator_kind == "IP" else "<-RESOLVES_TO-", seed]


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
    query_id: str = ""
    query_params: dict[str, Any] = field(default_factory=dict)

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
            "threats": self.threats,
            "attack": self.attack,
            "touched": self.touched,
            "reasons": self.reasons,
            "count": self.count,
            "bytes_out": self.bytes_out,
            "observations": self.observations,
            "hunts": self.hunts,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "pivot": None
            if self.pivot is None
            else {
                "seed": self.pivot.seed,
                "stage": self.pivot.stage,
                "via": list(self.pivot.via),
                "via_kinds": list(self.pivot.via_kinds),
                "max_degree": self.pivot.max_degree,
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


def parse_seed(text: str) -> tuple[str, str]:
    """(kind, canonical key) of a seed given on the command line: URL, IP, domain or ``ja3:<md5>``."""
    value = text.strip()
    try:
        is_fingerprint = value.lower().startswith(FINGERPRINT_PREFIXES)
        node = entity("Fingerprint", value) if is_fingerprint else indicator_node(value)
    except InvalidValue as exc:
        raise ExposureError(f"seed {text!r} is not a URL, IP, domain or fingerprint: {exc}") from None
    return node.label, node.key


class Exposure:
    """One exposure run over a store: indicators in, graded findings out."""

    def __init__(self, runner: Runner, options: Options | None = None) -> None:
        self.runner = runner
        self.options = options or Options()
        self._population: int | None = None

    # ------------------------------------------------------------ indicators
    def load_intel(self, seeds: list[tuple[str, str]], *, all_indicators: bool) -> dict[tuple[str, str], Intel]:
        """Intel for the seeds (unknown seeds get an open window) and, optionally, every flagged indicator."""
        wanted = set(seeds)
        keys = sorted({key for _, key in seeds})
        rows = self.runner.run_chunked("indicator-intel", "indicators", keys, {"all_indicators": False})
        if all_indicators:
            rows += self.runner.run("indicator-intel", {"all_indicators": True})
        intel = {
            slot: item
            for slot, item in intel_from_rows(rows).items()
            if slot in wanted or (all_indicators and item.flagged)
        }
        for slot in seeds:
            item = intel.setdefault(slot, Intel(*slot))
            if not item.reports:
                item.sources.add(SEED_SOURCE)  # nothing but the analyst vouches for it
        return intel

    # ------------------------------------------------------------ evidence
    def _time(self) -> dict[str, Any]:
        return {"since": self.options.since, "until": self.options.until}

    def direct(self, intel: dict[tuple[str, str], Intel]) -> list[Observation]:
        """Observations of hosts touching the indicators themselves."""
        observations: list[Observation] = []
        for kind, hunts in KIND_HUNTS.items():
            keys = sorted(key for (k, key) in intel if k == kind)
            for hunt in hunts:
                for row in self.runner.run_chunked(hunt, "indicators", keys, self._time()):
                    observations.append(Observation.from_row(hunt, row))
        return observations

    def expanded(self, intel: dict[tuple[str, str], Intel]) -> tuple[list[Observation], int]:
        """Observations of hosts touching what ``expand`` reached from Domain and IP indicators."""
        seed_kind = {key: kind for (kind, key) in intel if kind in REACHED_HUNTS}
        params = {
            **self._time(),
            "max_fanout": self.options.max_fanout,
            "tolerance": self.options.tolerance,
            "limit": EXPAND_LIMIT,
        }
        best: dict[tuple[str, str], dict[str, Pivot]] = defaultdict(dict)
        for row in self.runner.run_chunked(EXPAND_QUERY, "seeds", sorted(seed_kind), params):
            kind, key = row["kind"], row["key"]
            if (kind, key) in intel or kind not in REACHED_HUNTS:
                continue  # an indicator itself: its direct evidence is stronger
            pivot = Pivot(
                row["seed"],
                int(row["stage"]),
                tuple(row.get("via") or ()),
                tuple(row.get("via_kinds") or ()),
                int(row.get("max_degree") or 0),
            )
            known = best[(kind, key)].get(pivot.seed)
            if known is None or (pivot.stage, pivot.max_degree) < (known.stage, known.max_degree):
                best[(kind, key)][pivot.seed] = pivot
        observations: list[Observation] = []
        for kind, hunt in REACHED_HUNTS.items():
            keys = sorted(key for (k, key) in best if k == kind)
            for row in self.runner.run_chunked(hunt, "indicators", keys, self._time()):
                for pivot in best[(kind, row["indicator"])].values():
                    observations.append(
                        Observation.from_row(
                            hunt,
                            row,
                            indicator=pivot.seed,
                            indicator_kind=seed_kind[pivot.seed],
                            evidence="infrastructure",
                            pivot=pivot,
                        )
                    )
        return observations, len(best)

    def population(self) -> int:
        """Internal hosts with any telemetry in the window (the base for 'rare')."""
        if self._population is None:
            rows = self.runner.run("blind-spots-hosts", self._time())
            self._population = sum(1 for r in rows if r["dns"] or r["http"] or r["flow"] or r["tls"])
        return self._population

    # ------------------------------------------------------------ the run
    def run(self, seeds: list[str], *, all_indicators: bool = False) -> ExposureResult:
        """Find, grade and fold the evidence for ``seeds`` (and every indicator with ``all_indicators``)."""
        if not seeds and not all_indicators:
            raise ExposureError("give at least one seed, or --all-indicators")
        intel = self.load_intel([parse_seed(s) for s in seeds], all_indicators=all_indicators)
        unchecked = [
            Unchecked(kind, key, f"no telemetry ties internal hosts to a {kind}; pivot from it first")
            for (kind, key) in sorted(intel)
            if kind not in KIND_HUNTS
        ]
        observations = self.direct(intel)
        reached = 0
        if self.options.expand:
            more, reached = self.expanded(intel)
            observations += more
        findings, outside = self.fold(observations, intel)
        return ExposureResult(findings, intel, unchecked, outside, reached)

    def fold(self, observations: list[Observation], intel: dict[tuple[str, str], Intel]) -> tuple[list[Finding], int]:
        """Grade each observation inside its window; one finding per (host, indicator)."""
        graded: dict[tuple[str, str, str], list[tuple[Grade, Observation]]] = defaultdict(list)
        outside = 0
        needs_population = any(
            o.service or intel[(o.indicator_kind, o.indicator)].suspicious for o in observations
        )
        population = self.population() if needs_population else 0
        for obs in observations:
            item = intel[(obs.indicator_kind, obs.indicator)]
            if not item.overlaps(obs.first_seen, obs.last_seen):
                outside += 1
                continue
            obs.first_seen, obs.last_seen = item.clip(obs.first_seen, obs.last_seen)
            obs.first_seen = max(obs.first_seen, self.options.since)
            obs.last_seen = min(obs.last_seen, self.options.until)
            graded[(obs.host, obs.indicator_kind, obs.indicator)].append(
                (grade(obs, item, population=population, options=self.options), obs)
            )
        findings = [self._finding(intel[(kind, ind)], pairs) for (_, kind, ind), pairs in graded.items()]
        return sorted(findings, key=Finding.sort_key), outside

    def _finding(self, item: Intel, pairs: list[tuple[Grade, Observation]]) -> Finding:
        best_grade, best = max(pairs, key=lambda p: (p[0].strength, p[0].confidence, -p[1].hops))
        hunts = {obs.hunt for _, obs in pairs} | ({EXPAND_QUERY} if any(obs.pivot for _, obs in pairs) else set())
        attack = {a for hunt in hunts for a in self.runner.query(hunt).header.attack}
        return Finding(
            host=best.host,
            indicator=item.key,
            indicator_kind=item.kind,
            evidence=best_grade.evidence,
            strength=best_grade.strength,
            confidence=best_grade.confidence,
            first_seen=min(obs.first_seen for _, obs in pairs),
            last_seen=max(obs.last_seen for _, obs in pairs),
            path=evidence_path(best),
            sources=sorted(item.reports or item.sources),
            telemetry=sorted({t for _, obs in pairs for t in obs.telemetry}),
            threats=sorted(item.threats),
            attack=sorted(attack),
            touched=sorted({obs.url or obs.touched for _, obs in pairs}),
            reasons=best_grade.reasons,
            count=sum(obs.count for _, obs in pairs),
            bytes_out=sum(obs.bytes_out for _, obs in pairs),
            observations=len(pairs),
            hunts=sorted(hunts),
            valid_from=item.valid_from,
            valid_until=item.valid_until,
            pivot=best.pivot,
            query_id=best.hunt,
            query_params={
                "indicators": [best.touched if best.pivot else best.indicator],
                "since": self.options.since,
                "until": self.options.until,
            },
        )
