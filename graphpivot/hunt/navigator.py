"""An ATT&CK Navigator layer (format 4.5) of a hunt: the techniques its findings show, and those the intel names.

Score per technique: for each finding whose own evidence shows it (``Finding.attack``), the finding's strength
rank (weak 1 .. very strong 6); for each finding whose intel names it (``Finding.intel_techniques``), 1. The
comment says how many findings, the strongest, the hosts and the queries behind it. Only Enterprise ATT&CK ids
the packaged table knows go into the layer (a Mobile id the intel names has no place in an Enterprise matrix).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graphpivot import attack
from graphpivot.hunt.model import Finding

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
DOMAIN = "enterprise-attack"
_SHOWN = 5  # hosts named in a comment


def navigator_layer(findings: list[Finding], *, name: str = "graphpivot hunt") -> dict[str, Any]:
    """The layer as a JSON-ready dict."""
    score: dict[str, int] = defaultdict(int)
    evidence: dict[str, list[Finding]] = defaultdict(list)
    intel: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        for tid in finding.attack:
            score[tid] += int(finding.strength)
            evidence[tid].append(finding)
        for tid in finding.intel_techniques:
            score[tid] += 1
            intel[tid].append(finding)
    techniques: list[dict[str, Any]] = []
    for tid in sorted(score, key=lambda t: (-score[t], t)):
        known = attack.technique(tid)
        if known is None or known.domain != DOMAIN:
            continue
        techniques.append({
            "techniqueID": tid,
            "score": score[tid],
            "comment": _comment(tid, evidence[tid], intel[tid]),
            "enabled": True,
            "showSubtechniques": "." not in tid and any(s.startswith(tid + ".") for s in score),
            "metadata": [{"name": "name", "value": known.name}, {"name": "url", "value": known.url}],
        })
    top = max((score[t["techniqueID"]] for t in techniques), default=1)
    return {
        "name": name,
        "versions": {"attack": attack.table().attack_version, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": DOMAIN,
        "description": f"graphpivot hunt: {len(findings)} exposure finding(s); score = the strength ranks of the "
                       "findings whose evidence shows the technique, plus 1 per finding whose intel names it",
        "sorting": 3,
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": ["#fff7bc", "#fc8d59", "#d7301f"], "minValue": 0, "maxValue": top},
        "legendItems": [],
        "showTacticRowBackground": False,
        "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
        "metadata": [{"name": "generator", "value": "graphpivot"}],
    }


def _comment(tid: str, evidence: list[Finding], intel: list[Finding]) -> str:
    parts = []
    if evidence:
        best = max(evidence, key=lambda f: int(f.strength))
        hosts = sorted({f.host for f in evidence})
        queries = sorted({q for f in evidence for q in f.attack_queries.get(tid, [])})
        parts.append(
            f"evidence: {len(evidence)} finding(s), strongest {best.strength.label}; hosts {_some(hosts)}"
            + (f"; queries {', '.join(queries)}" if queries else ""))
    if intel:
        indicators = sorted({f.indicator for f in intel})
        parts.append(f"intel names it for {len(intel)} finding(s): {_some(indicators)}")
    return ". ".join(parts)


def _some(items: list[str]) -> str:
    more = len(items) - _SHOWN
    return ", ".join(items[:_SHOWN]) + (f" (+{more} more)" if more > 0 else "")
