"""TAXII 2.1 pull (``load taxii``) and push (``export taxii``) against a real medallion server on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.stix import read_stix
from support import check_rels, load, shared_data
from taxii_server import PAGE_SIZE, Medallion, medallion_server, taxii_env
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.demo_scenario import scenario
from graphpivot.feeds.taxii import collection_url, pull, saved_position
from graphpivot.hunt.model import Options
from graphpivot.hunt.pack import run_hunt
from graphpivot.hunt.runner import Runner
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

__all__ = ["medallion_server", "taxii_env"]  # fixtures from the helper module
runner = CliRunner()


def indicator(n: int) -> dict[str, Any]:
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": f"[domain-name:value = 'c2-{n}.evil.example']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z", "indicator_types": ["malicious-activity"],
    }


MALWARE = {"type": "malware", "spec_version": "2.1", "id": "malware--11111111-1111-4111-8111-111111111111",
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
           "name": "TestRAT", "is_family": True}


def indicates(n: int) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1", "id": f"relationship--22222222-2222-4222-8222-{n:012d}",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "relationship_type": "indicates", "source_ref": indicator(n)["id"], "target_ref": MALWARE["id"]}


@pytest.fixture(params=("ladybug", "neo4j"))
def engine(request: pytest.FixtureRequest, tmp_path: Path, neo4j_store: GraphStore | None) -> Iterator[list[str]]:
    if request.param == "ladybug":
        yield ["--engine", "ladybug", "--db", str(tmp_path / "taxii.lbdb")]
        return
    if neo4j_store is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but GRAPHPIVOT_NEO4J_URI is not set")
        pytest.skip("no Neo4j (set GRAPHPIVOT_NEO4J_URI)")
    neo4j_store.clear()
    yield ["--engine", "neo4j"]


def _store(engine: list[str], neo4j_store: GraphStore | None) -> GraphStore:
    if engine[1] == "neo4j":
        assert neo4j_store is not None
        return neo4j_store
    return LadybugStore(Path(engine[3]))


def load_taxii(engine: list[str], server: Medallion, collection: str, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, [*engine, "load", "taxii", server.api_root, "--collection", collection,
                                 "--json", *extra])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def fetched(summary: dict[str, Any]) -> tuple[int, int]:
    note = next(n for n in summary["notes"] if n.startswith("TAXII "))
    words = note.split(": ", 1)[1].split()
    return int(words[0]), int(words[words.index("in") + 1])


def test_pages_then_nothing_new_then_exactly_the_new_one(
    engine: list[str], medallion_server: Medallion, taxii_env: dict[str, str], neo4j_store: GraphStore | None
) -> None:
    server = medallion_server
    collection = server.new_collection()
    objects = [MALWARE, *[indicator(n) for n in range(5)], *[indicates(n) for n in range(2)]]
    server.add(collection, objects)
    assert len(objects) > PAGE_SIZE  # two pages at medallion's page size

    first = load_taxii(engine, server, collection)
    assert fetched(first) == (8, 2)
    assert first["rejected"] == 0
    store = _store(engine, neo4j_store)
    try:
        domains = store.read("MATCH (d:Domain) WHERE d.indicator = true RETURN d.key AS k ORDER BY k", {})
        assert [r["k"] for r in domains] == [f"c2-{n}.evil.example" for n in range(5)]
        rels = store.read(
            "MATCH (d:Domain)-[:ATTRIBUTED_TO]->(t:Threat) RETURN d.key AS dk, t.key AS tk ORDER BY dk", {}
        )
        assert rels == [{"dk": "c2-0.evil.example", "tk": "testrat"}, {"dk": "c2-1.evil.example", "tk": "testrat"}]
        url = collection_url(server.api_root, collection)
        position = saved_position(store, url)
        manifest_last = max(m["date_added"] for m in server.backend.data["api1"]["collections"][-1]["manifest"])
        assert position == manifest_last
    finally:
        if engine[1] == "ladybug":
            store.close()

    second = load_taxii(engine, server, collection)
    assert fetched(second) == (0, 1)

    server.add(collection, [indicator(99)])
    third = load_taxii(engine, server, collection)
    assert fetched(third) == (1, 1)
    store = _store(engine, neo4j_store)
    try:
        domains = store.read("MATCH (d:Domain) WHERE d.indicator = true RETURN d.key AS k ORDER BY k", {})
        assert [r["k"] for r in domains] == sorted([f"c2-{n}.evil.example" for n in (0, 1, 2, 3, 4, 99)])
        # One Report per collection, whatever the number of pulls.
        reports = store.read("MATCH (r:Report) RETURN r.key AS k", {})
        assert len(reports) == 1
    finally:
        if engine[1] == "ladybug":
            store.close()
    # --added-after overrides the saved position: from the start again, everything.
    again = load_taxii(engine, server, collection, "--added-after", "2000-01-01T00:00:00Z")
    assert fetched(again) == (9, 2)


def test_pull_reads_exactly_the_new_objects(medallion_server: Medallion, taxii_env: dict[str, str]) -> None:
    collection = medallion_server.new_collection()
    url = collection_url(medallion_server.api_root, collection)
    medallion_server.add(collection, [indicator(n) for n in range(7)])
    first = pull(url, added_after=None)
    assert (len(first.objects), first.pages) == (7, 2)
    medallion_server.add(collection, [indicator(42)])
    second = pull(url, added_after=first.position)
    assert [o["id"] for o in second.objects] == [indicator(42)["id"]]


def test_wrong_credentials_fail_clearly(medallion_server: Medallion, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setenv("GRAPHPIVOT_TAXII_USER", "analyst")
    monkeypatch.setenv("GRAPHPIVOT_TAXII_PASSWORD", "wrong")
    collection = medallion_server.new_collection()
    result = runner.invoke(app, ["--engine", "ladybug", "--db", str(tmp_path / "x.lbdb"), "load", "taxii",
                                 medallion_server.api_root, "--collection", collection])
    assert result.exit_code != 0
    assert "401" in result.stderr


def test_push_lands_in_the_collection_and_reads_back(medallion_server: Medallion, taxii_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    bundle_path = shared_data() / "stix21-oasis-examples" / "examples" / "indicator-for-c2-ip-address.json"
    bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
    collection = medallion_server.new_collection()
    result = runner.invoke(app, ["export", "taxii", str(bundle_path), "--taxii", medallion_server.api_root,
                                 "--collection", collection, "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    status = json.loads(result.stdout)
    assert status["success"] == status["total"] == len(bundle["objects"])
    assert {o["id"] for o in medallion_server.stored(collection)} == {o["id"] for o in bundle["objects"]}
    back = pull(collection_url(medallion_server.api_root, collection), added_after=None)
    assert sorted(back.objects, key=lambda o: o["id"]) == sorted(bundle["objects"], key=lambda o: o["id"])
    # A read-only collection refuses the push with a clear message.
    read_only = medallion_server.new_collection(can_write=False)
    refused = runner.invoke(app, ["export", "taxii", str(bundle_path), "--taxii", medallion_server.api_root,
                                  "--collection", read_only])
    assert refused.exit_code != 0 and "does not allow writing" in refused.stderr


def _exchanged(store: GraphStore) -> dict[str, set[tuple[Any, ...]]]:
    """What a STIX export carries, in graph terms: indicators, resolutions, sightings, attributions."""
    got: dict[str, set[tuple[Any, ...]]] = {
        "indicators": {(label, r["k"]) for label in ("Domain", "IP", "URL")
                       for r in store.read(f"MATCH (n:{label}) WHERE n.indicator = true RETURN n.key AS k", {})},
        "RESOLVES_TO": check_rels(store, "Domain", "RESOLVES_TO", "IP"),
    }
    for rel, label in (("QUERIED", "Domain"), ("CONNECTED_TO", "IP"), ("REQUESTED", "URL")):
        got[rel] = check_rels(store, "Host", rel, label, "count")
    got["ATTRIBUTED_TO"] = check_rels(store, "Domain", "ATTRIBUTED_TO", "Threat") | check_rels(
        store, "IP", "ATTRIBUTED_TO", "Threat")
    return got


def test_exported_findings_pushed_to_taxii_load_back_the_same(
    engine: list[str], medallion_server: Medallion, taxii_env: dict[str, str], neo4j_store: GraphStore | None,
    tmp_path: Path,
) -> None:
    """``export stix --taxii``: the hunt's findings land in the collection and a ``load taxii`` of it gives the
    same indicators, relationships and sightings as loading the exported file."""
    hunted = LadybugStore(tmp_path / "hunt.lbdb")
    try:
        load(hunted, scenario(), source="demo")
        findings = [f.as_dict() for f in run_hunt(Runner(hunted), Options(expand=True)).findings]
    finally:
        hunted.close()
    assert findings
    findings_file = tmp_path / "findings.json"
    findings_file.write_text(json.dumps(findings), encoding="utf-8")
    out = tmp_path / "findings.stix.json"
    collection = medallion_server.new_collection()
    pushed = runner.invoke(app, ["export", "stix", "--findings", str(findings_file), "-o", str(out),
                                 "--taxii", medallion_server.api_root, "--collection", collection])
    assert pushed.exit_code == 0, (pushed.stdout, pushed.stderr)
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert f"pushed {len(bundle['objects'])}/{len(bundle['objects'])} object(s)" in pushed.stdout
    assert {o["id"] for o in medallion_server.stored(collection)} == {o["id"] for o in bundle["objects"]}
    assert {"indicator", "relationship", "sighting"} <= {o["type"] for o in medallion_server.stored(collection)}

    direct = LadybugStore(tmp_path / "direct.lbdb")
    try:
        load(direct, read_stix(out, "file", observed_at=1_800_000_000), source="file")
        want = _exchanged(direct)
    finally:
        direct.close()
    assert want["indicators"] and want["QUERIED"] and want["RESOLVES_TO"]

    load_taxii(engine, medallion_server, collection)
    store = _store(engine, neo4j_store)
    try:
        assert _exchanged(store) == want
    finally:
        if engine[1] == "ladybug":
            store.close()


def test_taxii_needs_its_collection(tmp_path: Path) -> None:
    findings_file = tmp_path / "f.json"
    findings_file.write_text("[]", encoding="utf-8")
    result = runner.invoke(app, ["export", "stix", "--findings", str(findings_file), "-o", str(tmp_path / "o.json"),
                                 "--taxii", "https://taxii.example/api1/"])
    assert result.exit_code != 0 and "--taxii and --collection go together" in result.stderr
