"""The first vertical slice: IOC lists in, shared-IP pivot out, identical on both engines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphpivot.loaders.intel.ioclist import read_ioc_list
from support import load, rows

from graphpivot.canonical import InvalidValue
from graphpivot.catalog import Catalog
from graphpivot.demo_scenario import SEED, scenario
from graphpivot.model import Reject, indicator_node
from graphpivot.store.base import GraphStore

T0 = 1_700_000_000


def expected_indicators(path: Path) -> tuple[dict[str, set[str]], int]:
    """Independent reading of a trail file: every non-comment line, classified, plus bad-line count."""
    found: dict[str, set[str]] = {"Domain": set(), "IP": set(), "URL": set()}
    bad = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            node = indicator_node(line)
        except InvalidValue:
            bad += 1
            continue
        if node.label == "Domain" and "." not in node.key:
            bad += 1
            continue
        found[node.label].add(node.key)
    return found, bad


@pytest.mark.parametrize("trail", ["malware/ursnif.txt", "malicious/sliver.txt"])
def test_maltrail_lists_load_with_counts(store: GraphStore, data_dir: Path, trail: str) -> None:
    path = data_dir / "maltrail-trails/trails/static" / trail
    expected, bad = expected_indicators(path)
    summary = load(store, read_ioc_list(path, "maltrail", threat=path.stem, observed_at=T0), source="maltrail")
    assert summary.rejected == bad
    for label, keys in expected.items():
        got = rows(store, f"MATCH (n:{label}) WHERE n.indicator = true RETURN count(n) AS c")[0]["c"]
        assert got == len(keys), label
    (report,) = rows(store, "MATCH (r:Report)-[m:MENTIONS]->() RETURN r.key AS key, count(m) AS mentions")
    assert report == {"key": f"maltrail:{path.name}", "mentions": sum(len(v) for v in expected.values())}
    # Sample spot checks straight from the file.
    if trail == "malware/ursnif.txt":
        ursnif = rows(
            store,
            "MATCH (r:Report)-[m:MENTIONS]->(d:Domain {key: $k})-[:ATTRIBUTED_TO]->(t:Threat) "
            "RETURN d.indicator AS ind, t.key AS threat, m.context AS ctx",
            k="wensa.at",
        )
        assert ursnif and ursnif[0]["ind"] is True and ursnif[0]["threat"] == "ursnif"


def test_reload_is_idempotent_for_intel(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "maltrail-trails/trails/static/malware/ursnif.txt"
    load(store, read_ioc_list(path, "maltrail", observed_at=T0), source="maltrail")
    before = store.counts()
    load(store, read_ioc_list(path, "maltrail", observed_at=T0 + 3600), source="maltrail")
    assert store.counts() == before
    counts = rows(store, "MATCH ()-[m:MENTIONS]->() RETURN max(m.count) AS mx, max(m.last_seen) AS last")[0]
    assert counts == {"mx": 1, "last": T0 + 3600}


def test_bad_lines_are_reported_and_good_lines_load(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_text(
        "# Reference: https://example.org/report\n"
        "good-one[.]com\n"
        "bad..name.com\n"
        "hxxp://stage.example.net/payload.bin\n"
        "1.2.3.4:99999\n"
        "198.51.100.9:8443\n",
        encoding="utf-8",
    )
    records = list(read_ioc_list(path, "analyst", observed_at=T0))
    rejects = [r for r in records if isinstance(r, Reject)]
    assert [(r.line, bool(re.search("label|port", r.reason))) for r in rejects] == [(3, True), (5, True)]
    summary = load(store, records, source="analyst")
    assert summary.rejected == 2
    got = rows(store, "MATCH (n) WHERE n.indicator = true RETURN n.key AS key ORDER BY key")
    assert [r["key"] for r in got] == ["198.51.100.9", "good-one.com", "http://stage.example.net/payload.bin"]
    host = rows(store, "MATCH (:URL)-[:ON_HOST]->(d:Domain) RETURN d.key AS k, d.indicator AS i")
    assert host == [{"k": "stage.example.net", "i": None}]
    ctx = rows(store, "MATCH ()-[m:MENTIONS]->(ip:IP) RETURN m.context AS ctx")[0]["ctx"]
    assert sorted(ctx) == ["port: 8443", "reference: https://example.org/report"]


def test_shared_ip_pivot_on_demo(store: GraphStore) -> None:
    load(store, scenario(), source="demo")
    query = Catalog().get("shared-ip")
    got = store.read(query.cypher_for(store.engine), query.bind({"seed": SEED.upper() + "."}))
    assert [(r["domain"], r["via_ip"], r["ip_degree"]) for r in got] == [
        ("login-verify.net", "203.0.113.10", 4),
        ("mail-sync.org", "203.0.113.10", 4),
    ]
    # Raising the fan-out cap lets the hub through: 300 shops appear.
    hub = store.read(query.cypher_for(store.engine), query.bind({"seed": SEED, "max_fanout": 1000}))
    assert sum(1 for r in hub if r["via_ip"] == "198.51.100.7") == 300
    # Without time overlap the reused IP is not a link; widening the tolerance makes it one.
    wide = store.read(query.cypher_for(store.engine), query.bind({"seed": SEED, "tolerance": 90 * 86400}))
    assert "benign-bakery.com" in {r["domain"] for r in wide}
