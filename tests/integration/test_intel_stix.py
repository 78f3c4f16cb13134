"""STIX 2.0/2.1 bundles on both engines, checked against counts the test works out from the JSON itself.

The expectations walk each file with plain ``json`` and the OASIS library's own
``Pattern.inspect()`` (not the loader's listener), then canonicalise values with
:mod:`graphpivot.canonical`.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.stix import read_stix
from stix2patterns.v20.pattern import Pattern as Pattern20
from stix2patterns.v21.pattern import Pattern as Pattern21
from support import load, rows, shared_data

from graphpivot import canonical as c
from graphpivot.model import entity
from graphpivot.reference.install import install_catalogue
from graphpivot.store.base import GraphStore

T0 = 1_700_000_000
STIX_FILES = sorted(
    str(p.relative_to(shared_data()))
    for folder in ("unit42-stix2", "stix21-oasis-examples")
    for p in (shared_data() / folder).rglob("*.json")
)
THREAT_SDOS = {"malware", "threat-actor", "intrusion-set", "campaign", "tool", "infrastructure"}
SCOS = {"domain-name": "Domain", "ipv4-addr": "IP", "ipv6-addr": "IP", "url": "URL", "email-addr": "Email"}
LOADED = THREAT_SDOS | set(SCOS) | {"indicator", "report", "grouping", "relationship", "marking-definition",
                                   "network-traffic", "observed-data", "autonomous-system", "x509-certificate"}


def _mitre_id(obj: dict[str, Any]) -> str | None:
    """The ATT&CK id of an attack-pattern, read straight from its external references."""
    if obj["type"] != "attack-pattern":
        return None
    ids = [r["external_id"] for r in obj.get("external_references", [])
           if r.get("source_name") == "mitre-attack" and r.get("external_id")]
    return ids[0] if ids else None


def _literal(text: str) -> str:
    return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _value_node(object_type: str, value: str) -> tuple[str, str]:
    if object_type == "domain-name":
        return "Domain", c.canonical_domain(value)
    if object_type == "url":
        return "URL", c.canonical_url(value)
    if "/" in value and not value.endswith(("/32", "/128")):
        return "Netblock", c.canonical_cidr(value)
    return "IP", c.canonical_ip(value.split("/", 1)[0])


def expected(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    objects = doc.get("objects", [doc]) if doc.get("type") == "bundle" else [doc]
    spec = doc.get("spec_version", "2.1")
    indicators: dict[str, set[str]] = {}
    bad_values = 0
    by_id = {o["id"]: o for o in objects}
    for obj in objects:
        if obj["type"] != "indicator":
            continue
        parser = Pattern20 if obj.get("spec_version", spec) == "2.0" else Pattern21
        for object_type, terms in parser(obj["pattern"]).inspect().comparisons.items():
            for path_parts, op, literal in terms:
                if object_type not in ("domain-name", "ipv4-addr", "ipv6-addr", "url") or path_parts != ["value"]:
                    continue
                assert op == "=", "the samples only use '=' on values"
                try:
                    label, key = _value_node(object_type, _literal(literal))
                except c.InvalidValue:
                    bad_values += 1
                    continue
                indicators.setdefault(label, set()).add(key)
    for rel in (o for o in objects if o["type"] == "relationship"):
        ends = [by_id.get(rel["source_ref"], {}), by_id.get(rel["target_ref"], {})]
        types = {e.get("type") for e in ends}
        if types & THREAT_SDOS:
            for end in ends:
                if end.get("type") in SCOS:
                    label, key = _value_node(end["type"], end["value"])
                    indicators.setdefault(label, set()).add(key)
    # Producer errors: a different object repeating an id and 'modified' (both load; each repeat is reported).
    versions = Counter((o["id"], o.get("modified")) for o in objects)
    unique = {json.dumps(o, sort_keys=True): o for o in objects}.values()
    distinct = Counter((o["id"], o.get("modified")) for o in unique)
    bad_values += sum(n - 1 for n in distinct.values())
    assert versions.keys() == distinct.keys()
    threats = {" ".join(o["name"].split()).lower() for o in objects if o["type"] in THREAT_SDOS}
    reports = 1 + len({o["id"] for o in objects if o["type"] in ("report", "grouping")})
    # An attack-pattern with a mitre-attack external id is a technique (the Report's techniques); others skip.
    skipped = Counter(o["type"] for o in objects if o["type"] not in LOADED and not _mitre_id(o))
    return {"indicators": indicators, "threats": threats, "reports": reports, "skipped": skipped,
            "bad": bad_values, "bundle": doc["id"] if doc.get("type") == "bundle" else path.name}


@pytest.mark.parametrize("name", STIX_FILES)
def test_stix_file_loads_with_independent_counts(store: GraphStore, data_dir: Path, name: str) -> None:
    path = data_dir / name
    want = expected(path)
    summary = load(store, read_stix(path, "stix", observed_at=T0), source="stix")
    assert summary.rejected == want["bad"], [str(r) for r in summary.rejects]
    for label in ("Domain", "IP", "URL", "Netblock"):
        got = rows(store, f"MATCH (n:{label}) WHERE n.indicator = true RETURN n.key AS k")
        assert {r["k"] for r in got} == want["indicators"].get(label, set()), label
    got_threats = rows(store, "MATCH (t:Threat) RETURN t.key AS k")
    assert {r["k"] for r in got_threats} == want["threats"]
    assert rows(store, "MATCH (r:Report) RETURN count(r) AS n")[0]["n"] == want["reports"]
    for obj_type, count in want["skipped"].items():
        assert summary.skipped[f"stix {obj_type}"] == count, obj_type
    # The bundle's Report mentions every indicator value and is about every threat.
    mentioned = rows(store, "MATCH (r:Report {key: $k})-[:MENTIONS]->(n) WHERE n.indicator = true "
                            "RETURN count(DISTINCT n) AS n", k=f"stix:{want['bundle']}")[0]["n"]
    assert mentioned == sum(len(v) for v in want["indicators"].values())
    about = rows(store, "MATCH (r:Report {key: $k})-[:ABOUT]->(t:Threat) RETURN count(t) AS n",
                 k=f"stix:{want['bundle']}")[0]["n"]
    assert about == len(want["threats"])


def test_njrat_pastebin_urls_are_on_the_paste_site(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "unit42-stix2/report_json/njrat-active-pastebin-c2-tunnels.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    pastes = {o["pattern"].split("'")[1] for o in doc["objects"]
              if o["type"] == "indicator" and o["pattern"].startswith("[url:value") and "pastebin.com" in o["pattern"]}
    assert len(pastes) == 31
    install_catalogue(store)
    load(store, read_stix(path, "unit42", observed_at=T0), source="unit42")
    got = rows(store, "MATCH (u:URL)-[:ON_HOST]->(d:Domain)-[:OPERATED_BY]->(w:WebService) "
                      "WHERE u.indicator = true RETURN u.key AS url, d.key AS host, w.key AS slug, w.category AS cat")
    assert {r["url"] for r in got} == pastes
    assert {(r["host"], r["slug"], r["cat"]) for r in got} == {("pastebin.com", "pastebin", "paste")}
    # The report's own time window sits on MENTIONS.
    report = next(o for o in doc["objects"] if o["type"] == "report")
    some = next(o for o in doc["objects"] if o["type"] == "indicator" and "pastebin" in o["pattern"])
    valid_from = int(datetime.fromisoformat(some["valid_from"].replace("Z", "+00:00")).timestamp())
    (edge,) = rows(store, "MATCH (r:Report {key: $r})-[m:MENTIONS]->(u:URL {key: $u}) RETURN m.valid_from AS vf, "
                          "m.context AS ctx", r=f"unit42:{report['id']}", u=some["pattern"].split("'")[1])
    assert edge["vf"] == valid_from and some["id"] in edge["ctx"]


def test_catalogue_loaded_after_the_intel_links_existing_domains(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "unit42-stix2/report_json/2024-08-05-Phishing-abusing-Google-Drawings-and-Slides.json"
    load(store, read_stix(path, "unit42", observed_at=T0), source="unit42")
    webhook = "https://ptb.discord.com/api/webhooks/1/abc"
    load(store, [entity("URL", webhook)], source="proxy")
    assert rows(store, "MATCH ()-[o:OPERATED_BY]->() RETURN count(o) AS n")[0]["n"] == 0
    install_catalogue(store)
    got = rows(store, "MATCH (u:URL)-[:ON_HOST]->(d:Domain)-[:OPERATED_BY]->(w:WebService) "
                      "WHERE u.indicator = true RETURN DISTINCT d.key AS d, w.key AS w")
    assert {(r["d"], r["w"]) for r in got} == {("docs.google.com", "google-docs")}
    hooks = rows(store, "MATCH (u:URL)-[:OPERATED_BY]->(w:WebService) RETURN u.key AS u, w.key AS w")
    assert hooks == [{"u": webhook, "w": "discord-webhook"}]



def test_stix_relationships_become_edges(store: GraphStore, data_dir: Path) -> None:
    load(store, read_stix(data_dir / "stix21-oasis-examples/examples/infrastructure.json", "oasis",
                          observed_at=T0), source="oasis")
    attributed = rows(store, "MATCH (n)-[:ATTRIBUTED_TO]->(t:Threat) RETURN n.key AS node, t.key AS t, "
                             "t.threat_type AS tt ORDER BY node")
    assert attributed == [
        {"node": "198.51.100.3", "t": "poison ivy c2", "tt": "infrastructure"},
        {"node": "example.com", "t": "example target-list-hosting", "tt": "infrastructure"},
    ]
    related = rows(store, "MATCH (a:Threat)-[r:RELATED_TO]->(b:Threat) RETURN a.key AS src, b.key AS dst, "
                          "r.relationship AS rel ORDER BY src")
    assert related == [
        {"src": "imddos", "dst": "example target-list-hosting", "rel": ["uses"]},
        {"src": "poison ivy c2", "dst": "poison ivy", "rel": ["controls"]},
    ]


def bundle(objects: list[Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}


def indicator(n: int, pattern: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-00000000010{n}",
            "created": "2023-01-01T00:00:00Z", "modified": "2023-01-02T00:00:00Z", "pattern": pattern,
            "pattern_type": "stix", "valid_from": "2023-01-01T00:00:00Z", **extra}


MALFORMED = [
    indicator(1, "[domain-name:value = 'good.example' OR ipv4-addr:value = '203.0.113.5']",
              valid_until="2023-06-01T00:00:00Z", confidence=80),
    indicator(2, "[domain-name:value = 'broken.example'"),
    indicator(3, 42),
    indicator(4, "[url:value = 'https://cdn.example.net/a.js']", valid_from="last tuesday"),
    "not an object",
    {"type": "x-acme-sighting", "id": "x-acme-sighting--1", "spec_version": "2.1"},
    {"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000201", "spec_version": "2.1",
     "name": "Acme Loader", "is_family": True, "created": "2023-01-01T00:00:00Z", "modified": "2023-01-01T00:00:00Z"},
    {"type": "relationship", "id": "relationship--00000000-0000-4000-8000-000000000301", "spec_version": "2.1",
     "relationship_type": "indicates", "source_ref": "indicator--00000000-0000-4000-8000-000000000101",
     "target_ref": "malware--00000000-0000-4000-8000-000000000201", "created": "2023-01-01T00:00:00Z"},
    {"type": "relationship", "id": "relationship--00000000-0000-4000-8000-000000000302", "spec_version": "2.1",
     "relationship_type": "indicates", "source_ref": 7, "target_ref": None},
]


def test_malformed_objects_are_rejected_with_id_and_the_rest_loads(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(bundle(MALFORMED)), encoding="utf-8")
    summary = load(store, read_stix(path, "acme", observed_at=T0), source="acme")
    reasons = {r.reason.split(":", 1)[0]: r.reason for r in summary.rejects}
    assert all(r.file == str(path) for r in summary.rejects)
    assert set(reasons) == {
        "indicator--00000000-0000-4000-8000-000000000102", "indicator--00000000-0000-4000-8000-000000000103",
        "indicator--00000000-0000-4000-8000-000000000104", "object #4",
        "relationship--00000000-0000-4000-8000-000000000302",
    }
    assert "invalid STIX pattern" in reasons["indicator--00000000-0000-4000-8000-000000000102"]
    assert "not a string" in reasons["indicator--00000000-0000-4000-8000-000000000103"]
    assert "not a time" in reasons["indicator--00000000-0000-4000-8000-000000000104"]
    assert summary.skipped["stix x-acme-sighting"] == 1
    got = rows(store, "MATCH (r:Report)-[m:MENTIONS]->(n)-[:ATTRIBUTED_TO]->(t:Threat) RETURN n.key AS k, "
                      "m.valid_from AS vf, m.valid_until AS vu, m.confidence AS conf, t.key AS t ORDER BY k")
    assert got == [
        {"k": "203.0.113.5", "vf": 1672531200, "vu": 1685577600, "conf": 80, "t": "acme loader"},
        {"k": "good.example", "vf": 1672531200, "vu": 1685577600, "conf": 80, "t": "acme loader"},
    ]


def test_truncated_bundle_loads_what_came_before_the_cut(store: GraphStore, tmp_path: Path) -> None:
    text = json.dumps(bundle([MALFORMED[0], indicator(5, "[domain-name:value = 'later.example']")]), indent=1)
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index("later.example")], encoding="utf-8")
    summary = load(store, read_stix(path, "acme", observed_at=T0), source="acme")
    (reject,) = summary.rejects
    assert reject.file == str(path) and reject.line is not None and "malformed JSON" in reject.reason
    got = rows(store, "MATCH (n) WHERE n.indicator = true RETURN n.key AS k ORDER BY k")
    assert [r["k"] for r in got] == ["203.0.113.5", "good.example"]


def test_reloading_a_bundle_is_idempotent(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "stix21-oasis-examples/examples/threat-reports/poisonivy.json"
    load(store, read_stix(path, "oasis", observed_at=T0), source="oasis")
    before = store.counts()
    load(store, read_stix(path, "oasis", observed_at=T0 + 86400), source="oasis")
    assert store.counts() == before
    counts = rows(store, "MATCH ()-[m:MENTIONS]->() RETURN max(m.count) AS mx")
    assert counts == [{"mx": 1}]


CERT_SHA256, CERT_SHA1 = "ab" * 32, "cd" * 20
OBSERVABLES = [
    {"type": "marking-definition", "id": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
     "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "definition": {"tlp": "amber"}},
    indicator(6, f"[x509-certificate:hashes.'SHA-256' = '{CERT_SHA256.upper()}' AND "
                 f"x509-certificate:hashes.'SHA-1' = '{CERT_SHA1}' AND x509-certificate:issuer = 'CN=Acme CA'] "
                 "OR [x509-certificate:hashes.'SHA-1' = '" + "ef" * 20 + "']",
              object_marking_refs=["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]),
    indicator(7, "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] AND [ipv6-addr:value = '2001:db8::1'] AND "
                 "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'c2.acme.example' "
                 "AND network-traffic:dst_port = 8443] AND [autonomous-system:number = 64500]"),
    indicator(8, "alert tcp any any -> any any (msg:\"x\";)", pattern_type="snort"),
    {"type": "x509-certificate", "spec_version": "2.1", "id": "x509-certificate--00000000-0000-4000-8000-000000000401",
     "hashes": {"SHA-256": "12" * 32}, "subject": "CN=portal.acme.example", "serial_number": "01:02",
     "validity_not_before": "2023-01-01T00:00:00Z", "validity_not_after": "2024-01-01T00:00:00Z",
     "x509_v3_extensions": {"subject_alternative_name": "DNS:portal.acme.example, DNS:*.cdn.acme.example"}},
    {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--00000000-0000-4000-8000-000000000501",
     "value": "portal.acme.example", "resolves_to_refs": ["ipv4-addr--00000000-0000-4000-8000-000000000601"]},
    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000601",
     "value": "203.0.113.77", "belongs_to_refs": ["autonomous-system--00000000-0000-4000-8000-000000000701"]},
    {"type": "autonomous-system", "spec_version": "2.1",
     "id": "autonomous-system--00000000-0000-4000-8000-000000000701", "number": 64501, "name": "ACME-AS"},
    {"type": "network-traffic", "spec_version": "2.1", "id": "network-traffic--00000000-0000-4000-8000-000000000801",
     "dst_ref": "ipv4-addr--00000000-0000-4000-8000-000000000601", "dst_port": 443, "protocols": ["tcp"]},
    {"type": "infrastructure", "spec_version": "2.1", "id": "infrastructure--00000000-0000-4000-8000-000000000901",
     "name": "Acme portal", "created": "2023-01-01T00:00:00Z", "modified": "2023-01-01T00:00:00Z"},
    {"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000311",
     "relationship_type": "communicates-with", "created": "2023-01-01T00:00:00Z",
     "source_ref": "infrastructure--00000000-0000-4000-8000-000000000901",
     "target_ref": "network-traffic--00000000-0000-4000-8000-000000000801"},
    {"type": "report", "spec_version": "2.1", "id": "report--00000000-0000-4000-8000-000000000a01",
     "name": "Acme portal", "published": "2023-02-01T00:00:00Z", "created": "2023-01-01T00:00:00Z",
     "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
     "external_references": [{"source_name": "blog", "url": "https://blog.example/acme"}],
     "object_refs": ["x509-certificate--00000000-0000-4000-8000-000000000401",
                     "infrastructure--00000000-0000-4000-8000-000000000901"]},
    {"type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000b01",
     "created": "2017-01-01T00:00:00Z", "first_observed": "2017-01-01T00:00:00Z",
     "last_observed": "2017-01-02T00:00:00Z", "number_observed": 1,
     "objects": {"0": {"type": "domain-name", "value": "seen.acme.example"}, "1": {"type": "file", "name": "a.exe"}}},
]


def test_stix_observables_certificates_and_refs(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "observables.json"
    path.write_text(json.dumps(bundle(OBSERVABLES)), encoding="utf-8")
    summary = load(store, read_stix(path, "acme", observed_at=T0), source="acme")
    assert summary.rejected == 0, [str(r) for r in summary.rejects]
    assert summary.skipped["stix indicator pattern_type snort"] == 1
    assert summary.skipped_parts["stix observed file"] == 1  # a part of an observed-data object that loaded
    certs = rows(store, "MATCH (c:Certificate) RETURN c.key AS k, c.key_type AS kt, c.sha1 AS sha1, "
                        "c.issuer AS issuer, c.indicator AS ind ORDER BY k")
    assert certs == [
        {"k": "12" * 32, "kt": "sha256", "sha1": None, "issuer": None, "ind": None},
        {"k": CERT_SHA256, "kt": "sha256", "sha1": CERT_SHA1, "issuer": "CN=Acme CA", "ind": True},
        {"k": "ef" * 20, "kt": "sha1", "sha1": None, "issuer": None, "ind": True},
    ]
    sans = rows(store, "MATCH (c:Certificate)-[:SAN]->(d:Domain) RETURN d.key AS name ORDER BY name")
    assert [r["name"] for r in sans] == ["cdn.acme.example", "portal.acme.example"]
    values = rows(store, "MATCH (n) WHERE n.indicator = true AND n.kind IN ['IP', 'Netblock', 'Domain', 'ASN'] "
                         "RETURN n.kind AS kind, n.key AS k ORDER BY k")
    assert [(r["kind"], r["k"]) for r in values] == [
        ("Netblock", "198.51.100.0/24"), ("IP", "2001:db8::1"), ("IP", "203.0.113.77"), ("ASN", "64500"),
        ("Domain", "c2.acme.example"),
    ]
    port = rows(store, "MATCH (:Report)-[m:MENTIONS]->(d:Domain {key: 'c2.acme.example'}) RETURN m.context AS ctx")
    assert "port: 8443" in port[0]["ctx"]
    infra = rows(store, "MATCH (ip:IP)-[:ATTRIBUTED_TO]->(t:Threat) RETURN ip.key AS ip, t.key AS t")
    assert infra == [{"ip": "203.0.113.77", "t": "acme portal"}]
    chain = rows(store, "MATCH (d:Domain)-[:RESOLVES_TO]->(ip:IP)-[:ANNOUNCED_BY]->(a:ASN) "
                        "RETURN d.key AS d, ip.key AS ip, a.key AS asn, a.name AS name")
    assert chain == [{"d": "portal.acme.example", "ip": "203.0.113.77", "asn": "64501", "name": "ACME-AS"}]
    reports = rows(store, "MATCH (r:Report) RETURN r.key AS k, r.tlp AS tlp, r.url AS url, r.published AS pub "
                          "ORDER BY k")
    assert reports == [
        {"k": "acme:bundle--00000000-0000-4000-8000-000000000001", "tlp": "amber", "url": None, "pub": None},
        {"k": "acme:report--00000000-0000-4000-8000-000000000a01", "tlp": "amber", "url": "https://blog.example/acme",
         "pub": 1675209600},
    ]
    about = rows(store, "MATCH (r:Report {key: $k})-[:MENTIONS|ABOUT]->(n) RETURN n.key AS name ORDER BY name",
                 k="acme:report--00000000-0000-4000-8000-000000000a01")
    assert [r["name"] for r in about] == ["12" * 32, "acme portal"]
    seen = rows(store, "MATCH (:Report)-[m:MENTIONS]->(d:Domain {key: 'seen.acme.example'}) "
                       "RETURN m.first_seen AS fs, m.last_seen AS ls, d.indicator AS ind")
    assert seen == [{"fs": 1483228800, "ls": 1483315200, "ind": None}]
