"""Grading one observation: evidence kind, strength, confidence and the reasons (pure, unit-tested).

The rules, in the order they apply (docs/hunting.md says the same in prose):

1. The evidence kind gives the base strength (``EVIDENCE_STRENGTH``). Evidence that crossed
   shared infrastructure is weak: a pivot through a listed or noise attribute or one more than
   ``DEDICATED_DEGREE`` domains use; a DNS answer, server fingerprint or flow to an IP that many
   names share.
2. Reference data on what the host touched: a web-service site or an ``abusable-service`` list
   makes site evidence ``web-service`` (weak); a ``benign-popular`` or ``provider-hub`` list makes
   name/IP evidence weak; ``suspicious-context`` lists are named in the reasons.
3. Internal prevalence: name/IP evidence (and a client fingerprint) that at least
   ``common_share`` of the active hosts share is weak; an exact URL still stands.
4. Intel context (``to_ids`` false, an observable, a suspicious list): an exact match is weak,
   anything else loses a step and is at most low.
5. A weak web-service finding on malicious intel about a catalogued web service (not a list-only
   service) is raised to low by rare internal use (at most ``rare_limit`` hosts; not for another page
   of an indicator URL's site) or a large upload.
"""

from __future__ import annotations

import math

from graphpivot.hunt.intel import Intel
from graphpivot.hunt.model import Grade, Observation, Options
from graphpivot.hunt.vocabulary import (
    ABUSABLE_SERVICE,
    BASE_CONFIDENCE,
    DEDICATED_DEGREE,
    EVIDENCE_STRENGTH,
    EXACT_EVIDENCE,
    LOWERING_MEANINGS,
    NAME_EVIDENCE,
    SITE_EVIDENCE,
    SUSPICIOUS_CONTEXT,
    Strength,
)


def _degree_factor(degree: int) -> float:
    """1 for a dedicated attribute, about 0.5 at 16 domains, about 0.35 at 200."""
    return 1.0 if degree <= 1 else 1.0 / (1.0 + math.log2(degree) / 4.0)


def _lists(obs: Observation) -> str:
    return ", ".join(obs.lists) or "a local list"


def _share(users: int, population: int) -> str:
    return f"{users} of {population} active internal hosts ({100 * users / max(population, 1):.0f}%)"


def _shared(obs: Observation, strength: Strength, options: Options, reasons: list[str]) -> Strength:
    """Rule 1: evidence that crossed shared infrastructure."""
    evidence = obs.evidence
    if evidence == "infrastructure" and obs.pivot is not None:
        if obs.hub_via:
            reasons.append(f"reached through {obs.hub_via}: a hub, not a sibling")
            return Strength.WEAK
        if obs.pivot.best_degree > DEDICATED_DEGREE:
            reasons.append(f"reached through an attribute {obs.pivot.best_degree} domains share: a hub, not a sibling")
            return Strength.WEAK
        reasons.append(f"reached through a dedicated attribute (degree {obs.pivot.best_degree} <= "
                       f"{DEDICATED_DEGREE}, on no list)")
    elif evidence == "dns-answer" and obs.degree > DEDICATED_DEGREE:
        reasons.append(f"{obs.degree} names resolve to the IP: the host may have asked for another tenant")
        return Strength.WEAK
    elif evidence == "server-fingerprint" and obs.degree > DEDICATED_DEGREE:
        reasons.append(f"{obs.degree} servers show this fingerprint: a common TLS stack")
        return Strength.WEAK
    elif evidence in ("exact-ip", "server-certificate") and obs.degree > options.shared_ip_degree:
        reasons.append(f"shared hosting: {obs.degree} domains resolve to {obs.touched}")
        return Strength.WEAK if evidence == "exact-ip" else strength.lowered()
    elif evidence == "dns-answer":
        reasons.append("a DNS answer gave the host the address (no flow to it needed): weaker than a connection")
    elif evidence == "url-domain":
        reasons.append(f"{obs.touched} shares the registered domain of the indicator URL's site, not the site: "
                       "perhaps the same owner, never more than weak")
    return strength


def _reference(obs: Observation, strength: Strength, reasons: list[str]) -> tuple[str, Strength, bool]:
    """Rule 2: web services, warninglists and noise on what the host touched; (evidence, strength, service-like)."""
    evidence, service_like = obs.evidence, False
    if evidence in SITE_EVIDENCE and (obs.service or ABUSABLE_SERVICE in obs.meanings):
        service_like = True
        evidence, strength = "web-service", Strength.WEAK
        what = f"the web service {obs.service}" if obs.service else f"an abusable service ({_lists(obs)})"
        reasons.append(f"{obs.touched} is a domain of {what}: anyone may use it")
    elif evidence in NAME_EVIDENCE and obs.meanings & LOWERING_MEANINGS and strength > Strength.WEAK:
        strength = Strength.WEAK
        meaning = ", ".join(sorted(obs.meanings & LOWERING_MEANINGS))
        reasons.append(f"{obs.touched} is on warninglist {_lists(obs)} ({meaning}): evidence on the name or "
                       "address alone is weak")
    if SUSPICIOUS_CONTEXT in obs.meanings:
        reasons.append(f"{obs.touched} is on warninglist {_lists(obs)} (suspicious-context)")
    if obs.noise:
        reasons.append(f"{obs.touched} is on the noise list: {obs.noise}")
    return evidence, strength, service_like


def _prevalence(obs: Observation, evidence: str, strength: Strength, users: int, population: int,
                options: Options, reasons: list[str]) -> Strength:
    """Rule 3: a name, address or client fingerprint a large share of the active hosts use is no evidence."""
    if population < options.rare_population or strength == Strength.WEAK:
        return strength
    limit = options.common_limit(population)
    site = obs.site_prevalence if evidence in ("subdomain", "url-host", "dns-answer") else None
    if evidence in NAME_EVIDENCE and max(users, site or 0) >= limit:
        which, what = (users, obs.touched) if users >= limit else (site or 0, obs.registered_domain or obs.touched)
        reasons.append(f"common: {_share(which, population)} used {what} (>= {options.common_share:.0%}): "
                       "the name or address alone is no evidence")
        return Strength.WEAK
    if evidence == "client-fingerprint" and users >= limit:
        reasons.append(f"common client: {_share(users, population)} share this fingerprint "
                       f"(>= {options.common_share:.0%})")
        return Strength.WEAK
    return strength


def _context(obs: Observation, intel: Intel, strength: Strength, reasons: list[str]) -> Strength:
    """Rule 4: context intel never makes a finding strong: exact matches weak, the rest at most low."""
    before = strength
    strength = Strength.WEAK if obs.evidence in EXACT_EVIDENCE else min(strength.lowered(), Strength.LOW)
    why = "; ".join(intel.context_why[:2]) or (
        "intel lists it as suspicious (a service or provider), not as malicious" if intel.suspicious
        else "intel gives it as context, not as an indicator")
    reasons.append(f"{why}: context never makes a finding strong" if strength < before else why)
    return strength


def _raised(obs: Observation, users: int, population: int, options: Options, context: bool,
            reasons: list[str]) -> bool:
    """Rule 5: rare use or a large upload raises a weak web-service finding on malicious intel."""
    raised = []
    rare = options.rare_limit(population)
    if 0 < users <= rare and population >= options.rare_population:
        raised.append(f"rare: {_share(users, population)} use it (<= {rare})")
    if obs.bytes_out >= options.upload_bytes:
        raised.append(f"large upload: {obs.bytes_out:,} bytes out")
    if raised and not context:
        reasons.extend(raised)
        return True
    if raised:
        reasons.append(f"{'; '.join(raised)}, but the intel is context only: not raised")
    return False


def grade(obs: Observation, intel: Intel, *, population: int, options: Options) -> Grade:
    """Evidence kind, strength, confidence and the reasons for them, for one observation."""
    reasons: list[str] = []
    users = obs.prevalence if obs.prevalence is not None else obs.users
    strength = _shared(obs, EVIDENCE_STRENGTH[obs.evidence], options, reasons)
    evidence, strength, service_like = _reference(obs, strength, reasons)
    strength = _prevalence(obs, evidence, strength, users, population, options, reasons)
    context = intel.context or intel.suspicious
    if context:
        strength = _context(obs, intel, strength, reasons)
    # Only a catalogued web service (its abuse known: C2, exfil, staging) is raised: a list only says anyone
    # may use the site. Another page of an indicator URL's site is raised by an upload, not by rare use:
    # the URL is what intel names.
    raisable = service_like and bool(obs.service)
    rare_counts = obs.evidence != "url-host"
    if strength == Strength.WEAK and raisable and _raised(obs, users if rare_counts else 0, population, options,
                                                          context, reasons):
        strength = Strength.LOW
    confidence = BASE_CONFIDENCE[strength]
    degree = obs.pivot.best_degree if obs.pivot else obs.degree
    if degree > 1:
        confidence *= _degree_factor(degree)
        reasons.append(f"pivot degree {degree}: that many domains share it")
    if obs.pivot and obs.pivot.stage > 1:
        confidence *= 0.75
        reasons.append("reached in the second expansion stage")
    if evidence == "client-fingerprint" and users > options.rare_hosts:
        confidence *= _degree_factor(users)
        reasons.append(f"{users} internal hosts share this client fingerprint")
    if intel.confidence is not None:
        confidence *= min(1.0, max(0.3, intel.confidence / 100))
        reasons.append(f"intel confidence {intel.confidence}")
    return Grade(evidence, strength, round(confidence, 3), reasons)
