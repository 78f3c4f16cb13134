"""Exposure: which internal hosts touched indicator infrastructure, and how sure we are.

The ``exposure-*`` stored hunts return one row per piece of evidence (a host's DNS
query, HTTP request, flow or TLS client fingerprint that reached an indicator).
Here each row is graded and the rows are folded into one finding per
(host, indicator). Evidence strength, strongest first:

1. *very strong*: the exact URL, or the client fingerprint of the malware;
2. *strong*: the exact domain or IP;
3. *medium*: a name under an indicator domain, or the site of an indicator URL (matched from the
   URL's text, so a URL no telemetry logged still finds the hosts that reached its site);
4. *pivot*: infrastructure reached from an indicator through a dedicated attribute
   (``--expand``: shared IP at overlapping times, name server, certificate, ...; degree
   2-5 and on no list); through a hub or a listed attribute it stays *weak*;
5. *low*: a weak web-service finding raised by rare internal use or a large upload;
6. *weak*: a popular or abusable service, a name everyone uses, intel context, another name of an
   indicator URL's registered domain.

Before grading, every observation learns what the reference data says about what the
host touched (warninglists, noise, web service: ``entity-lists``) and how many internal
hosts used it in the window (``prevalence``); :mod:`graphpivot.hunt.grading` has the rules.

Confidence (0..1) starts from the strength and drops with the pivot degree (how
many domains share the IP or attribute crossed), with a stage-2 expansion, with
a client fingerprint many internal hosts share, and with the intel's own confidence.
Evidence counts only inside the indicator's validity window (MENTIONS
``valid_from``/``valid_until``), and first/last seen are clipped to it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from graphpivot.attack import covers
from graphpivot.canonical import InvalidValue, registered_domain, url_host
from graphpivot.hunt.blindspots import CHANNELS
from graphpivot.hunt.evidence import evidence_path
from graphpivot.hunt.grading import grade
from graphpivot.hunt.intel import Intel, intel_from_rows
from graphpivot.hunt.model import ExposureError, ExposureResult, Finding, Grade, Observation, Options, Pivot, Unchecked
from graphpivot.hunt.runner import Runner
from graphpivot.hunt.vocabulary import (
    CHANNEL_ATTACK,
    EXPAND_LIMIT,
    EXPAND_QUERY,
    FINGERPRINT_PREFIXES,
    KIND_HUNTS,
    REACHED_HUNTS,
    SEED_SOURCE,
    SUSPICIOUS_CONTEXT,
    WEB_SERVICE_ATTACK,
    flow_attack,
)
from graphpivot.merge import sample
from graphpivot.model import entity, indicator_node

FACT_KINDS = ("Domain", "IP", "Certificate", "Fingerprint", "Email")


@dataclass(frozen=True)
class Facts:
    """What the reference data says about one entity (an ``entity-lists`` row)."""

    lists: tuple[str, ...] = ()
    meanings: frozenset[str] = frozenset()
    noise: str = ""
    service: str = ""
    degree: int = 0
    registered_domain: str = ""

    @property
    def listed(self) -> bool:
        """On any list: as an attribute crossed by expand, a hub whatever its local degree."""
        return bool(self.lists or self.noise)

    @property
    def shared(self) -> bool:
        """A service, popular name or shared front end: never an expansion seed (a cloud range still may be)."""
        return bool(self.service or self.noise or self.meanings - {SUSPICIOUS_CONTEXT})

    def why(self, key: str) -> str:
        if self.lists:
            return f"{key} (on warninglist {', '.join(self.lists)})"
        return f"{key} (noise: {self.noise})"


def parse_seed(text: str) -> tuple[str, str]:
    """(kind, canonical key) of a seed given on the command line: URL, IP, domain or ``ja3:<md5>``."""
    value = text.strip()
    try:
        is_fingerprint = value.lower().startswith(FINGERPRINT_PREFIXES)
        node = entity("Fingerprint", value) if is_fingerprint else indicator_node(value)
    except InvalidValue as exc:
        raise ExposureError(f"seed {text!r} is not a URL, IP, domain or fingerprint: {exc}") from None
    return node.label, node.key


def channel(obs: Observation) -> str:
    """How the host reached what it touched: ``dns``, ``http``, ``tls``, ``client`` or ``flow``."""
    if obs.rel == "QUERIED":
        return "dns"
    if obs.rel == "REQUESTED":
        return "http"
    if obs.rel == "USED_CLIENT":
        return "client"
    return "flow" if obs.touched_kind == "IP" else "tls"


class Exposure:
    """One exposure run over a store: indicators in, graded findings out."""

    def __init__(self, runner: Runner, options: Options | None = None) -> None:
        self.runner = runner
        self.options = options or Options()
        self._population: int | None = None
        self.skipped_seeds: list[str] = []

    # ------------------------------------------------------------ indicators
    def load_intel(self, seeds: list[tuple[str, str]], *, all_indicators: bool) -> dict[tuple[str, str], Intel]:
        """Intel for the seeds (unknown seeds get an open window) and, optionally, every flagged indicator
        and every value a report mentions (context: shown, weak, so nothing that touches intel is dropped)."""
        wanted = set(seeds)
        keys = sorted({key for _, key in seeds})
        rows = self.runner.run_chunked("indicator-intel", "indicators", keys, {"all_indicators": False})
        if all_indicators:
            rows += self.runner.run("indicator-intel", {"all_indicators": True})
        intel = {
            slot: item
            for slot, item in intel_from_rows(rows).items()
            if slot in wanted or (all_indicators and (item.flagged or item.reports))
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
        return observations + self.url_sites(sorted(key for (kind, key) in intel if kind == "URL"))

    def url_sites(self, urls: list[str]) -> list[Observation]:
        """Hosts that reached an indicator URL's site (``url-host``) or another name of the site's registered
        domain (``url-domain``), found from the URL's text: the URL itself need not be in the graph."""
        sites: dict[tuple[str, str], list[str]] = defaultdict(list)
        for url in urls:
            sites[url_host(url)].append(url)
        observations: list[Observation] = []
        for label, hunt in REACHED_HUNTS.items():
            keys = sorted(key for (kind, key) in sites if kind == label)
            for row in self.runner.run_chunked(hunt, "indicators", keys, self._time()):
                for url in sites[(label, row["indicator"])]:
                    if row.get("url") != url:  # the exact URL is exposure-url's evidence
                        observations.append(Observation.from_row(
                            hunt, row, indicator=url, indicator_kind="URL", evidence="url-host"))
        return observations + self._registered_domains(
            {url: key for (kind, key), group in sites.items() if kind == "Domain" for url in group})

    def _registered_domains(self, site_of: dict[str, str]) -> list[Observation]:
        """``url-domain`` rows: other names under each site's registered domain, unless the site or that domain
        is a service, popular or shared (every user of the provider would match)."""
        parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for url, site in site_of.items():
            if parent := registered_domain(site):
                parents[parent].append((url, site))
        facts = self.facts(set(parents) | set(site_of.values()))
        parents = {parent: [(url, site) for url, site in group if not facts.get(site, Facts()).shared]
                   for parent, group in parents.items() if not facts.get(parent, Facts()).shared}
        observations: list[Observation] = []
        for hunt in ("exposure-domain", "exposure-subdomain"):
            keys = sorted(p for p, group in parents.items()
                          if group and (hunt == "exposure-subdomain" or any(site != p for _, site in group)))
            for row in self.runner.run_chunked(hunt, "indicators", keys, self._time()):
                for url, site in parents[row["indicator"]]:
                    if row["touched"] != site:
                        observations.append(Observation.from_row(
                            hunt, row, indicator=url, indicator_kind="URL", evidence="url-domain"))
        return observations

    def expanded(self, intel: dict[tuple[str, str], Intel]) -> tuple[list[Observation], int]:
        """Observations of hosts touching what ``expand`` reached from Domain and IP indicators."""
        candidates = {key: kind for (kind, key), item in intel.items() if kind in REACHED_HUNTS and not item.context}
        seed_facts = self.facts(set(candidates))
        # Seeds are indicators only: never context, a web service, a popular or shared listed name or address,
        # or noise. A dedicated address in a cloud range (suspicious-context) is still a seed.
        seed_kind = {key: kind for key, kind in candidates.items() if not seed_facts.get(key, Facts()).shared}
        self.skipped_seeds = sorted(set(candidates) - set(seed_kind))
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
                int(row["min_degree"]) if row.get("min_degree") is not None else -1,
            )
            known = best[(kind, key)].get(pivot.seed)
            if known is None or (pivot.stage, pivot.best_degree) < (known.stage, known.best_degree):
                best[(kind, key)][pivot.seed] = pivot
        crossed = self.facts({via for pivots in best.values() for p in pivots.values() for via in p.via})
        observations: list[Observation] = []
        for kind, hunt in REACHED_HUNTS.items():
            keys = sorted(key for (k, key) in best if k == kind)
            for row in self.runner.run_chunked(hunt, "indicators", keys, self._time()):
                for pivot in best[(kind, row["indicator"])].values():
                    hubs = [crossed[v].why(v) for v in pivot.via if v in crossed and crossed[v].listed]
                    if len(hubs) < len(pivot.via) and pivot.stage == 1:
                        hubs = []  # another tied route crosses no list: a sibling's route, not only a hub's
                    observations.append(
                        Observation.from_row(
                            hunt,
                            row,
                            indicator=pivot.seed,
                            indicator_kind=seed_kind[pivot.seed],
                            evidence="infrastructure",
                            pivot=pivot,
                            hub_via=", ".join(hubs),
                        )
                    )
        return observations, len(best)

    def facts(self, keys: set[str]) -> dict[str, Facts]:
        """Reference data about these keys (any kind)."""
        out: dict[str, Facts] = {}
        for row in self.runner.run_chunked("entity-lists", "keys", sorted(keys), {}):
            out[str(row["key"])] = Facts(
                tuple(row.get("lists") or ()),
                frozenset(row.get("list_meanings") or ()),
                str(row["noise_reason"] or "noise") if row.get("noise") else "",
                str(row.get("service") or ""),
                int(row.get("degree") or 0),
                str(row.get("registered_domain") or ""),
            )
        return out

    def prevalence(self, scopes: dict[str, set[str]]) -> dict[tuple[str, str], int]:
        """Distinct internal hosts per (scope, key) in the window: scopes domains, registered, ips, fingerprints."""
        hosts: dict[tuple[str, str], set[str]] = defaultdict(set)
        empty: dict[str, Any] = {"domains": [], "registered": [], "ips": [], "fingerprints": []}
        for param, keys in scopes.items():
            for row in self.runner.run_chunked("prevalence", param, sorted(keys), {**empty, **self._time()}):
                hosts[(str(row["scope"]), str(row["key"]))].add(str(row["host"]))
        return {slot: len(users) for slot, users in hosts.items()}

    def annotate(self, observations: list[Observation]) -> None:
        """Give each observation the reference data and the internal prevalence of what the host touched."""
        if not observations:
            return
        facts = self.facts({o.touched for o in observations})
        scopes: dict[str, set[str]] = {"domains": set(), "registered": set(), "ips": set(), "fingerprints": set()}
        for obs in observations:
            kind = obs.touched_kind
            if kind == "Domain":
                scopes["domains"].add(obs.touched)
                rd = facts.get(obs.touched, Facts()).registered_domain
                if rd:
                    scopes["registered"].add(rd)
            elif kind == "IP":
                scopes["ips"].add(obs.touched)
            elif kind == "Fingerprint" and obs.rel == "USED_CLIENT":
                scopes["fingerprints"].add(obs.touched)
        counts = self.prevalence(scopes)
        scope_of = {"Domain": "domain", "IP": "ip", "Fingerprint": "fingerprint"}
        for obs in observations:
            fact = facts.get(obs.touched, Facts())
            obs.lists, obs.meanings, obs.noise = fact.lists, fact.meanings, fact.noise
            obs.registered_domain = fact.registered_domain
            obs.service = obs.service or fact.service
            scope = scope_of.get(obs.touched_kind)
            if scope is not None and (scope != "fingerprint" or obs.rel == "USED_CLIENT"):
                obs.prevalence = counts.get((scope, obs.touched), 0)
            if fact.registered_domain:
                obs.site_prevalence = counts.get(("registered", fact.registered_domain), 0)

    def flow_channels(self, observations: list[Observation]) -> None:
        """Give each flow observation its ports and protocols (``flow-channels``), which its ATT&CK reads."""
        flows = [o for o in observations if channel(o) == "flow"]
        if not flows:
            return
        ports: dict[tuple[str, str], set[int]] = defaultdict(set)
        protocols: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in self.runner.run_chunked("flow-channels", "indicators", sorted({o.touched for o in flows}),
                                           self._time()):
            slot = (str(row["host"]), str(row["ip"]))
            ports[slot].update(int(p) for p in row.get("ports") or [])
            protocols[slot].update(str(p) for p in row.get("protocols") or [])
        for obs in flows:
            obs.ports = tuple(sorted(ports.get((obs.host, obs.touched), ())))
            obs.protocols = tuple(sorted(protocols.get((obs.host, obs.touched), ())))

    def population(self) -> int:
        """Internal hosts with any telemetry in the window (the base for 'rare')."""
        if self._population is None:
            rows = self.runner.run("blind-spots-hosts", self._time())
            self._population = sum(1 for r in rows if any(r.get(c) for c in CHANNELS))
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
        self.annotate(observations)
        self.flow_channels(observations)
        findings, outside = self.fold(observations, intel)
        return ExposureResult(findings, intel, unchecked, outside, reached)

    def fold(self, observations: list[Observation], intel: dict[tuple[str, str], Intel]) -> tuple[list[Finding], int]:
        """Grade each observation inside its window; one finding per (host, indicator)."""
        graded: dict[tuple[str, str, str], list[tuple[Grade, Observation]]] = defaultdict(list)
        outside = 0
        population = self.population() if observations else 0
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

    def techniques(self, obs: Observation) -> list[tuple[str, str]]:
        """(technique, query) pairs one row shows: its query's header ids that the row's channel allows
        (:data:`CHANNEL_ATTACK`), and for a row reached by expansion the expand query's own."""
        kind = channel(obs)
        allowed = flow_attack(obs.ports, obs.protocols) if kind == "flow" else CHANNEL_ATTACK[kind]
        out = [
            (t, obs.hunt)
            for t in self.runner.query(obs.hunt).header.attack
            if any(covers(t, a) or covers(a, t) for a in allowed) and (t != WEB_SERVICE_ATTACK or obs.service)
        ]
        if obs.pivot is not None:
            out += [(t, EXPAND_QUERY) for t in self.runner.query(EXPAND_QUERY).header.attack]
        return out

    def _finding(self, item: Intel, pairs: list[tuple[Grade, Observation]]) -> Finding:
        best_grade, best = max(pairs, key=lambda p: (p[0].strength, p[0].confidence, -p[1].hops))
        hunts = {obs.hunt for _, obs in pairs} | ({EXPAND_QUERY} if any(obs.pivot for _, obs in pairs) else set())
        attack_by: dict[str, set[str]] = defaultdict(set)  # technique -> the queries whose rows show it
        for _, obs in pairs:
            for technique, query in self.techniques(obs):
                attack_by[technique].add(query)
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
            attack=sorted(attack_by),
            attack_queries={t: sorted(q) for t, q in sorted(attack_by.items())},
            intel_techniques=sorted(item.techniques),
            touched=sorted({obs.url or obs.touched for _, obs in pairs}),
            reasons=best_grade.reasons,
            count=sum(obs.count for _, obs in pairs),
            bytes_out=sum(obs.bytes_out for _, obs in pairs),
            observations=len(pairs),
            hunts=sorted(hunts),
            valid_from=item.valid_from,
            valid_until=item.valid_until,
            pivot=best.pivot,
            tlp=item.tlp,
            events=sample(e for _, obs in pairs for e in obs.events),
            query_id=best.hunt,
            query_params={
                "indicators": [best.queried or best.indicator],
                "since": self.options.since,
                "until": self.options.until,
            },
        )
