"""MISP events and intel certificate files on both engines, checked against the JSON/PEM read by the test itself."""

from __future__ import annotations

import copy
import hashlib
import json
import ssl
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.certfile import read_certificates
from graphpivot.loaders.intel.misp import read_misp
from support import load, rows

from graphpivot import canonical as c
from graphpivot.store.base import GraphStore

T0 = 1_700_000_000
EVENTS = ["glupteba/glupteba.misp-event.json", "oceanlotus/oceanlotus.misp.event.json",
          "stantinko/stantinko.misp-event.json", "swc-candiru/swc-candiru_misp.json"]
# The test's own reading of MISP types: which parts of a value are which node.
TYPES = {"domain": ["Domain"], "hostname": ["Domain"], "ip-dst": ["IP"], "ip-src": ["IP"],
         "domain|ip": ["Domain", "IP"], "url": ["URL"], "ip-dst|port": ["IP", None], "email-src": ["Email"]}
CANON = {"Domain": c.canonical_domain, "IP": c.canonical_ip, "URL": c.canonical_url, "Email": c.canonical_email}
THREAT_GALAXIES = {"threat-actor": "actor", "mitre-intrusion-set": "actor", "malpedia": "malware", "tool": "tool"}


def nodes_of(attr: dict[str, Any]) -> list[tuple[str, str]]:
    labels = TYPES[attr["type"]]
    parts = attr["value"].split("|") if len(labels) > 1 else [attr["value"]]
    return [(label, CANON[label](part)) for label, part in zip(labels, parts, strict=True) if label]


def expected(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, set[str]] = {}
    to_ids: set[tuple[str, str]] = set()
    skipped: Counter[str] = Counter()
    resolves: set[tuple[str, str]] = set()
    object_nodes: dict[str, list[tuple[str, str]]] = {}

    def take(attr: dict[str, Any]) -> list[tuple[str, str]]:
        made = nodes_of(attr)
        for label, key in made:
            found.setdefault(label, set()).add(key)
            if attr["to_ids"]:
                to_ids.add((label, key))
        if attr["type"] == "domain|ip":
            resolves.add((made[0][1], made[1][1]))
        return made

    for attr in event.get("Attribute", []):
        if attr["type"] in TYPES:
            take(attr)
        else:
            skipped[attr["type"]] += 1
    for obj in event.get("Object", []):
        made = [n for a in obj["Attribute"] if a["type"] in TYPES for n in take(a)]
        object_nodes[obj["uuid"]] = made
        if obj["name"] == "domain-ip":
            resolves |= {(d, i) for lbl, d in made if lbl == "Domain" for lbl2, i in made if lbl2 == "IP"}
    for obj in event.get("Object", []):
        for ref in obj.get("ObjectReference", []):
            if ref["relationship_type"] == "resolved-to":
                src, dst = object_nodes[obj["uuid"]], object_nodes.get(ref["referenced_uuid"], [])
                resolves |= {(d, i) for lbl, d in src if lbl == "Domain" for lbl2, i in dst if lbl2 == "IP"}
    threats = {cl["value"].lower() for g in event.get("Galaxy", []) if g["type"] in THREAT_GALAXIES
               for cl in g["GalaxyCluster"]}
    return {"nodes": found, "to_ids": to_ids, "skipped": skipped, "resolves": resolves, "threats": threats}


@pytest.mark.parametrize("name", EVENTS)
def test_misp_event_loads_with_independent_counts(store: GraphStore, data_dir: Path, name: str) -> None:
    path = data_dir / "eset-misp" / name
    (wrapper,) = json.loads(path.read_text(encoding="utf-8"))["response"]
    event = wrapper["Event"]
    want = expected(event)
    summary = load(store, read_misp(path, "eset", observed_at=T0), source="eset")
    assert summary.rejected == 0, [str(r) for r in summary.rejects]
    for label in ("Domain", "IP", "URL"):
        got = rows(store, f"MATCH (n:{label}) WHERE n.indicator = true RETURN n.key AS k")
        assert {r["k"] for r in got} == want["nodes"].get(label, set()), label
    (report,) = rows(store, "MATCH (r:Report) RETURN r.key AS k, r.name AS name, r.tags AS tags")
    assert report["k"] == f"eset:{event['uuid']}" and report["name"] == event["info"]
    assert sorted(report["tags"]) == sorted(t["name"] for t in event.get("Tag", []))
    flagged = rows(store, "MATCH (:Report)-[m:MENTIONS]->(n) WHERE m.to_ids = true RETURN count(n) AS n")[0]["n"]
    assert flagged == len(want["to_ids"])
    resolves = rows(store, "MATCH (d:Domain)-[:RESOLVES_TO]->(i:IP) RETURN d.key AS d, i.key AS i")
    assert {(r["d"], r["i"]) for r in resolves} == want["resolves"]
    threats = rows(store, "MATCH (:Report)-[:ABOUT]->(t:Threat) RETURN t.key AS k")
    assert {r["k"] for r in threats} == want["threats"]
    if want["threats"]:
        attributed = rows(store, "MATCH (n)-[:ATTRIBUTED_TO]->(:Threat) RETURN count(DISTINCT n) AS n")[0]["n"]
        assert attributed == sum(len(v) for v in want["nodes"].values())
    for misp_type, count in want["skipped"].items():
        assert summary.skipped[f"misp attribute type {misp_type}"] == count


def test_apt32_galaxy_is_a_threat_actor_with_aliases(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "eset-misp/oceanlotus/oceanlotus.misp.event.json"
    event = json.loads(path.read_text(encoding="utf-8"))["response"][0]["Event"]
    (cluster,) = event["Galaxy"][0]["GalaxyCluster"]
    load(store, read_misp(path, "eset", observed_at=T0), source="eset")
    (threat,) = rows(store, "MATCH (t:Threat) RETURN t.key AS k, t.threat_type AS tt, t.aliases AS aliases")
    assert threat == {"k": cluster["value"].lower(), "tt": "actor", "aliases": cluster["meta"]["synonyms"]}


PEM_SHA256 = {  # from eset-misp/PROVENANCE.md: SHA-256 of the DER, not the file names
    "93473b55392ef28160f260d42b06faa048a869f4bd8516aa627c6fe9c8959462",
    "5876877b0e625f2950672485c3aedd26eb7ff8802b314884d6f39ebfb85b13a6",
}


def test_rogue_certificates_load_keyed_by_sha256(store: GraphStore, data_dir: Path) -> None:
    pems = sorted((data_dir / "eset-misp/dnsbirthday").glob("*.pem"))
    ders = [ssl.PEM_cert_to_DER_cert(p.read_text(encoding="ascii")[p.read_text(encoding="ascii").index("-----BEGIN"):])
            for p in pems]
    assert {hashlib.sha256(d).hexdigest() for d in ders} == PEM_SHA256
    for pem in pems:
        summary = load(store, read_certificates(pem, "eset", threat="DNSBirthday", observed_at=T0), source="eset")
        assert summary.rejected == 0
    got = rows(store, "MATCH (r:Report)-[:MENTIONS]->(c:Certificate)-[:SAN]->(d:Domain) "
                      "RETURN c.key AS k, c.key_type AS kt, c.sha1 AS sha1, c.subject_cn AS cn, c.subject AS subject, "
                      "c.self_signed AS ss, c.indicator AS ind, d.key AS san, r.key AS report ORDER BY k")
    assert {r["k"] for r in got} == PEM_SHA256
    assert {r["sha1"] for r in got} == {hashlib.sha1(d).hexdigest() for d in ders}  # an identifier, not security
    assert all(r["kt"] == "sha256" and r["cn"] == "rqztech.com" and "CN=rqztech.com" in r["subject"]
               and r["ss"] is True and r["ind"] is True and r["san"] == "rqztech.com" for r in got)
    assert {r["report"] for r in got} == {f"eset:{p.name}" for p in pems}
    attributed = rows(store, "MATCH (:Certificate)-[:ATTRIBUTED_TO]->(t:Threat) RETURN DISTINCT t.key AS t")
    assert attributed == [{"t": "dnsbirthday"}]


def test_not_a_certificate_is_rejected(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "junk.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", encoding="ascii")
    summary = load(store, read_certificates(path, "x", observed_at=T0), source="x")
    (reject,) = summary.rejects
    assert reject.file == str(path) and "not a PEM or DER" in reject.reason


EVENT_UUID = "5f0c3a6e-0000-4000-8000-00000000e001"


def attribute(n: int, misp_type: Any, value: Any, **extra: Any) -> dict[str, Any]:
    return {"uuid": f"5f0c3a6e-0000-4000-8000-0000000a{n:04d}", "type": misp_type, "category": "Network activity",
            "value": value, "to_ids": True, "timestamp": "1600000000", **extra}


def event(attributes: list[Any], objects: list[Any] | None = None) -> dict[str, Any]:
    return {"Event": {"uuid": EVENT_UUID, "info": "Acme campaign", "date": "2020-09-01", "timestamp": "1600000000",
                      "Tag": [{"name": "tlp:amber"}, {"name": 'misp-galaxy:malpedia="Acme RAT"'}],
                      "Attribute": attributes, "Object": objects or []}}


MIXED = [
    attribute(1, "domain", "c2.acme-bad.example", first_seen="2020-08-01T00:00:00+00:00"),
    attribute(2, "ip-dst|port", "203.0.113.8|8443"),
    attribute(3, "ip-dst", "not-an-ip"),
    attribute(4, None, "x"),
    attribute(5, "ip-dst", None),
    attribute(6, "brand-new-type", "x"),
    "just a string",
    attribute(7, "link", "https://blog.example/acme"),
    attribute(8, "x509-fingerprint-sha1", "AA" * 20, to_ids=False),
]
X509_OBJECT = {
    "name": "x509", "uuid": "5f0c3a6e-0000-4000-8000-0000000b0001", "timestamp": "1600000000",
    "Attribute": [
        {"uuid": "5f0c3a6e-0000-4000-8000-0000000c0001", "type": "x509-fingerprint-sha256",
         "object_relation": "x509-fingerprint-sha256", "value": "BB" * 32, "to_ids": True},
        {"uuid": "5f0c3a6e-0000-4000-8000-0000000c0002", "type": "text", "object_relation": "subject",
         "value": "CN=acme-bad.example"},
        {"uuid": "5f0c3a6e-0000-4000-8000-0000000c0003", "type": "hostname", "object_relation": "dns_names",
         "value": "www.acme-bad.example"},
    ],
}
HOST_OBJECT = {
    "name": "ip-port", "uuid": "5f0c3a6e-0000-4000-8000-0000000b0002", "timestamp": "1600000000",
    "Attribute": [{"uuid": "5f0c3a6e-0000-4000-8000-0000000c0004", "type": "ip-dst", "object_relation": "ip",
                   "value": "203.0.113.9", "to_ids": True},
                  {"uuid": "5f0c3a6e-0000-4000-8000-0000000c0005", "type": "port", "object_relation": "dst-port",
                   "value": "443"}],
    "ObjectReference": [{"uuid": "5f0c3a6e-0000-4000-8000-0000000d0001", "relationship_type": "related-to",
                         "object_uuid": "5f0c3a6e-0000-4000-8000-0000000b0002",
                         "referenced_uuid": "5f0c3a6e-0000-4000-8000-0000000b0001"}],
}


def test_bad_attributes_are_rejected_with_event_and_uuid(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event(MIXED, [X509_OBJECT, HOST_OBJECT])), encoding="utf-8")
    summary = load(store, read_misp(path, "acme", observed_at=T0), source="acme")
    assert all(r.file == str(path) and r.reason.startswith(f"event {EVENT_UUID}: ") for r in summary.rejects)
    assert sorted(r.reason.split(": ")[1] for r in summary.rejects) == sorted([
        "attribute 5f0c3a6e-0000-4000-8000-0000000a0003", "attribute 5f0c3a6e-0000-4000-8000-0000000a0004",
        "attribute 5f0c3a6e-0000-4000-8000-0000000a0005", "attribute",
    ])
    assert summary.skipped["misp attribute type brand-new-type (unknown to PyMISP)"] == 1
    got = rows(store, "MATCH (r:Report)-[m:MENTIONS]->(n)-[:ATTRIBUTED_TO]->(t:Threat) RETURN n.key AS k, "
                      "m.to_ids AS ids, m.valid_from AS vf, m.context AS ctx, t.key AS t ORDER BY k")
    assert [(r["k"], r["ids"], r["vf"], r["t"]) for r in got] == [
        ("203.0.113.8", True, None, "acme rat"),
        ("203.0.113.9", True, None, "acme rat"),
        ("aa" * 20, False, None, "acme rat"),
        ("bb" * 32, True, None, "acme rat"),
        ("c2.acme-bad.example", True, 1596240000, "acme rat"),
    ]
    assert "port: 8443" in got[0]["ctx"] and "port: 443" in got[1]["ctx"]
    (report,) = rows(store, "MATCH (r:Report) RETURN r.tlp AS tlp, r.url AS url, r.published AS pub")
    assert report == {"tlp": "amber", "url": "https://blog.example/acme", "pub": 1598918400}
    cert = rows(store, "MATCH (ip:IP)-[:SERVES_CERT]->(c:Certificate)-[:SAN]->(d:Domain) "
                       "RETURN ip.key AS ip, c.subject AS s, c.key_type AS kt, d.key AS d")
    assert cert == [{"ip": "203.0.113.9", "s": "CN=acme-bad.example", "kt": "sha256", "d": "www.acme-bad.example"}]
    sha1_only = rows(store, "MATCH (c:Certificate {key: $k}) RETURN c.key_type AS kt", k="aa" * 20)
    assert sha1_only == [{"kt": "sha1"}]


def test_truncated_event_keeps_the_attributes_before_the_cut(store: GraphStore, tmp_path: Path) -> None:
    doc = {"response": [event([attribute(1, "domain", "one.acme-bad.example"),
                               attribute(2, "domain", "two.acme-bad.example")])]}
    text = json.dumps(doc, indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index("two.acme-bad")], encoding="utf-8")
    summary = load(store, read_misp(path, "acme", observed_at=T0), source="acme")
    (reject,) = summary.rejects
    assert reject.file == str(path) and reject.line and "malformed JSON" in reject.reason
    got = rows(store, "MATCH (n:Domain) WHERE n.indicator = true RETURN n.key AS k")
    assert got == [{"k": "one.acme-bad.example"}]


def test_event_forms_and_reload_idempotent(store: GraphStore, tmp_path: Path) -> None:
    bare, listed = tmp_path / "bare.json", tmp_path / "list.json"
    bare.write_text(json.dumps(event([attribute(1, "domain", "a.acme-bad.example")])), encoding="utf-8")
    second = copy.deepcopy(event([attribute(2, "url", "hxxp://b.acme-bad[.]example/x")]))
    second["Event"]["uuid"] = "5f0c3a6e-0000-4000-8000-00000000e002"
    listed.write_text(json.dumps([event([]), second]), encoding="utf-8")
    for _ in range(2):
        for path in (bare, listed):
            load(store, read_misp(path, "acme", observed_at=T0), source="acme")
        counts = store.counts()
        if _ == 0:
            first = counts
    assert counts == first
    reports = rows(store, "MATCH (r:Report) RETURN r.key AS k ORDER BY k")
    assert [r["k"] for r in reports] == [f"acme:{EVENT_UUID}", "acme:5f0c3a6e-0000-4000-8000-00000000e002"]
    host = rows(store, "MATCH (u:URL)-[:ON_HOST]->(d:Domain) RETURN u.key AS u, d.key AS d")
    assert host == [{"u": "http://b.acme-bad.example/x", "d": "b.acme-bad.example"}]


def test_files_that_are_not_events(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({EVENT_UUID: {"info": "Acme", "date": "2020-09-01"}}), encoding="utf-8")
    summary = load(store, read_misp(manifest, "acme", observed_at=T0), source="acme")
    assert summary.rejected == 0 and sum(summary.skipped.values()) == 1
    config = data_dir / "eset-misp/dnsbirthday/rqz-dnsduvel_blocklist.json"
    summary = load(store, read_misp(config, "eset", observed_at=T0), source="eset")
    assert [r.reason for r in summary.rejects] == [
        "no MISP event found (expected 'Event', 'response' or a list of events)"]
