"""Issue #12 item 3: the same inputs loaded twice, or in another order, give the same graph on both engines.

"Same graph" is read off the schema's merge rules, property by property: a second load of the same
inputs adds no node or edge and changes no property, except the properties whose rule is
``Merge.SUM`` for that node label or edge type (observation ``count``, ``bytes_out``, ``bytes_in``),
which are exactly doubled. The rule is per type: ``SUBDOMAIN_OF``, ``OPERATED_BY``, ``MENTIONS`` and
the other statements of fact keep the highest ``count`` (``Merge.MAX``), so a second load leaves it
as it was. The load order changes nothing at all, and both engines hold the same graph.

The inputs are small but overlap on purpose, so an order-dependent merge would show: a cut of a real
trail list plus names and addresses taken from generated Zeek DNS telemetry (intel and telemetry on
the same nodes), that telemetry split into two sources of the same clients and names, a STIX bundle,
the Zeek JSON samples and a Suricata EVE sample.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.stix import read_stix
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import REPO, graph_dump, load, require_neo4j, summed

from graphpivot.model import Record
from graphpivot.store.base import GraphStore
from graphpivot.store.embedded import LadybugStore

T0 = 1_700_000_000
# Other orders per engine: the reverse order, then seeded shuffles (Neo4j's graph also equals Ladybug's).
PERMUTATIONS = {"ladybug": 2, "neo4j": 1}
TRAIL_LINES = 300  # lines of the real trail list kept
DNS_LINES = 600  # generated Zeek dns.log lines, split into two sources
OVERLAP = 60  # telemetry names and addresses added to the trail list
Input = tuple[str, Callable[[], Iterator[Record]]]


def _write_inputs(data: Path, tmp: Path) -> tuple[Path, Path, Path]:
    """The trail list (cut, plus telemetry names) and the two halves of a generated dns.log."""
    dns = tmp / "dns.log"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_zeek_dns.py"), "--lines", str(DNS_LINES),
                    "--seed", "12", "--out", str(dns)], check=True, capture_output=True)
    lines = dns.read_text().splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    halves = tmp / "dns-a.log", tmp / "dns-b.log"
    for path, part in zip(halves, (body[0::2], body[1::2]), strict=True):
        path.write_text("\n".join(header + part) + "\n")
    fields = header[[h.split("\t")[0] for h in header].index("#fields")].split("\t")[1:]
    query, answers = fields.index("query"), fields.index("answers")
    seen: set[str] = set()
    for line in body:
        cols = line.split("\t")
        seen.add(cols[query])
        seen.update(a for a in cols[answers].split(",") if a[:1].isdigit())
    shared = random.Random(12).sample(sorted(seen - {"-"}), OVERLAP)
    source = data / "maltrail-trails" / "trails" / "static" / "malware" / "ursnif.txt"
    trail = tmp / "trail.txt"
    trail.write_text("\n".join(source.read_text().splitlines()[:TRAIL_LINES] + shared) + "\n")
    return trail, *halves


def _inputs(data: Path, tmp: Path) -> list[Input]:
    net = Network(DEFAULT_INTERNAL)
    trail, dns_a, dns_b = _write_inputs(data, tmp)
    bundle = data / "stix21-oasis-examples" / "examples" / "indicator-for-c2-ip-address.json"
    zeek = sorted((data / "zeek-zat" / "json").glob("*.log"))
    eve = [data / "suricata-eve-tenzir" / "eve.ctu13.json"]
    return [
        ("trails", lambda: read_ioc_list(trail, "trails", observed_at=T0)),
        ("stix", lambda: read_stix(bundle, "stix", observed_at=T0)),
        ("dns-a", lambda: read_zeek([dns_a], network=net)),
        ("dns-b", lambda: read_zeek([dns_b], network=net)),
        ("zeek", lambda: read_zeek(zeek, network=net)),
        ("eve", lambda: read_eve(eve, network=net)),
    ]


def _load_all(store: GraphStore, inputs: list[Input]) -> None:
    for source, records in inputs:
        summary = load(store, records(), source=source, observed_at=T0)
        assert summary.balanced, (source, summary.as_dict()["accounting"])


def _fresh(store: GraphStore) -> None:
    store.clear()
    store.init_schema()


def _check_twice(name: str, once: dict[str, Any], twice: dict[str, Any]) -> None:
    """``twice`` is ``once`` with exactly the summed counters doubled."""
    assert twice.keys() == once.keys() and all(twice[p].keys() == once[p].keys() for p in twice), name
    doubled = 0
    for part, items in once.items():
        for key, props in items.items():
            sums = summed(part, key)
            expected = {k: 2 * v if k in sums else v for k, v in props.items()}
            assert twice[part][key] == expected, (name, key, props, twice[part][key])
            doubled += bool(sums & props.keys())
    assert doubled, f"{name}: no summed counter to double (inputs without observations?)"


def test_twice_and_in_any_order_is_the_same_graph(
    data_dir: Path, tmp_path: Path, neo4j_store: GraphStore | None
) -> None:
    inputs = _inputs(data_dir, tmp_path)
    neo = require_neo4j(neo4j_store)
    ladybug = LadybugStore(tmp_path / "graph.lbdb")
    ladybug.init_schema()
    rng = random.Random(12)
    try:
        clean: dict[str, dict[str, Any]] = {}
        for name, store in (("ladybug", ladybug), ("neo4j", neo)):
            _fresh(store)
            _load_all(store, inputs)
            clean[name] = once = graph_dump(store)
            assert once["nodes"] and once["edges"]
            # the overlap is there: intel and telemetry met on nodes
            assert any(k[0] in ("Domain", "IP") and p.get("indicator") and p.get("last_seen", T0) > T0
                       for k, p in once["nodes"].items()), "no indicator seen in telemetry"
            structural = [p["count"] for k, p in once["edges"].items() if k[0] == "SUBDOMAIN_OF"]
            assert structural and max(structural) == 1  # a fact about names, whatever loaded it
            _load_all(store, inputs)
            _check_twice(name, once, graph_dump(store))
            for turn in range(PERMUTATIONS[name]):
                order = inputs[::-1] if turn == 0 else rng.sample(inputs, len(inputs))
                _fresh(store)
                _load_all(store, order)
                assert graph_dump(store) == once, f"{name}: order {[s for s, _ in order]} differs"
        assert clean["ladybug"] == clean["neo4j"]
    finally:
        ladybug.close()
        neo.clear()
