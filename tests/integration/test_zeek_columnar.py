"""The columnar dns.log path against the per-line one: the same graph and the same accounting.

Every shared Zeek dns.log sample, a generated log (TSV and JSON) and files of hostile lines
(bad times, bad addresses, missing and extra fields, escapes, odd answers, header changes)
are loaded through both paths into the same engine; the graph dumps, the rejects (file, line,
reason, raw line) and the skip and load counts must be equal. Small blocks and windows make
the columnar path cross block and window boundaries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.telemetry import zeek_columnar
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import REPO, graph_dump, load

from graphpivot.ingest import LoadSummary
from graphpivot.schema import EVENTS_KEPT
from graphpivot.store.base import GraphStore

HEADER = [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tdns",
    "#fields\tts\tid.orig_h\tquery\tqtype\tqtype_name\trcode_name\tanswers",
    "#types\ttime\taddr\tstring\tcount\tstring\tstring\tvector[string]",
]
GOOD = "1714521600.5\t10.0.0.1\twww.example.com\t1\tA\tNOERROR\twww.example.net,93.184.216.34"
HOSTILE_TSV = [
    GOOD,
    GOOD,  # the same line again: count 2
    "1714521700\t10.0.0.1\twww.example.com\t1\tA\tNOERROR\t93.184.216.34,93.184.216.35",
    "abc\t10.0.0.2\tbad-time.example.com\t1\tA\tNOERROR\t-",  # bad ts
    "1e5\t10.0.0.2\texp-time.example.com\t1\tA\tNOERROR\t-",  # not plain digits
    "+1714521600\t10.0.0.2\tplus-time.example.com\t1\tA\tNOERROR\t-",
    "-\t10.0.0.2\tno-time.example.com\t1\tA\tNOERROR\t-",  # required ts unset
    "inf\t10.0.0.2\tinf-time.example.com\t1\tA\tNOERROR\t-",
    "99999999999999\t10.0.0.2\tfar-time.example.com\t1\tA\tNOERROR\t-",  # out of range
    "1714521600\t999.1.1.1\tbad-ip.example.com\t1\tA\tNOERROR\t-",  # bad client address
    "\u0661\u0667\u0661\u0664\u0665\u0662\u0661\u0666\u0660\u0660\t10.0.0.2\tarabic-time.example.com\t\u0661\tA\t-\t-",
    "1714521600\tnot-an-ip\tlabel\t1\tA\tNOERROR\t-",  # bad client, but a single-label name skips first
    "1714521600\t-\tno-client.example.com\t1\tA\tNOERROR\t-",  # required client unset
    "1714521600\t10.0.0.3\tshort.example.com\t1\tA",  # missing fields
    "1714521600\t10.0.0.3\tlong.example.com\t1\tA\tNOERROR\t-\textra",  # a field too many
    "1714521600\t10.0.0.3\t\\x41bc.example.com\t1\tA\tNOERROR\t-",  # escaped query
    "1714521600\t10.0.0.3\tempty-answers.example.com\t1\tA\tNOERROR\t(empty)",
    "1714521600\t10.0.0.3\t\t1\tA\tNOERROR\t-",  # empty query
    "1714521600\t10.0.0.3\t-\t1\tA\tNOERROR\t-",  # unset query
    "1714521600\t10.0.0.3\tsinglelabel\t1\tA\tNOERROR\t-",
    "1714521600\t10.0.0.3\t4.3.2.1.in-addr.arpa\t12\tPTR\tNOERROR\tdns.google",
    "1714521600\t10.0.0.3\tbad..name\t1\tA\tNOERROR\t-",  # junk name
    "1714521600\t10.0.0.3\tspace name.example.com\t1\tA\tNOERROR\t-",
    "1714521601\t8.8.8.8\texternal.example.com\t1\tA\tNOERROR\t198.51.100.7",  # external client, answer kept
    "1714521602\t8.8.4.4\texternal-only.example.com\t1\tA\tNOERROR\t-",  # external client, nothing else
    "1714521603\t10.0.0.4\tloop.example.com\t1\tA\tNOERROR\t127.0.0.1,224.0.0.1,0.0.0.0",
    "1714521604\t8.8.8.8\tloop-ext.example.com\t1\tA\tNOERROR\t127.0.0.1,v=spf1 -all,localhost",
    "1714521605\t10.0.0.4\tcdn.example.com\t1\tA\tNOERROR\tcdn.example.com,edge.cdn.example.net,x1,203.0.113.9",
    "1714521606\t10.0.0.4\tcdn.example.com\t1\tA\tNOERROR\tedge.cdn.example.net,203.0.113.9,203.0.113.9",
    "1714521607\t10.0.0.4\ttxt.example.com\t16\tTXT\tNOERROR\tsome text",
    "1714521608\t10.0.0.4\tmail.example.com\t15\tMX\tNOERROR\tmx1.example.com,192.0.2.1,mx,bad..mx",
    "1714521609\t10.0.0.4\texample.org\t2\tNS\tNOERROR\tns1.example.org,ns2.example.org",
    "1714521610\t10.0.0.4\tnx.example.com\t1\tA\tNXDOMAIN\t192.0.2.55",  # answers of a failed response ignored
    "1714521611\t10.0.0.4\ttype.example.com\t65\t-\tNOERROR\t-",  # qtype without a name: TYPE65
    "1714521612\t10.0.0.4\tany.example.com\t255\t*\t-\tany.example.net,2001:db8::1,2001:0db8:0::2",
    "1714521613\t10.0.0.4\tnoqtype.example.com\t-\t-\t-\t192.0.2.77",  # no qtype: answers not modelled
    "1714521614\t10.0.0.4\tbigq.example.com\t99999999999999999999\tA\tNOERROR\t-",  # count out of range
    "1714521615\t10.0.0.4\tnegq.example.com\t-1\tA\tNOERROR\t-",
    "1714521616\t10.0.0.4\tWWW.Example.COM.\t1\tA\tNOERROR\t-",  # folds into www.example.com
    "1714521617\t10.0.0.4\tcr.example.com\t1\tA\tNOERROR\t192.0.2.9\r\tx",  # a carriage return inside
    "1714521618\tfe80::1\tv6.example.com\t28\tAAAA\tNOERROR\t2001:db8::5",
    "1714521619\t10.0.0.4\tempty-el.example.com\t1\tA\tNOERROR\t,192.0.2.10,",
    "",
    "   ",
    "#fields\tts\tid.orig_h\tquery\tqtype_name\tanswers",  # a new header: other fields, no rcode
    "#types\ttime\taddr\tstring\tstring\tvector[string]",
    "1714521620\t10.0.0.5\tnew-header.example.com\tA\t192.0.2.20",
    "1714521621\t10.0.0.5\tnew-header.example.com\tCNAME\talias.example.com",
    "#fields\tts\tquery",  # lacks id.orig_h: the lines under it are skipped
    "1714521622\tunder-bad-header.example.com",
    "#fields\tts\tid.orig_h\tquery",
    "#types\ttime\taddr",  # types for too few fields
    "1714521623\t10.0.0.6\tunder-bad-types.example.com",
    "#fields\tts\tid.orig_h\tquery\tqtype_name\tanswers",
    "1714521624.999999\t10.0.0.7\tlast.example.com\tA\t192.0.2.30",
    "#close\t2024-05-01-01-00-00",
]
HOSTILE_JSON = [
    json.dumps({"ts": 1714521600.5, "id.orig_h": "10.0.0.1", "query": "www.example.com", "qtype_name": "A",
                "rcode_name": "NOERROR", "answers": ["www.example.net", "93.184.216.34"]}),
    json.dumps({"ts": "2024-05-01T00:01:00Z", "id": {"orig_h": "10.0.0.2"}, "query": "iso.example.com",
                "qtype": 28, "answers": ["2001:db8::7"]}),
    json.dumps({"ts": True, "id.orig_h": "10.0.0.2", "query": "bool-time.example.com"}),
    json.dumps({"ts": "soon", "id.orig_h": "10.0.0.2", "query": "text-time.example.com"}),
    json.dumps({"id.orig_h": "10.0.0.2", "query": "no-time.example.com"}),
    json.dumps({"ts": 1714521600, "query": "no-client.example.com"}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.300", "query": "bad-ip.example.com"}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": "str-qtype.example.com", "qtype": "1"}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": "str-answers.example.com", "answers": "x"}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": 7}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": ""}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": "wpad"}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": "empty.example.com", "qtype_name": "A",
                "answers": []}),
    json.dumps({"ts": 1714521600, "id.orig_h": "10.0.0.2", "query": "esc.example.com", "qtype_name": "A",
                "answers": ["a\\x2cb.example.com", "192.0.2.40"]}),
    json.dumps({"ts": 1714521601, "id.orig_h": "203.0.113.50", "query": "ext.example.com", "qtype_name": "NS",
                "answers": ["ns.example.com", "localhost", "192.0.2.1"]}),
    "{not json",
    "[1, 2]",
    "",
    json.dumps({"ts": 1714521602, "id.orig_h": "10.0.0.9", "query": "last.example.com", "qtype_name": "A",
                "rcode_name": "NOERROR", "answers": ["192.0.2.41"]}),
    # raw-event pointers: uid and community_id kept; an empty or over-long id left out; a number rejects the line
    json.dumps({"ts": 1714521620, "id.orig_h": "10.0.0.6", "query": "cid.example.com", "uid": "CzZ9",
                "community_id": "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="}),
    json.dumps({"ts": 1714521621, "id.orig_h": "10.0.0.6", "query": "cid.example.com", "uid": "",
                "community_id": "1:" + "x" * 300}),
    json.dumps({"ts": 1714521622, "id.orig_h": "10.0.0.6", "query": "cid.example.com", "uid": 5}),
]


def _generated(tmp: Path, *, json_lines: bool) -> Path:
    out = tmp / ("gen.json.log" if json_lines else "gen.tsv.log")
    args = [sys.executable, str(REPO / "bench" / "gen_zeek_dns.py"), "--lines", "3000", "--seed", "3", "--out",
            str(out)]
    subprocess.run([*args, "--json"] if json_lines else args, check=True, capture_output=True)
    return out


def _accounting(summary: LoadSummary) -> dict[str, Any]:
    """Everything a load reports about its lines (the rejects in line order, raw lines cut as kept)."""
    return {
        "lines": summary.lines,
        "loaded": summary.loaded,
        "rejected": summary.rejected,
        "rejected_units": summary.rejected_units,
        "skipped": dict(summary.skipped),
        "skipped_parts": dict(summary.skipped_parts),
        "rejects": sorted(((r.file, r.line or 0, r.reason, r.raw) for r in summary.rejects), key=lambda r: r[:2]),
        "unbalanced": summary.unbalanced,
        "nodes": sum(summary.nodes.values()) > 0,
    }


def _both(store: GraphStore, paths: list[Path]) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """(graph, accounting) after the per-line load, then after the columnar one, on the same engine."""
    found = []
    for columnar in (False, True):
        store.clear()
        records = read_zeek(paths, network=Network(), max_pending=50, columnar=columnar)
        summary = load(store, records, source="zeek")
        found.append((graph_dump(store), _accounting(summary)))
    return found[0], found[1]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few lines, so samples span many blocks (and lines of one name fall in several)."""
    monkeypatch.setattr(zeek_columnar, "BLOCK_LINES", 7)


@pytest.mark.parametrize("folder", ["tsv", "json"])
def test_shared_samples_give_the_same_graph(store: GraphStore, data_dir: Path, folder: str) -> None:
    (old_graph, old_acc), (new_graph, new_acc) = _both(store, [data_dir / "zeek-zat" / folder / "dns.log"])
    assert new_acc == old_acc
    assert new_graph == old_graph
    assert old_acc["loaded"] > 20 and old_graph["edges"]
    # Raw-event pointers (the uids) are part of the equal graphs: every QUERIED edge has some, none too many.
    queried = [props for key, props in old_graph["edges"].items() if key[0] == "QUERIED"]
    assert queried and all(0 < len(props["events"]) <= EVENTS_KEPT for props in queried)
    assert any(len(props["events"]) > 1 for props in queried)


@pytest.mark.parametrize("json_lines", [False, True])
def test_generated_log_gives_the_same_graph(
    store: GraphStore, tmp_path: Path, json_lines: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zeek_columnar, "BLOCK_LINES", 1000)
    (old_graph, old_acc), (new_graph, new_acc) = _both(store, [_generated(tmp_path, json_lines=json_lines)])
    assert new_acc == old_acc
    assert new_graph == old_graph
    rels = {key[0] for key in old_graph["edges"]}
    assert {"QUERIED", "RESOLVES_TO", "CNAME"} <= rels


@pytest.mark.parametrize(("name", "lines"), [("dns.log", HEADER + HOSTILE_TSV), ("dns.json", HOSTILE_JSON)])
def test_hostile_lines_are_rejected_and_skipped_alike(
    store: GraphStore, tmp_path: Path, name: str, lines: list[str]
) -> None:
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode() + b"\n")
    (old_graph, old_acc), (new_graph, new_acc) = _both(store, [path])
    assert new_acc["rejects"] == old_acc["rejects"]
    assert new_acc == old_acc
    assert new_graph == old_graph
    assert old_acc["rejected"] >= 8 and old_acc["unbalanced"] == []
    assert old_acc["skipped"] and old_acc["skipped_parts"]
