"""Issue #12 item 3: the same inputs loaded twice, or in another order, give the same graph on both engines.

"Same graph" is read off the schema's merge rules: a second load of the same files adds no node or edge
and changes no property, except the ``Merge.SUM`` counters (observation ``count``, ``bytes_out``,
``bytes_in``), which are exactly doubled; the load order changes nothing at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.stix import read_stix
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import graph_dump, load, require_neo4j

from graphpivot.model import Record
from graphpivot.schema import NODES, RELS, Merge
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

T0 = 1_700_000_000
PERMUTATIONS = 3
Input = tuple[str, Callable[[], Iterator[Record]]]


def _inputs(data: Path) -> list[Input]:
    """A mix of the shared real samples: intel (a trail list, a STIX bundle) and telemetry (Zeek, EVE)."""
    net = Network(DEFAULT_INTERNAL)
    trail = data / "maltrail-trails" / "trails" / "static" / "malware" / "ursnif.txt"
    bundle = data / "stix21-oasis-examples" / "examples" / "indicator-for-c2-ip-address.json"
    zeek = sorted((data / "zeek-zat" / "json").glob("*.log"))
    eve = [data / "suricata-eve-tenzir" / "eve.ctu13.json"]
    return [
        ("trails", lambda: read_ioc_list(trail, "trails", observed_at=T0)),
        ("stix", lambda: read_stix(bundle, "stix", observed_at=T0)),
        ("zeek", lambda: read_zeek(zeek, network=net)),
        ("eve", lambda: read_eve(eve, network=net)),
    ]


def _load_all(store: GraphStore, inputs: list[Input]) -> None:
    for source, records in inputs:
        load(store, records(), source=source, observed_at=T0)


def _sums() -> set[str]:
    """The properties the merge rules add up on every load."""
    return {p.name for spec in (*NODES.values(), *RELS.values()) for p in spec.props if p.merge is Merge.SUM}


def _halved(dump: dict[str, Any]) -> dict[str, Any]:
    """``dump`` with each summed counter halved where two identical loads doubled it.

    A structural edge (``SUBDOMAIN_OF``, written once per pair) keeps its counter, so a counter may be
    unchanged or doubled, never anything else: an odd value is kept and compared as it is.
    """
    sums = _sums()
    return {
        part: {key: {k: v // 2 if k in sums and v % 2 == 0 else v for k, v in props.items()}
               for key, props in items.items()}
        for part, items in dump.items()
    }


def _fresh(store: GraphStore) -> None:
    store.clear()
    store.init_schema()


def test_twice_and_in_any_order_is_the_same_graph(
    data_dir: Path, tmp_path: Path, neo4j_store: GraphStore | None
) -> None:
    inputs = _inputs(data_dir)
    neo = require_neo4j(neo4j_store)
    ladybug = LadybugStore(tmp_path / "graph.lbdb")
    ladybug.init_schema()
    rng = random.Random(12)
    try:
        clean: dict[str, dict[str, Any]] = {}
        for name, store in (("ladybug", ladybug), ("neo4j", neo)):
            _fresh(store)
            _load_all(store, inputs)
            clean[name] = graph_dump(store)
            assert clean[name]["nodes"] and clean[name]["edges"]
            _load_all(store, inputs)
            twice = graph_dump(store)
            assert twice.keys() == clean[name].keys() and all(twice[p].keys() == clean[name][p].keys() for p in twice)
            doubled = _halved(twice)
            for part, items in clean[name].items():
                for key, props in items.items():
                    got = twice[part][key]
                    assert got == props or doubled[part][key] == props, (name, key, props, got)
            assert twice != clean[name], "observation counters add up on a second load"
            for _ in range(PERMUTATIONS):
                order = rng.sample(inputs, len(inputs))
                _fresh(store)
                _load_all(store, order)
                assert graph_dump(store) == clean[name], f"{name}: order {[s for s, _ in order]} differs"
        assert clean["ladybug"] == clean["neo4j"]
    finally:
        ladybug.close()
        neo.clear()
