"""Grading one observation: evidence kind, strength, confidence and the reasons (pure, unit-tested)."""

from __future__ import annotations

import math

from graphpivot.hunt.intel import Intel
from graphpivot.hunt.model import Grade, Observation, Options
from graphpivot.hunt.vocabulary import BASE_CONFIDENCE, EVIDENCE_STRENGTH, SITE_EVIDENCE, Strength


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
