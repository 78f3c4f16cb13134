"""The Navigator layer from findings: scores, comments, Enterprise ids only, the 4.5 fields."""

from __future__ import annotations

import json

from graphpivot import attack
from graphpivot.hunt.model import Finding
from graphpivot.hunt.navigator import navigator_layer
from graphpivot.hunt.vocabulary import Strength


def finding(host: str, strength: Strength, ids: list[str], intel: list[str], query: str) -> Finding:
    return Finding(
        host=host, indicator="evil.example", indicator_kind="Domain", evidence="exact-domain", strength=strength,
        confidence=0.8, first_seen=0, last_seen=1, path=[], sources=[], telemetry=[], threats=[], attack=ids,
        touched=[], reasons=[], count=1, bytes_out=0, observations=1, hunts=[query],
        attack_queries={t: [query] for t in ids}, intel_techniques=intel,
    )


def test_layer_scores_by_strength_and_intel_and_keeps_only_enterprise_ids() -> None:
    findings = [
        finding("10.0.0.1", Strength.STRONG, ["T1071.004"], ["T1566.002", "T1437"], "exposure-domain"),
        finding("10.0.0.2", Strength.WEAK, ["T1071.004", "T1102"], [], "exposure-domain"),
        finding("10.0.0.3", Strength.VERY_STRONG, ["T1071.001"], ["T1071.001"], "exposure-url"),
    ]
    layer = json.loads(json.dumps(navigator_layer(findings)))
    assert layer["versions"] == {"attack": attack.table().attack_version, "navigator": "5.1.0", "layer": "4.5"}
    assert layer["domain"] == "enterprise-attack" and layer["name"]
    got = {t["techniqueID"]: t for t in layer["techniques"]}
    # T1437 is a Mobile technique (Application Layer Protocol, mobile): no place in an Enterprise layer.
    assert attack.technique("T1437") is not None and "T1437" not in got
    assert {t: v["score"] for t, v in got.items()} == {"T1071.004": 5 + 1, "T1071.001": 6 + 1, "T1102": 1,
                                                       "T1566.002": 1}
    assert layer["techniques"][0]["techniqueID"] == "T1071.001"  # highest score first
    assert "2 finding(s), strongest strong; hosts 10.0.0.1, 10.0.0.2; queries exposure-domain" in \
        got["T1071.004"]["comment"]
    assert got["T1566.002"]["comment"] == "intel names it for 1 finding(s): evil.example"
    assert {"name": "name", "value": "DNS"} in got["T1071.004"]["metadata"]
    assert layer["gradient"]["maxValue"] == 7


def test_an_empty_hunt_gives_an_empty_valid_layer() -> None:
    layer = navigator_layer([])
    assert layer["techniques"] == [] and layer["gradient"]["maxValue"] == 1 and layer["domain"] == "enterprise-attack"
