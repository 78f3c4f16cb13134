"""``graphpivot pivot`` end to end on both engines: params, --explain, timeouts, Neo4j Browser links."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from seedgraph import SOURCE, T0, records
from support import ENGINES, browser_editor_text, load, require_neo4j
from typer.testing import CliRunner

from graphpivot.browser import browser_link
from graphpivot.catalog import Catalog
from graphpivot.cli import app
from graphpivot.model import Edge, Record
from graphpivot.reference.noise_flags import NOISE_FILE_ENV, default_noise_file, load_rules
from graphpivot.store.base import GraphStore, QueryTimeout
from graphpivot.store.embedded import LadybugStore

Fill = Callable[[Iterable[Record]], None]
Read = Callable[[str], list[dict[str, object]]]
HEAVY = (
    "MATCH (a:Domain), (b:Domain), (c:Domain) WHERE a.key < b.key AND b.key < c.key "
    "RETURN count(*) AS n"
)


class Graph:
    """CLI options that select one engine's graph, and ways to fill and read it around CLI runs."""

    def __init__(self, args: list[str], fill: Fill, read: Read) -> None:
        self.args, self.fill, self.read = args, fill, read


@pytest.fixture(params=ENGINES)
def graph(request: pytest.FixtureRequest, tmp_path: Path, neo4j_store: GraphStore | None) -> Iterator[Graph]:
    if request.param == "ladybug":
        path = tmp_path / "graph.lbdb"

        def fill_ladybug(items: Iterable[Record]) -> None:
            store = LadybugStore(path)
            store.init_schema()
            load(store, items, source=SOURCE, observed_at=T0)
            store.close()

        def read_ladybug(cypher: str) -> list[dict[str, object]]:
            store = LadybugStore(path)
            try:
                return store.read(cypher)
            finally:
                store.close()

        yield Graph(["--engine", "ladybug", "--db", str(path)], fill_ladybug, read_ladybug)
        return
    neo = require_neo4j(neo4j_store)
    neo.clear()
    yield Graph(["--engine", "neo4j"], lambda items: load(neo, items, source=SOURCE, observed_at=T0), neo.read)


def hub_graph(domains: int, ips: int) -> Iterator[Record]:
    """Every domain on every IP: a worst case for expansion once the hub filter is lifted."""
    for d in range(domains):
        for i in range(ips):
            yield Edge("RESOLVES_TO", "Domain", f"d{d}.example", "IP", f"10.9.{i}.1", {"first_seen": T0})


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_run_json_explain_and_limit(graph: Graph) -> None:
    engine = graph.args
    graph.fill(records())
    code, out, err = invoke([*engine, "pivot", "run", "shared-ip", "-p", "seed=Evil.COM", "--explain", "-f", "json"])
    assert code == 0, err
    domains = {r["domain"] for r in json.loads(out)}
    assert domains >= {"evil-cdn.net", "edge.org"} and "later.org" not in domains
    assert json.loads(out)[0]["first_seen"].endswith("Z")  # times shown as ISO 8601
    query = Catalog().get("shared-ip")
    engine_name = engine[1]
    assert query.cypher_for(engine_name) in err
    params = json.loads(re.search(r"^// params: (.*)$", err, re.M).group(1))  # type: ignore[union-attr]
    assert params == query.bind({"seed": "evil.com"})
    code, out, _ = invoke([*engine, "pivot", "run", "shared-ip", "-p", "seed=evil.com", "--limit", "2", "-f", "ndjson"])
    assert code == 0 and len(out.splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "seed=evil.com", "-p", "bogus=1"], "unknown parameter 'bogus'"),
        ([], "missing required parameter 'seed'"),
        (["-p", "seed=evil.com", "-p", "max_fanout=many"], "parameter 'max_fanout' (int)"),
        (["-p", "seed=not a domain"], "parameter 'seed' (domain)"),
        (["-p", "seed"], "--param takes name=value"),
    ],
)
def test_bad_params_are_errors_naming_the_param(args: list[str], message: str) -> None:
    code, out, err = invoke(["--engine", "ladybug", "pivot", "run", "shared-ip", *args])
    assert code == 2 and message in err and out == ""


def test_unknown_query_and_format() -> None:
    code, _, err = invoke(["pivot", "run", "no-such-pivot"])
    assert code == 2 and "no stored query 'no-such-pivot'" in err
    code, _, err = invoke(["pivot", "run", "shared-ip", "-p", "seed=a.com", "-f", "xml"])
    assert code == 2 and "unknown format 'xml'" in err


def test_list_search_and_show() -> None:
    code, out, _ = invoke(["pivot", "list", "--search", "JA4S", "-f", "json"])
    ids = sorted(r["id"] for r in json.loads(out))
    assert code == 0 and ids == ["exposure-server-fingerprint", "shared-fingerprint"]  # issue #10: a JA4S hunt
    code, out, _ = invoke(["pivot", "show", "path"])
    assert code == 0
    assert "override for ladybug" in out and "override for neo4j" in out and "max_fanout" in out


def test_style_prints_the_grass_file() -> None:
    code, out, _ = invoke(["pivot", "style"])
    assert code == 0 and "node.Domain {" in out and "relationship.QUERIED {" in out


def test_heavy_query_is_stopped_by_the_timeout(store: GraphStore) -> None:
    load(store, (Edge("NS", "Domain", f"n{i}.example", "Domain", "ns.example", {}) for i in range(700)))
    with pytest.raises(QueryTimeout, match=r"stopped after 0\.2 s"):
        store.read(HEAVY, timeout=0.2)
    # The store is still usable afterwards.
    assert store.read("MATCH (d:Domain) RETURN count(d) AS n") == [{"n": 701}]


def test_cli_stops_a_stored_query_that_runs_too_long(graph: Graph) -> None:
    engine = graph.args
    graph.fill(hub_graph(300, 20))
    args = [*engine, "pivot", "run", "expand", "-p", "seeds=d0.example", "-p", "max_fanout=100000"]
    code, out, err = invoke([*args, "--timeout", "0.05"])
    assert code == 3, err
    assert "expand: query stopped after 0.05 s" in err and "raise --timeout" in err and out == ""


def run_in_browser_style(store: GraphStore, text: str) -> list[dict[str, object]]:
    """Run editor text as Browser's multi-statement editor does: each :param evaluated on the server."""
    params: dict[str, object] = {}
    statements = [s.strip() for s in text.split(";\n")]
    for stmt in statements[:-1]:
        name, expr = re.fullmatch(r":param (\w+) => (.*)", stmt, re.S).groups()  # type: ignore[union-attr]
        params[name] = store.read(f"RETURN {expr} AS v")[0]["v"]
    return store.read(statements[-1].rstrip(";"), params)


def test_browser_link_opens_the_query_with_its_parameters(neo4j_store: GraphStore | None) -> None:
    neo = require_neo4j(neo4j_store)
    neo.clear()
    load(neo, records(), source=SOURCE, observed_at=T0)
    catalog = Catalog()
    for query_id, raw in [
        ("expand", {"seeds": "evil.com,198.51.100.1", "max_fanout": 5}),
        ("shared-fingerprint", {"seed": "evil.com", "fp_types": "ja3s,jarm"}),
        ("path", {"from": "evil.com", "to": "203.0.113.9"}),
    ]:
        query = catalog.get(query_id)
        params = query.bind(raw)
        text = browser_editor_text(browser_link(query.cypher_for("neo4j"), params, base="http://127.0.0.1:7474/browser/"))
        assert run_in_browser_style(neo, text) == neo.read(query.cypher_for("neo4j"), params)
    # Strings that would cut a Browser link short survive as Cypher escapes.
    tricky = {"x": 'a&b#c?d"e\\f\ng%20+h'}
    text = browser_editor_text(browser_link("RETURN $x AS x", tricky))
    assert run_in_browser_style(neo, text) == [tricky]


def test_browser_flag_prints_a_link(graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = graph.args
    graph.fill(records())
    monkeypatch.setenv("GRAPHPIVOT_NEO4J_BROWSER_URL", "http://127.0.0.1:17474/browser/?db=neo4j")
    code, _, err = invoke([*engine, "pivot", "run", "subdomains", "-p", "seed=evil.com", "--browser"])
    assert code == 0
    (link,) = re.findall(r"^Neo4j Browser: (\S+)$", err, re.M)
    assert link.startswith("http://127.0.0.1:17474/browser/?db=neo4j&cmd=edit&arg=")
    text = browser_editor_text(link)
    assert ':param seed => "evil.com";' in text and Catalog().get("subdomains").cypher_for("neo4j") in text


NOISE_FLAGS = "MATCH (n) WHERE n.noise = true RETURN n.key AS key, n.noise_reason AS reason ORDER BY key"


def test_db_init_and_load_noise(graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NOISE_FILE_ENV, raising=False)
    graph.fill(records())
    code, out, err = invoke([*graph.args, "db", "init"])
    rules, _ = load_rules(default_noise_file())
    assert code == 0 and f"{len(rules)} rules loaded" in out, err
    flagged = {row["key"]: row["reason"] for row in graph.read(NOISE_FLAGS)}
    assert flagged["ns41.domaincontrol.com"] == "registrar-ns: GoDaddy default name servers"
    assert flagged["sedoparking.com"] == "parking: Sedo parking name servers"  # a rule's own node
    assert flagged["13335"] == flagged["192.0.2.10"] == "cdn: Cloudflare"
    # Your own list, made the configured one: it replaces the flags, now and after later loads.
    custom = tmp_path / "noise.csv"
    custom.write_text(
        "kind,value,category,name,source\ndomain,evil-dns.net,dns-hosting,Evil DNS,https://example.org\n"
        "bogus,x,y,z,w\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(NOISE_FILE_ENV, str(custom))
    code, out, err = invoke([*graph.args, "load", "noise", "--json", "--strict"])
    assert code == 1 and json.loads(out)["rejected"] == 1 and "unknown kind 'bogus'" in err
    graph.fill([Edge("NS", "Domain", "new.example", "Domain", "ns2.evil-dns.net", {"first_seen": T0})])
    flagged = {row["key"]: row["reason"] for row in graph.read(NOISE_FLAGS)}
    assert flagged == {k: "dns-hosting: Evil DNS" for k in ("evil-dns.net", "ns1.evil-dns.net", "ns2.evil-dns.net")}
