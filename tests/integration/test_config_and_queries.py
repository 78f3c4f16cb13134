"""Config file and profiles, the analyst's own stored queries, ``pivot lint``, ad-hoc ``query``, ``--db`` checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import load
from typer.testing import CliRunner

from graphpivot.catalog import Catalog, QueryError
from graphpivot.cli import app
from graphpivot.config import ConfigError, from_env
from graphpivot.model import Edge
from graphpivot.store.embedded import LadybugStore

OWN_QUERY = """// id: my-hosts-of-domain
// title: Hosts that queried a domain (an analyst's own query)
// params:
//   seed: {type: domain, required: true}
// columns: [host]
MATCH (h:Host)-[:QUERIED]->(d:Domain {key: $seed})
RETURN h.key AS host ORDER BY host
"""


def invoke(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    path = tmp_path / "graph.lbdb"
    store = LadybugStore(path)
    store.init_schema()
    load(store, [Edge("QUERIED", "Host", "10.0.0.5", "Domain", "evil.example", {"first_seen": 1, "last_seen": 2})])
    store.close()
    return path


def test_profiles_pick_engine_and_paths_and_environment_overrides(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "local"\n[hunt]\nmax_fanout = 150\n'
        f'[profiles.local]\nengine = "ladybug"\ndb_path = "{tmp_path / "a.lbdb"}"\n'
        '[profiles.lab]\nengine = "neo4j"\nneo4j_uri = "bolt://127.0.0.1:7999"\npassword_env = "LAB_PW"\n'
    )
    env = {"GRAPHPIVOT_CONFIG": str(config)}
    local = from_env(env)
    assert (local.profile, local.resolved_engine, local.db_path, local.hunt.max_fanout) == (
        "local", "ladybug", tmp_path / "a.lbdb", 150)
    lab = from_env({**env, "LAB_PW": "pw-from-env"}, profile="lab")
    assert lab.resolved_engine == "neo4j" and lab.neo4j_password.get_secret_value() == "pw-from-env"
    assert from_env({**env, "GRAPHPIVOT_DB": str(tmp_path / "b.lbdb")}).db_path == tmp_path / "b.lbdb"
    with pytest.raises(ConfigError, match="no profile 'prod'"):
        from_env(env, profile="prod")


def test_a_password_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.lab]\nneo4j_uri = "bolt://127.0.0.1:7999"\nneo4j_password = "hunter2"\n')
    with pytest.raises(ConfigError, match="holds a password") as caught:
        from_env({"GRAPHPIVOT_CONFIG": str(config)})
    assert "hunter2" not in str(caught.value)


def test_config_show_masks_the_password_and_userinfo(tmp_path: Path) -> None:
    env = {"GRAPHPIVOT_CONFIG": str(tmp_path / "none.toml"), "GRAPHPIVOT_NEO4J_PASSWORD": "s3cret-value",
           "GRAPHPIVOT_NEO4J_URI": "bolt://user:pw@127.0.0.1:7999"}
    code, out, _ = invoke(["config", "show"], env)
    assert code == 0
    shown = json.loads(out)
    assert shown["neo4j_password"] == "(set)" and "s3cret-value" not in out and "pw@" not in out
    assert shown["neo4j_uri"] == "bolt://***@127.0.0.1:7999"


def test_own_queries_join_the_catalogue_run_and_lint(tmp_path: Path, graph: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "my-hosts-of-domain.cypher").write_text(OWN_QUERY)
    env = {"GRAPHPIVOT_CONFIG": str(tmp_path / "none.toml"), "GRAPHPIVOT_QUERIES": str(folder)}
    code, out, _ = invoke(["pivot", "list", "--format", "json"], env)
    listed = {q["id"]: q["group"] for q in json.loads(out)}
    assert code == 0 and listed["my-hosts-of-domain"] == "user" and listed["shared-ip"] == "pivots"
    code, out, err = invoke(["--db", str(graph), "pivot", "run", "my-hosts-of-domain", "-p", "seed=EVIL.example.",
                             "--format", "json"], env)
    assert code == 0, err
    assert json.loads(out) == [{"host": "10.0.0.5"}]
    code, _, err = invoke(["pivot", "lint"], env)
    assert code == 0 and "0 errors" in err
    (folder / "bad-query.cypher").write_text(
        "// id: bad-query\n// title: writes and uses an undeclared parameter\n// params: {}\n"
        "MATCH (d:Domain {key: $seed}) SET d.noise = true RETURN d.key AS key\n"
    )
    code, out, _ = invoke(["pivot", "lint"], env)
    assert code == 1
    assert "bad-query: error: portable text writes (SET)" in out and "uses $seed" in out


def test_an_own_query_may_not_take_a_shipped_id(tmp_path: Path) -> None:
    (tmp_path / "shared-ip.cypher").write_text(OWN_QUERY.replace("my-hosts-of-domain", "shared-ip"))
    with pytest.raises(QueryError, match="duplicate stored query id 'shared-ip'"):
        Catalog(user_folder=tmp_path)


def test_adhoc_query_reads_and_refuses_writes(tmp_path: Path, graph: Path) -> None:
    env = {"GRAPHPIVOT_CONFIG": str(tmp_path / "none.toml")}
    code, out, err = invoke(["--db", str(graph), "query", "MATCH (h:Host)-[:QUERIED]->(d:Domain) "
                             "WHERE d.key = $name RETURN h.key AS host", "-p", "name=evil.example", "-f", "json"], env)
    assert code == 0, err
    assert json.loads(out) == [{"host": "10.0.0.5"}]
    code, _, err = invoke(["--db", str(graph), "query", "MATCH (n) DETACH DELETE n"], env)
    assert code == 2 and "only reads" in err
    store = LadybugStore(graph)
    assert store.counts()[0]["Host"] == 1
    store.close()


def test_a_mistyped_db_path_is_refused_by_read_commands(tmp_path: Path) -> None:
    env = {"GRAPHPIVOT_CONFIG": str(tmp_path / "none.toml")}
    missing = tmp_path / "typo.lbdb"
    for args in (["pivot", "run", "subdomains", "-p", "seed=evil.example"], ["query", "RETURN 1 AS x"],
                 ["exposure", "evil.example"]):
        code, _, err = invoke(["--db", str(missing), *args], env)
        assert code == 2 and "no embedded database at" in err, args
    assert not missing.exists()
    code, _, err = invoke(["--db", str(missing), "db", "init"], env)
    assert code == 0, err
    code, _, err = invoke(["--db", str(missing), "query", "RETURN 1 AS x"], env)
    assert code == 0, err
