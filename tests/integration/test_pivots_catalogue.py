"""The acceptance test of the catalogue: every stored query, both engines, answers computed in Python.

The seed graph (:mod:`seedgraph`) has hubs, noise and IP reuse; each query's
expected rows come from its reference in :mod:`catalog_answers`, written from
the query's description. Queries are taken from the catalogue itself, so a
pivot or hunt added later is checked too, or fails until it registers an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_answers import CHECKED_ELSEWHERE, EXPECTED
from seedgraph import SOURCE, T0, Model, records
from support import ENGINES, REPO, load, require_neo4j

from graphpivot.catalog import Catalog
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

CATALOG = Catalog()
MODEL = Model()


@pytest.fixture(scope="module", params=ENGINES)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, neo4j_store: GraphStore | None
) -> Iterator[GraphStore]:
    """The seed graph, loaded once per engine the way the CLI loads (degrees and noise flags included)."""
    if request.param == "ladybug":
        store: GraphStore = LadybugStore(Path(tmp_path_factory.mktemp("seeded")) / "graph.lbdb")
        store.init_schema()
    else:
        store = require_neo4j(neo4j_store)
        store.clear()
    load(store, records(), source=SOURCE, observed_at=T0)
    yield store
    if request.param == "ladybug":
        store.close()


def normalise(rows: list[dict[str, Any]]) -> list[str]:
    """Rows in a canonical order; list cells sorted (``via`` and ``via_kinds`` as pairs)."""
    canonical = []
    for original in rows:
        row = dict(original)
        if "via" in row and "via_kinds" in row:
            pairs = sorted(zip(row["via"], row["via_kinds"], strict=True))
            row["via"], row["via_kinds"] = [v for v, _ in pairs], [k for _, k in pairs]
        if isinstance(row.get("sources"), list):
            row["sources"] = sorted(row["sources"])
        canonical.append(repr(sorted(row.items())))
    return sorted(canonical)


@pytest.mark.parametrize("query_id", sorted(q.id for q in CATALOG))
def test_stored_query_matches_reference(seeded: GraphStore, query_id: str) -> None:
    if query_id in CHECKED_ELSEWHERE and query_id not in EXPECTED:
        module = REPO / CHECKED_ELSEWHERE[query_id]
        assert module.is_file() and f'"{query_id}"' in module.read_text(encoding="utf-8"), (
            f"{query_id} is said to be checked in {module}, which does not name it"
        )
        return
    expectation = EXPECTED.get(query_id)
    assert expectation is not None, (
        f"stored query {query_id!r} has no expected answer: register a plain-Python reference with "
        "@answer(...) in tests/catalog_answers.py (extend tests/seedgraph.py if it needs more data)"
    )
    query = CATALOG.get(query_id)
    nonempty = 0
    for case in expectation.cases:
        want = expectation.reference(MODEL, case)
        got = seeded.read(query.cypher_for(seeded.engine), query.bind(case))
        for row in got:
            assert list(row) == query.header.columns, f"{query_id}: columns differ from the header"
        assert normalise(got) == normalise(want), f"{query_id} on {seeded.engine} with {case}"
        nonempty += bool(want)
    assert nonempty >= 1, f"{query_id}: every case expects no rows, so nothing is really checked"


def test_every_registered_answer_has_a_stored_query() -> None:
    assert sorted(set(EXPECTED) - {q.id for q in CATALOG}) == []


def test_degrees_and_noise_flags_match_the_model(seeded: GraphStore) -> None:
    got = {
        row["key"]: (row["degree"], row["noise"], row["reason"])
        for row in seeded.read(
            "MATCH (n) WHERE n.kind IN ['IP', 'Domain', 'Certificate', 'Email', 'Fingerprint', 'Netblock', 'ASN'] "
            "RETURN n.key AS key, n.degree AS degree, coalesce(n.noise, false) AS noise, n.noise_reason AS reason"
        )
    }
    want = {
        key: (MODEL.deg(key), MODEL.noise(key), MODEL.noise_reason.get(key))
        for key, label in MODEL.label.items()
        if label in ("IP", "Domain", "Certificate", "Email", "Fingerprint", "Netblock", "ASN")
    }
    assert got == want
    # The seed graph really exercises hubs and every kind of noise rule.
    assert MODEL.deg("198.51.100.50") == 9
    assert {MODEL.noise_reason[k].split(":")[0] for k in MODEL.noise_reason} == {
        "cdn", "registrar-ns", "privacy-email", "free-ca"
    }
