"""The stored-query catalogue: headers, parameter rules, the portable subset, parameter binding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphpivot.catalog import FOREVER, Catalog, QueryError, StoredQuery, parse_time

CATALOG = Catalog()
QUERIES = sorted(CATALOG, key=lambda q: q.id)
PIVOTS = [q for q in QUERIES if q.group == "pivots"]
SAMPLE = {"str": "x", "int": "1", "float": "1.5", "bool": "true", "time": "0", "domain": "example.com",
          "ip": "192.0.2.1", "host": "example.com", "url": "http://example.com/", "sha256": "a" * 64,
          "fp_type": "jarm"}
# Constructs outside the portable core both engines run (DESIGN §3).
NOT_PORTABLE = {
    "COUNT {}": r"COUNT\s*\{", "EXISTS {}": r"EXISTS\s*\{", "CALL {}": r"CALL\s*(\(.*?\))?\s*\{",
    "labels()": r"labels\(", "head()": r"\bhead\(", "list comprehension": r"\[\s*\w+\s+IN\s",
    "list slicing or indexing": r"[\w)]\[[^\]]*\]",
    "variable-length pattern": r"-\[[^\]]*\*", "shortest path": r"(?i)shortest",
}
CLAUSE = re.compile(r"\b(OPTIONAL MATCH|MATCH|WITH|UNWIND|WHERE|RETURN|ORDER BY|SKIP|LIMIT)\b")


def unlimited_order_in_with(text: str) -> bool:
    """``WITH ... ORDER BY`` not followed by SKIP or LIMIT (Ladybug refuses it, Neo4j ignores the order)."""
    clauses = [c for c in CLAUSE.findall(text) if c != "WHERE"]
    return any(
        c == "ORDER BY" and clauses[i - 1] == "WITH" and clauses[i + 1 : i + 2] not in (["SKIP"], ["LIMIT"])
        for i, c in enumerate(clauses)
    )


def sample(query: StoredQuery) -> dict[str, str]:
    """A valid value for every required parameter."""
    out = {}
    for name, spec in query.header.params.items():
        if spec.required:
            out[name] = SAMPLE[re.sub(r"list\[(\w+)\]", r"\1", spec.type)]
    return out


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.id)
def test_header_is_complete_and_defaults_bind(query: StoredQuery) -> None:
    h = query.header
    assert h.id == query.path.stem and h.title and h.description and h.columns
    assert all(re.fullmatch(r"T\d{4}(\.\d{3})?", a) for a in h.attack), h.attack
    assert h.maturity in ("stable", "experimental", "deprecated")
    bound = query.bind(sample(query))
    assert set(bound) == set(h.params)
    assert all(spec.description for spec in h.params.values())


@pytest.mark.parametrize("query", [q for q in QUERIES if q.group != "lookups"], ids=lambda q: q.id)
def test_every_query_has_a_time_window(query: StoredQuery) -> None:
    params = query.header.params
    assert "since" in params and "until" in params, f"{query.id}: since/until are required on every pivot and hunt"
    assert params["since"].type == "time" and params["since"].default == 0
    assert params["until"].type == "time" and params["until"].default == FOREVER
    assert "$since" in query.cypher and "$until" in query.cypher


@pytest.mark.parametrize("query", PIVOTS, ids=lambda q: q.id)
def test_every_pivot_has_a_limit(query: StoredQuery) -> None:
    assert query.header.params["limit"].type == "int" and "$limit" in query.cypher


@pytest.mark.parametrize("query", PIVOTS, ids=lambda q: q.id)
def test_every_pivot_is_hub_aware(query: StoredQuery) -> None:
    spec = query.header.params["max_fanout"]
    assert spec.type == "int" and spec.default == 200
    assert "$max_fanout" in query.cypher and any("degree" in c for c in query.header.columns)


@pytest.mark.parametrize("query", PIVOTS, ids=lambda q: q.id)
def test_pivots_through_ips_check_time_overlap(query: StoredQuery) -> None:
    if "RESOLVES_TO]->(ip:IP)" in query.cypher or query.id == "expand":
        assert query.header.params["tolerance"].default == 86400 and "$tolerance" in query.cypher


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.id)
def test_portable_text_stays_in_the_portable_core(query: StoredQuery) -> None:
    if set(query.overrides) == {"neo4j", "ladybug"}:
        return  # both engines run their own text; the base is only the reference form
    text = "\n".join(line for line in query.cypher.splitlines() if not line.lstrip().startswith("//"))
    text = re.sub(r"'[^']*'", "''", text)
    found = [name for name, pattern in NOT_PORTABLE.items() if re.search(pattern, text, re.S)]
    assert found == [] and not unlimited_order_in_with(text)


def test_the_portability_check_catches_what_it_claims() -> None:
    reference_form = CATALOG.get("path").cypher
    found = {name for name, pattern in NOT_PORTABLE.items() if re.search(pattern, reference_form, re.S)}
    assert found == {"list comprehension", "list slicing or indexing", "variable-length pattern", "shortest path"}
    assert unlimited_order_in_with("MATCH (n) WITH n ORDER BY n.key RETURN n LIMIT 3")
    assert not unlimited_order_in_with("MATCH (n) WITH n ORDER BY n.key LIMIT 3 RETURN n ORDER BY n.key")


def test_path_has_an_override_per_engine() -> None:
    path = CATALOG.get("path")
    assert set(path.overrides) == {"neo4j", "ladybug"}
    assert "SHORTEST" in path.cypher_for("ladybug") and "ALL SHORTEST" in path.cypher_for("neo4j")
    assert path.cypher_for("memgraph") == path.cypher


def test_expand_keeps_its_contract() -> None:
    """The hunt engine runs expand by id: its parameters and columns are a contract."""
    h = CATALOG.get("expand").header
    assert {n: (s.type, s.default) for n, s in h.params.items() if n != "include_noise"} == {
        "seeds": ("list[str]", None), "max_fanout": ("int", 200), "since": ("time", 0),
        "until": ("time", FOREVER), "tolerance": ("int", 86400), "limit": ("int", 1000),
    }
    assert h.columns[:7] == ["seed", "kind", "key", "stage", "via", "via_kinds", "max_degree"]


def test_bind_validates_and_canonicalises() -> None:
    q = CATALOG.get("pivot-value")
    bound = q.bind({"seeds": "Evil[.]COM, 198.51.100.1 ,", "since": "2026-01-01T00:00:00Z", "max_fanout": 5})
    assert bound["seeds"] == ["evil.com", "198.51.100.1"] and bound["since"] == 1767225600
    assert bound["max_fanout"] == 5 and bound["until"] == FOREVER
    assert CATALOG.get("expand").bind({"seeds": ["evil.com", "192.0.2.1"]})["include_noise"] is False
    for raw, message in [
        ({"seeds": "a.com", "seed": "b.com"}, "unknown parameter 'seed'"),
        ({}, "missing required parameter 'seeds'"),
        ({"seeds": ""}, "parameter 'seeds' (list[host]) needs at least one value"),
        ({"seeds": "not a host"}, "parameter 'seeds' (list[host])"),
        ({"seeds": "a.com", "until": "yesterday"}, "parameter 'until' (time)"),
        ({"seeds": "a.com", "limit": "ten"}, "parameter 'limit' (int)"),
    ]:
        with pytest.raises(QueryError, match=re.escape(message)):
            q.bind(raw)
    with pytest.raises(QueryError, match=r"parameter 'fp_types'.*unknown fingerprint type 'md5'"):
        CATALOG.get("shared-fingerprint").bind({"seed": "a.com", "fp_types": "jarm,md5"})


def test_parse_time() -> None:
    assert parse_time("1700000000") == parse_time(1700000000) == 1700000000
    assert parse_time("2023-11-14T22:13:20") == parse_time("2023-11-14T23:13:20+01:00") == 1700000000
    with pytest.raises(ValueError, match="not a time"):
        parse_time("soon")


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


HEADER = "// id: {id}\n// title: t\n// params:\n//   since: {{type: {type}, default: 0}}\nRETURN 1\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.cypher": HEADER.format(id="b", type="time")}, "header id 'b' differs from the file name"),
        ({"a.cypher": HEADER.format(id="a", type="timestamp")}, "unknown parameter type 'timestamp'"),
        ({"a.cypher": "// id: a\n// title: [\nRETURN 1\n"}, "invalid header"),
        ({"a.cypher": "// id: a\n// title: t\n"}, "no Cypher after the header"),
        ({"a.cypher": HEADER.format(id="a", type="time"), "b.neo4j.cypher": "RETURN 2"}, "override for unknown"),
    ],
)
def test_broken_catalogue_files_are_reported(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        write(tmp_path / "pivots", name, text)
    with pytest.raises(QueryError, match=re.escape(message)):
        Catalog(tmp_path)


def test_search_looks_in_ids_titles_descriptions_tags_and_attack_ids() -> None:
    assert [q.id for q in CATALOG.search("T1587.001")] == ["shared-fingerprint"]
    assert "subdomains" in [q.id for q in CATALOG.search("DYNAMIC-DNS")]
    assert len(CATALOG.search(None)) == len(QUERIES)


def test_parse_time_takes_relative_times_as_that_long_ago() -> None:
    now = 1_800_000_000
    assert parse_time("30d", now=now) == now - 30 * 86400
    assert parse_time("12h", now=now) == now - 12 * 3600
    assert parse_time("2W", now=now) == now - 2 * 604800
    assert parse_time("2026-10-01", now=now) == 1790812800  # absolute times ignore now
    with pytest.raises(ValueError, match="not a time"):
        parse_time("30 days", now=now)
