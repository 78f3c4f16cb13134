"""ATT&CK done by evidence and kept from the intel, on both engines.

* STIX (the Unit 42 bundles): the bundle's Report, each ``report`` and each threat carry the ATT&CK ids that
  the file's attack patterns (mitre-attack external ids) and ``uses``/``indicates`` relationships give them,
  worked out here from the JSON alone.
* MISP: the ESET events carry no ATT&CK galaxy (checked from the files), so their Reports have no techniques;
  a copy of a real ESET event given MISP's own ATT&CK galaxy tag, galaxy cluster and attribute tag has exactly
  those techniques.
* ``hunt``: a DNS-only finding carries T1071.004 from exposure-domain and nothing of the flow hunt (T1095,
  T1571); a flow with only a transport on port 4444 carries T1095 and T1571; both show the intel's
  techniques with names; ``--navigator`` writes a Navigator 4.5 layer with those techniques and scores.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.misp import read_misp
from graphpivot.loaders.intel.stix import read_stix
from support import load, rows, shared_data
from typer.testing import CliRunner, Result

from graphpivot import attack
from graphpivot.cli import app
from graphpivot.model import Edge, Record, entity
from graphpivot.store.base import GraphStore

T0 = 1_700_000_000
UNIT42 = sorted(p.name for p in (shared_data() / "unit42-stix2" / "report_json").glob("*.json"))
ESET = sorted(str(p.relative_to(shared_data())) for p in (shared_data() / "eset-misp").rglob("*.json"))
THREAT_SDOS = {"malware", "threat-actor", "intrusion-set", "campaign", "tool", "infrastructure"}


def _objects(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return list(doc["objects"]) if doc.get("type") == "bundle" else [doc]


def stix_expected(path: Path) -> dict[str, Any]:
    """Techniques per Report key suffix and per threat name, from the plain JSON."""
    objects = _objects(path)
    ids = {o["id"]: r["external_id"] for o in objects if o["type"] == "attack-pattern"
           for r in o.get("external_references", []) if r.get("source_name") == "mitre-attack"}
    used: dict[str, set[str]] = {}
    for rel in (o for o in objects if o["type"] == "relationship"):
        if rel["relationship_type"] in ("uses", "indicates") and rel["target_ref"] in ids:
            used.setdefault(rel["source_ref"], set()).add(ids[rel["target_ref"]])
    reports = {o["id"]: {ids[r] for r in o.get("object_refs", []) if r in ids}
               | {t for r in o.get("object_refs", []) for t in used.get(r, set())}
               for o in objects if o["type"] in ("report", "grouping")}
    threats = {" ".join(o["name"].split()).lower(): used.get(o["id"], set())
               for o in objects if o["type"] in THREAT_SDOS}
    bundle = json.loads(path.read_text(encoding="utf-8")).get("id", path.name)
    return {"bundle": (bundle, set(ids.values())), "reports": reports, "threats": threats}


def techniques(store: GraphStore, label: str) -> dict[str, set[str]]:
    return {str(r["k"]): set(r["t"] or []) for r in rows(store, f"MATCH (n:{label}) RETURN n.key AS k, "
                                                                  "n.techniques AS t")}


@pytest.mark.parametrize("name", UNIT42)
def test_stix_attack_patterns_land_on_reports_and_threats(store: GraphStore, data_dir: Path, name: str) -> None:
    path = data_dir / "unit42-stix2" / "report_json" / name
    want = stix_expected(path)
    load(store, read_stix(path, "unit42", observed_at=T0), source="unit42")
    reports, threats = techniques(store, "Report"), techniques(store, "Threat")
    bundle, named = want["bundle"]
    assert reports.pop(f"unit42:{bundle}") == named
    assert reports == {f"unit42:{k}": v for k, v in want["reports"].items()}
    assert threats == want["threats"]
    assert all(attack.technique(t) is not None for t in named)  # the table names every id the intel uses


def test_unit42_samples_really_carry_techniques(data_dir: Path) -> None:
    """What the samples hold, so the parametrised test above checks something: four bundles with ATT&CK."""
    carrying = {n for n in UNIT42 if stix_expected(data_dir / "unit42-stix2" / "report_json" / n)["bundle"][1]}
    assert carrying == {"NOBELIUM.json", "matanbuchus-loader.json", "threat-hunting-in-alexa-top-sites.json",
                        "watchdog-cryptomining-operation.json"}
    nobelium = stix_expected(data_dir / "unit42-stix2" / "report_json" / "NOBELIUM.json")
    assert nobelium["threats"]["campaign 1 - nobelium"] == {"T1566.002", "T1566.003", "T1071.001", "T1204.001"}


def _misp_attack_ids(doc: Any) -> set[str]:
    """Every ATT&CK id an event's galaxy tags and clusters name (events and attributes), from the JSON."""
    found: set[str] = set()
    events = doc.get("response", [doc]) if isinstance(doc, dict) else doc
    for wrapper in events if isinstance(events, list) else [events]:
        event = wrapper.get("Event", wrapper)
        items = [event, *event.get("Attribute", []),
                 *(a for o in event.get("Object", []) for a in o.get("Attribute", []))]
        for item in items:
            for tag in item.get("Tag", []):
                if tag["name"].startswith("misp-galaxy:mitre-attack-pattern="):
                    found.update(attack.ids_in(tag["name"]))
            for galaxy in item.get("Galaxy", []):
                if galaxy.get("type") == "mitre-attack-pattern":
                    found.update(c["meta"]["external_id"][0] for c in galaxy.get("GalaxyCluster", []))
    return found


@pytest.mark.parametrize("name", ESET)
def test_eset_events_name_no_technique_and_load_none(store: GraphStore, data_dir: Path, name: str) -> None:
    doc = json.loads((data_dir / name).read_text(encoding="utf-8"))
    assert _misp_attack_ids(doc) == set()  # ESET's published events carry no ATT&CK galaxy
    load(store, read_misp(data_dir / name, "eset", observed_at=T0), source="eset")
    assert all(not t for t in techniques(store, "Report").values())


def test_misp_attack_galaxy_tags_and_clusters_are_kept(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    doc = json.loads((data_dir / "eset-misp/glupteba/glupteba.misp-event.json").read_text(encoding="utf-8"))
    event = doc["response"][0]["Event"] if "response" in doc else doc["Event"]
    event.setdefault("Tag", []).append({"name": 'misp-galaxy:mitre-attack-pattern="DNS - T1071.004"'})
    event.setdefault("Galaxy", []).append({
        "uuid": "c4e851fa-775f-11e7-8163-b774922098cd", "name": "Attack Pattern", "type": "mitre-attack-pattern",
        "GalaxyCluster": [{"uuid": "a62a8db3-f23a-4d8f-afd6-9dbc77e7813b", "type": "mitre-attack-pattern",
                           "value": "Domain Generation Algorithms - T1568.002",
                           "meta": {"external_id": ["T1568.002"]}}],
    })
    attribute = next(a for a in event["Attribute"] if a["type"] in ("domain", "hostname", "url", "ip-dst"))
    attribute.setdefault("Tag", []).append({"name": 'misp-galaxy:mitre-attack-pattern="Web Protocols - T1071.001"'})
    path = tmp_path / "glupteba-attack.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    want = _misp_attack_ids(doc)
    assert want == {"T1071.004", "T1568.002", "T1071.001"}
    summary = load(store, read_misp(path, "eset", observed_at=T0), source="eset")
    assert not any("mitre-attack-pattern" in k for k in summary.skipped)  # read, not skipped
    assert techniques(store, "Report") == {f"eset:{event['uuid']}": want}


# ---------------------------------------------------------------- hunt: ATT&CK by evidence, and the layer

DNS_HOST, FLOW_HOST = "10.1.1.1", "10.1.1.2"
SEEN = int(datetime(2021, 6, 1, tzinfo=UTC).timestamp())


def telemetry() -> list[Record]:
    props = {"first_seen": SEEN, "last_seen": SEEN + 60, "count": 3, "sources": ["zeek"]}
    return [
        entity("Host", DNS_HOST), entity("Host", FLOW_HOST),
        entity("Domain", "worldhomeoutlet.com"), entity("IP", "83.171.237.173"),
        Edge("QUERIED", "Host", DNS_HOST, "Domain", "worldhomeoutlet.com", dict(props)),
        Edge("CONNECTED_TO", "Host", FLOW_HOST, "IP", "83.171.237.173",
             {**props, "bytes_out": 4096, "ports": [4444], "protocols": ["tcp"]}),  # no app protocol, odd port
    ]


def cli(store: GraphStore, *args: str) -> Result:
    if store.engine == "ladybug":
        store.close()
        base = ["--db", store.location]
    else:
        base = ["--engine", "neo4j"]
    return CliRunner().invoke(app, [*base, *args])


def test_hunt_tags_findings_by_evidence_and_writes_a_navigator_layer(
    store: GraphStore, data_dir: Path, tmp_path: Path
) -> None:
    path = data_dir / "unit42-stix2/report_json/NOBELIUM.json"
    want = stix_expected(path)
    intel = want["bundle"][1] | want["threats"]["campaign 1 - nobelium"] | set().union(*want["reports"].values())
    load(store, read_stix(path, "unit42", observed_at=T0), source="unit42")
    load(store, telemetry(), source="zeek")
    report, layer_path = tmp_path / "hunt.json", tmp_path / "layer.json"
    result = cli(store, "hunt", "--report", str(report), "--navigator", str(layer_path))
    assert result.exit_code == 0, result.stderr
    findings = {f["host"]: f for f in json.loads(report.read_text(encoding="utf-8"))["findings"]}
    dns, flow = findings[DNS_HOST], findings[FLOW_HOST]
    # The DNS lookup shows DNS; the flow hunt's ids (T1095, T1571) and the web ids stay off it.
    assert dns["evidence"] == "exact-domain" and dns["hunts"] == ["exposure-domain"]
    assert dns["attack"] == ["T1071.004"]
    assert dns["attack_queries"] == {"T1071.004": ["exposure-domain"]}
    assert dns["attack_names"] == {"T1071.004": "DNS"}
    assert flow["evidence"] == "exact-ip" and flow["attack"] == ["T1095", "T1571"]
    assert all(q == ["exposure-ip"] for q in flow["attack_queries"].values())
    # The intel's own techniques, with their names from the table.
    for finding in (dns, flow):
        assert [t["id"] for t in finding["intel_techniques"]] == sorted(intel)
        assert {t["id"]: t["name"] for t in finding["intel_techniques"]}["T1566.002"] == "Spearphishing Link"
    layer = json.loads(layer_path.read_text(encoding="utf-8"))
    assert {"name", "versions", "domain", "techniques"} <= set(layer)
    assert layer["domain"] == "enterprise-attack"
    assert layer["versions"]["layer"] == "4.5" and layer["versions"]["attack"] == attack.table().attack_version
    scores = {t["techniqueID"]: t["score"] for t in layer["techniques"]}
    assert set(scores) == {"T1071.004", "T1095", "T1571"} | intel
    strong = 5  # both findings are exact matches: strength rank 5 each
    assert scores["T1071.004"] == strong and scores["T1095"] == strong and scores["T1571"] == strong
    assert scores["T1071.001"] == scores["T1566.002"] == 2  # intel only: 1 per finding
    comment = next(t["comment"] for t in layer["techniques"] if t["techniqueID"] == "T1071.004")
    assert DNS_HOST in comment and FLOW_HOST not in comment and "exposure-domain" in comment
    assert all(isinstance(t["techniqueID"], str) and isinstance(t["score"], int) for t in layer["techniques"])


def test_hunt_navigator_refuses_a_bad_path(store: GraphStore, tmp_path: Path) -> None:
    result = cli(store, "hunt", "--navigator", str(tmp_path / "layer.txt"))
    assert result.exit_code == 2 and "must be a .json file" in result.stderr


def test_a_ladybug_graph_made_before_techniques_gets_the_column(tmp_path: Path, data_dir: Path) -> None:
    from graphpivot.store.embedded import LadybugStore

    location = tmp_path / "old.lbdb"
    old = LadybugStore(location)
    old.init_schema()
    for label in ("Report", "Threat"):
        old._run(f"ALTER TABLE {label} DROP techniques")  # the tables as a graph made before them has
    with pytest.raises(RuntimeError):
        old._run("MATCH (r:Report) RETURN r.techniques")
    old.close()
    store = LadybugStore(location)
    path = data_dir / "unit42-stix2/report_json/NOBELIUM.json"
    load(store, read_stix(path, "unit42", observed_at=T0), source="unit42")
    assert techniques(store, "Threat")["campaign 1 - nobelium"] == stix_expected(path)["bundle"][1]
    store.close()
