"""ATT&CK ids: every stored query's header names only techniques the packaged table knows and has neither
revoked nor deprecated (the CI check), and ``pivot lint`` says so; the table itself matches its source rules."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphpivot import attack
from graphpivot.catalog import Catalog, cypher_root
from graphpivot.cli import app


def header_attack_problems(catalog: Catalog) -> list[str]:
    """Every ATT&CK id in a query header that must not be used, with the query that names it."""
    return [f"{q.id}: {why}" for q in catalog for tid in q.header.attack if (why := attack.problem(tid))]


def test_every_query_header_names_valid_attack_techniques() -> None:
    catalog = Catalog(with_user=False)
    assert sum(len(q.header.attack) for q in catalog) > 30  # the check has something to check
    assert header_attack_problems(catalog) == []


def _broken_catalogue(tmp_path: Path, ids: str) -> Path:
    root = tmp_path / "cypher"
    shutil.copytree(cypher_root(), root)
    query = root / "hunts" / "exposure-domain.cypher"
    text = query.read_text(encoding="utf-8")
    assert "// attack: [T1071.001, T1071.004, T1102]" in text
    query.write_text(text.replace("// attack: [T1071.001, T1071.004, T1102]", f"// attack: [{ids}]"), encoding="utf-8")
    return query


def test_the_check_fails_on_an_unknown_a_revoked_and_a_deprecated_id(tmp_path: Path) -> None:
    query = _broken_catalogue(tmp_path, "T1071.004, T1999, T1002, T1064")
    problems = header_attack_problems(Catalog(query.parent.parent, with_user=False))
    assert len(problems) == 3, problems
    assert "exposure-domain: T1999 is not an ATT&CK technique" in problems[0]
    assert "T1002 (Data Compressed) is revoked" in problems[1]
    assert "T1064 (Scripting) is deprecated" in problems[2]


def test_pivot_lint_reports_the_bad_ids_and_fails(tmp_path: Path) -> None:
    query = _broken_catalogue(tmp_path, "T1071.004, T1999, T1002")
    result = CliRunner().invoke(app, ["pivot", "lint", str(query)])
    assert result.exit_code == 1
    assert "exposure-domain: error: header attack: T1999 is not an ATT&CK technique" in result.stdout
    assert "exposure-domain: error: header attack: T1002 (Data Compressed) is revoked in ATT&CK" in result.stdout
    assert "T1071.004" not in result.stdout  # a valid id is not reported
    good = CliRunner().invoke(app, ["pivot", "lint", str(cypher_root() / "hunts" / "exposure-domain.cypher")])
    assert good.exit_code == 0 and "header attack" not in good.stdout


@pytest.mark.parametrize(("tid", "name", "tactic"), [
    ("T1071.004", "DNS", "command-and-control"),
    ("T1095", "Non-Application Layer Protocol", "command-and-control"),
    ("T1583.001", "Domains", "resource-development"),
    ("T1566.002", "Spearphishing Link", "initial-access"),
])
def test_table_names_tactics_and_links(tid: str, name: str, tactic: str) -> None:
    found = attack.technique(tid)
    assert found is not None and found.name == name and tactic in found.tactics and found.usable
    assert found.url == "https://attack.mitre.org/techniques/" + tid.replace(".", "/")
    assert found.domain == "enterprise-attack"


def test_table_file_is_well_formed_and_carries_the_notice() -> None:
    path = Path(attack.__file__).parent / "data" / "attack-techniques.csv"
    text = path.read_text(encoding="utf-8")
    assert "The MITRE Corporation" in text and attack.table().attack_version.isdigit()
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(attack.table().techniques) > 600
    assert all(r["deprecated"] in ("true", "false") and r["revoked"] in ("true", "false") for r in rows)
    # every sub-technique has its parent in the table
    assert {i.split(".")[0] for i in ids if "." in i} <= set(ids)


def test_ids_in_labels() -> None:
    assert attack.ids_in('misp-galaxy:mitre-attack-pattern="DNS - T1071.004"') == ["T1071.004"]
    assert attack.ids_in("T1071.001: Web Protocols") == ["T1071.001"]
    assert attack.ids_in("no technique here") == []
    assert attack.covers("T1071", "T1071.004") and not attack.covers("T1071.004", "T1071")


def test_web_service_catalogue_names_valid_attack_techniques() -> None:
    """The web-service catalogue's attack_ids reach the leads: the same check as the query headers."""
    path = Path(attack.__file__).parent / "data" / "webservices.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    ids = {t for row in csv.DictReader(lines) for t in row["attack_ids"].split(";") if t}
    assert len(ids) > 5
    assert [why for t in sorted(ids) if (why := attack.problem(t))] == []
