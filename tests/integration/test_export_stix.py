"""STIX 2.1 export of the demo hunt on both engines: valid (stix2-validator), byte-identical twice, and loaded
back through graphpivot's own STIX loader with the same indicators, relationships and sightings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.stix import read_stix
from stix2validator import validate_string
from support import check_rels, load, rows
from typer.testing import CliRunner

from graphpivot.canonical import canonical_host
from graphpivot.cli import app
from graphpivot.demo_scenario import SEED, WINDOW, scenario, t
from graphpivot.export.selection import PivotRows
from graphpivot.export.stix_bundle import bundle_from_findings, bundle_from_pivot, serialize
from graphpivot.hunt.model import Options
from graphpivot.hunt.pack import run_hunt
from graphpivot.hunt.runner import Runner
from graphpivot.model import entity
from graphpivot.store.base import GraphStore

T0 = 1_800_000_000
PATTERN_TYPES = {"domain-name": "Domain", "ipv4-addr": "IP", "ipv6-addr": "IP", "url": "URL"}


def _findings(store: GraphStore) -> list[dict[str, Any]]:
    load(store, scenario(), source="demo")
    result = run_hunt(Runner(store), Options(expand=True), new_since=t(WINDOW[0]))
    return [f.as_dict() for f in result.findings]


def _pattern_ref(pattern: str) -> tuple[str, str]:
    object_type, _, rest = pattern.strip("[]").partition(":")
    return PATTERN_TYPES[object_type], rest.split(" = ", 1)[1].strip("'")


def _by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in bundle["objects"]}


def _value_ref(obj: dict[str, Any]) -> tuple[str, str]:
    return PATTERN_TYPES[obj["type"]], obj["value"]


def test_bundle_is_valid_deterministic_and_round_trips(store: GraphStore, tmp_path: Path) -> None:
    findings = _findings(store)
    bundle = bundle_from_findings(findings)
    text = serialize(bundle)
    result = validate_string(text)
    assert result.is_valid, [str(e) for e in result.errors]
    assert not result.errors
    assert serialize(bundle_from_findings(json.loads(json.dumps(findings)))) == text
    # the same findings through the CLI, read back from exposure-style JSON with ISO times
    findings_file = tmp_path / "findings.json"
    findings_file.write_text(json.dumps(findings), encoding="utf-8")
    out = tmp_path / "findings.stix.json"
    cli = CliRunner().invoke(app, ["export", "stix", "--findings", str(findings_file), "-o", str(out)])
    assert cli.exit_code == 0, cli.output
    assert out.read_text(encoding="utf-8") == text

    objects = _by_id(bundle)
    kinds = {o["type"] for o in bundle["objects"]}
    assert {"indicator", "infrastructure", "relationship", "sighting", "identity", "domain-name", "ipv4-addr",
            "url", "observed-data", "network-traffic"} <= kinds
    indicators = {o["id"]: o for o in bundle["objects"] if o["type"] == "indicator"}
    assert {_pattern_ref(o["pattern"]) for o in indicators.values()} >= {("Domain", SEED), ("IP", "203.0.113.10")}
    assert all(0 <= o["confidence"] <= 100 for o in indicators.values())
    sightings = [o for o in bundle["objects"] if o["type"] == "sighting"]
    exposed = {s["x_graphpivot_host"] for s in sightings}
    assert {"10.0.0.9", "10.0.0.12", "10.0.0.5", "10.0.0.40"} <= exposed
    for s in sightings:
        assert all(objects[ref]["type"] == "identity" for ref in s["where_sighted_refs"])
    rels = [o for o in bundle["objects"] if o["type"] == "relationship"]
    assert {r["relationship_type"] for r in rels} >= {"resolves-to", "consists-of", "communicates-with",
                                                       "related-to", "indicates"}
    pivots = [r for r in rels if r["relationship_type"] == "related-to"]
    assert any("IP 203.0.113.10" in r["description"] for r in pivots)

    # what the bundle says, in graph terms
    want_indicators = {_pattern_ref(o["pattern"]): o for o in indicators.values()}
    want_resolves = {(_value_ref(objects[r["source_ref"]])[1], _value_ref(objects[r["target_ref"]])[1])
                     for r in rels if r["relationship_type"] == "resolves-to"}
    want_sightings = set()
    for s in sightings:
        label, key = _pattern_ref(objects[s["sighting_of_ref"]]["pattern"])
        want_sightings.add((s["x_graphpivot_edge"], s["x_graphpivot_host"], label, key, s["count"]))
    original = {(rel, h, label, k, c) for rel, h, label, k, c in want_sightings}
    for rel, host, label, key, _ in original:  # every sighting is an edge the hunt really saw
        assert check_rels(store, "Host", rel, label) >= {(host, key)}

    store.clear()
    path = tmp_path / "bundle.json"
    path.write_text(text, encoding="utf-8")
    load(store, read_stix(path, "reimport", observed_at=T0), source="reimport")
    flagged = {(label, r["key"]) for label in ("Domain", "IP", "URL")
               for r in rows(store, f"MATCH (n:{label}) WHERE n.indicator = true RETURN n.key AS key")}
    assert flagged >= set(want_indicators)
    report = f"reimport:{bundle['id']}"
    for (label, key), obj in want_indicators.items():
        found = rows(store, f"MATCH (r:Report {{key: $r}})-[m:MENTIONS]->(n:{label} {{key: $k}}) "
                            "RETURN m.confidence AS confidence, m.valid_from AS vf", r=report, k=key)
        assert found and found[0]["confidence"] == obj["confidence"], (label, key)
    assert {(a, b) for a, b in check_rels(store, "Domain", "RESOLVES_TO", "IP")} == want_resolves
    got_sightings = {(rel, host, label, key, count)
                     for rel, label in (("QUERIED", "Domain"), ("CONNECTED_TO", "IP"), ("REQUESTED", "URL"))
                     for host, key, count in check_rels(store, "Host", rel, label, "count")}
    assert got_sightings == want_sightings
    attributed = check_rels(store, "Domain", "ATTRIBUTED_TO", "Threat") | check_rels(store, "IP", "ATTRIBUTED_TO",
                                                                                      "Threat")
    infra = entity("Threat", "demo actor infrastructure").key
    assert (SEED, infra) in attributed and ("203.0.113.10", infra) in attributed
    assert ("login-verify.net", infra) in attributed  # reached by the pivot: related-to, naming the IP


def test_pivot_bundle(store: GraphStore) -> None:
    load(store, scenario(), source="demo")
    from graphpivot.catalog import Catalog

    query = Catalog().get("shared-ip")
    params = query.bind({"seed": SEED})
    found = store.read(query.cypher_for(store.engine), params)
    bundle = bundle_from_pivot(PivotRows(query.id, query.header.title, params, found, query.header.columns))
    text = serialize(bundle)
    assert validate_string(text).is_valid
    rels = [o for o in bundle["objects"] if o["type"] == "relationship"]
    related = [r for r in rels if r["relationship_type"] == "related-to"]
    assert len(related) == len(found) == 2
    assert all(r["x_graphpivot_via"] == ["IP:203.0.113.10"] and r["x_graphpivot_degree"] == 4 for r in related)
    resolves = [r for r in rels if r["relationship_type"] == "resolves-to"]
    assert len(resolves) == 3  # the seed and both domains on the shared IP
    assert canonical_host(SEED) == ("Domain", SEED)


@pytest.mark.parametrize("hostile", ["a'b", "c\\d'", "</script>"])
def test_pattern_literals_are_escaped(hostile: str) -> None:
    """Quotes and backslashes in intel values cannot break out of a STIX pattern literal."""
    from stix2patterns.v21.pattern import Pattern

    url = f"https://evil.example/{hostile}"
    finding = {"host": "10.0.0.1", "indicator": url, "indicator_kind": "URL",
               "strength": "very strong", "confidence": 0.9, "first_seen": T0, "last_seen": T0 + 60, "count": 2,
               "path": ["Host:10.0.0.1", "-REQUESTED->", f"URL:{url}"],
               "telemetry": ["proxy"], "threats": [], "evidence": "exact-url"}
    (indicator,) = [o for o in bundle_from_findings([finding])["objects"] if o["type"] == "indicator"]
    ((object_type, terms),) = Pattern(indicator["pattern"]).inspect().comparisons.items()
    assert object_type == "url"
    ((_, op, literal),) = terms
    assert op == "=" and literal[1:-1].replace("\\'", "'").replace("\\\\", "\\") == url
