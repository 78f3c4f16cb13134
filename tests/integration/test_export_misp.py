"""MISP export of the demo hunt on both engines: PyMISP loads the event, graphpivot's MISP loader loads it back
with every attribute as an indicator and every domain-ip object as a resolution; the same findings give the
same event."""

from __future__ import annotations

import json
from pathlib import Path

from graphpivot.loaders.intel.misp import read_misp
from pymisp import MISPEvent
from support import check_rels, load, rows
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.demo_scenario import C2_IP, IMPLANT_JA3, SEED, WINDOW, scenario, t
from graphpivot.export.misp_event import event_from_findings, event_json
from graphpivot.hunt.model import Options
from graphpivot.hunt.pack import run_hunt
from graphpivot.hunt.runner import Runner
from graphpivot.model import Reject
from graphpivot.store.base import GraphStore

LABELS = {"domain": "Domain", "ip-dst": "IP", "url": "URL", "ja3-fingerprint-md5": "Fingerprint"}


def test_misp_event_loads_in_pymisp_and_back_into_graphpivot(store: GraphStore, tmp_path: Path) -> None:
    load(store, scenario(), source="demo")
    findings = [f.as_dict() for f in run_hunt(Runner(store), Options(expand=True), new_since=t(WINDOW[0])).findings]
    text = event_json(event_from_findings(findings))
    assert event_json(event_from_findings(json.loads(json.dumps(findings)))) == text
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")

    event = MISPEvent()
    event.load_file(str(path))
    values = {(a.type, a.value) for a in event.attributes}
    assert {("domain", SEED), ("ip-dst", C2_IP), ("ja3-fingerprint-md5", IMPLANT_JA3.split(":", 1)[1])} <= values
    sightings = [s for a in event.attributes for s in a.sightings]
    hosts = {f["host"] for f in findings}
    assert sightings and all(any(f"host {h} " in s.source for h in hosts) for s in sightings)
    assert any("host 10.0.0.9 QUERIED" in s.source for s in sightings)
    pairs = {(o.get_attributes_by_relation("domain")[0].value, o.get_attributes_by_relation("ip")[0].value)
             for o in event.objects if o.name == "domain-ip"}
    assert (SEED, C2_IP) in pairs
    by_value = {a.value: a for a in event.attributes}
    assert by_value[SEED].to_ids is True and by_value[SEED].comment.startswith("graphpivot: ")

    out = tmp_path / "cli.json"
    findings_file = tmp_path / "findings.json"
    findings_file.write_text(json.dumps(findings), encoding="utf-8")
    done = CliRunner().invoke(app, ["export", "misp", "--findings", str(findings_file), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") == text

    store.clear()
    records = list(read_misp(path, "misp-export", observed_at=t("2026-12-01")))
    assert not [r for r in records if isinstance(r, Reject)]
    load(store, records, source="misp-export")
    flagged = {(label, r["key"]) for label in set(LABELS.values())
               for r in rows(store, f"MATCH (n:{label}) WHERE n.indicator = true RETURN n.key AS key")}
    want = {(LABELS[a.type], f"ja3:{a.value}" if a.type.startswith("ja3") else a.value) for a in event.attributes}
    assert want <= flagged
    assert pairs <= check_rels(store, "Domain", "RESOLVES_TO", "IP")
