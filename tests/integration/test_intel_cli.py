"""The intel ``load`` commands end to end through the CLI, on both engines."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphpivot.loaders.reference.webservice_catalogue import catalogue_path
from typer.testing import CliRunner

from graphpivot.cli import app
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

runner = CliRunner()


@pytest.fixture(params=("ladybug", "neo4j"))
def engine(request: pytest.FixtureRequest, tmp_path: Path, neo4j_store: GraphStore | None) -> Iterator[list[str]]:
    """Root options selecting an empty graph on each engine."""
    if request.param == "ladybug":
        yield ["--engine", "ladybug", "--db", str(tmp_path / "cli.lbdb")]
        return
    if neo4j_store is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but GRAPHPIVOT_TEST_NEO4J_URI is not set")
        pytest.skip("no Neo4j (set GRAPHPIVOT_TEST_NEO4J_URI)")
    neo4j_store.clear()
    yield ["--engine", "neo4j"]


def invoke(engine: list[str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*engine, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def counts(engine: list[str], neo4j_store: GraphStore | None) -> dict[str, int]:
    """Node counts per label, read with a fresh store (the CLI closed its own)."""
    if engine[1] == "neo4j":
        assert neo4j_store is not None
        nodes, _ = neo4j_store.counts()
    else:
        store = LadybugStore(Path(engine[3]))
        nodes, _ = store.counts()
        store.close()
    return {k: v for k, v in nodes.items() if v}


def test_dry_run_writes_nothing(engine: list[str], data_dir: Path, neo4j_store: GraphStore | None) -> None:
    path = data_dir / "unit42-stix2/report_json/njrat-active-pastebin-c2-tunnels.json"
    code, out, _ = invoke(engine, "load", "stix", "--source", "unit42", "--dry-run", "--json", str(path))
    summary = json.loads(out)
    assert code == 0 and summary["dry_run"] is True
    assert summary["nodes"]["URL"] == 31 and summary["skipped"] == {"stix pattern term file:hashes.SHA-256": 29}
    assert counts(engine, neo4j_store) == {}
    code, out, _ = invoke(engine, "load", "stix", "--source", "unit42", str(path))
    assert code == 0 and "wrote nodes" in out
    assert "skipped (not loaded): stix pattern term file:hashes.SHA-256 29" in out
    assert counts(engine, neo4j_store)["URL"] == 31


def test_db_init_loads_the_catalogue(engine: list[str], neo4j_store: GraphStore | None) -> None:
    code, out, _ = invoke(engine, "load", "webservices", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["nodes"]["WebService"] > 50
    assert counts(engine, neo4j_store) == {}
    code, out, _ = invoke(engine, "db", "init")
    slugs = {line.split(",")[2] for line in catalogue_path().read_text(encoding="utf-8").splitlines()[5:]}
    assert code == 0 and f"{len(slugs)} services" in out
    assert counts(engine, neo4j_store)["WebService"] == len(slugs)
    code, out, _ = invoke(engine, "load", "webservices", "--json")
    assert code == 0 and json.loads(out)["rejected"] == 0
    assert counts(engine, neo4j_store)["WebService"] == len(slugs)


def test_strict_and_rejects_file(engine: list[str], data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Event": {"uuid": "5f0c3a6e-0000-4000-8000-00000000e009", "info": "x",
                                         "Attribute": [{"uuid": "a1", "type": "ip-dst", "value": "no-ip"}]}}),
                   encoding="utf-8")
    rejects = tmp_path / "rejects.ndjson"
    good = data_dir / "eset-misp/glupteba/glupteba.misp-event.json"
    code, _, err = invoke(engine, "load", "misp", "--strict", "--rejects", str(rejects), str(good), str(bad))
    assert code == 1 and "rejected" in err and "no-ip" in err
    (line,) = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert line["file"] == str(bad) and "event 5f0c3a6e-0000-4000-8000-00000000e009: attribute a1" in line["reason"]
    code, _, _ = invoke(engine, "load", "misp", str(good))
    assert code == 0


def test_feed_fingerprints_and_certs_commands(engine: list[str], data_dir: Path, tmp_path: Path) -> None:
    code, _, err = invoke(engine, "load", "feed", "--source", "x", str(data_dir / "eset-misp/PROVENANCE.md"))
    assert code == 2 and "--columns" in err
    feed = data_dir / "maltrail-trails/derived/maltrail_abused_web_services.csv"
    code, out, _ = invoke(engine, "load", "feed", "--source", "maltrail", "--columns",
                          "value=trail,threat=maltrail_family", "--json", str(feed))
    assert code == 0 and json.loads(out)["rejected"] == 0
    ja3 = data_dir / "tls-fingerprints-salesforce/ja3/osx-nix-ja3.csv"
    code, out, _ = invoke(engine, "load", "fingerprints", "--type", "ja3", "--verdict", "benign", "--json", str(ja3))
    with ja3.open(encoding="utf-8", newline="") as handle:
        notice_lines = next(csv.reader(handle))[0].count("\n") + 1  # the licence notice is one quoted record
    assert code == 0 and json.loads(out)["skipped"] == {"fingerprint table notice record": notice_lines}
    pems = sorted(str(p) for p in (data_dir / "eset-misp/dnsbirthday").glob("*.pem"))
    code, out, _ = invoke(engine, "load", "certs", "--source", "eset", "--threat", "DNSBirthday", "--json", *pems)
    assert code == 0 and json.loads(out)["nodes"]["Certificate"] == 2
    code, _, err = invoke(engine, "load", "certs", str(tmp_path / "missing.pem"))
    assert code == 2 and "no such file" in err
