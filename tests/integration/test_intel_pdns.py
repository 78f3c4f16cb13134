"""Passive DNS (COF JSON lines): the real DNSDB answers in ../shared/data/pdns-cof-dnsdb-ninoseki on both engines.

Expected edges are computed here from the raw lines with ``json`` and ``ipaddress`` (not with the
loader), and the IP-reuse case shows ``shared-ip`` treating history from pDNS exactly as the same
history observed in the enterprise's own DNS logs (a Zeek dns.log).
"""

from __future__ import annotations

import ipaddress
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.pdns import read_pdns
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import check_rels, load

from graphpivot.catalog import Catalog
from graphpivot.ingest import Ingestor
from graphpivot.store.base import GraphStore

REL = {"A": "RESOLVES_TO", "AAAA": "RESOLVES_TO", "CNAME": "CNAME", "NS": "NS", "MX": "MX"}


def _name(text: str) -> str:
    return text.rstrip(".").lower()


def expected_edges(paths: list[Path]) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """Per edge type, (owner, value) -> first, last, summed count, straight from the JSON."""
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            values = rec["rdata"] if isinstance(rec["rdata"], list) else [rec["rdata"]]
            for value in values:
                rel = REL[rec["rrtype"]]
                dst = str(ipaddress.ip_address(value)) if rel == "RESOLVES_TO" else _name(value.split()[-1])
                slot = out[rel].setdefault((_name(rec["rrname"]), dst), {"first": rec["time_first"],
                                                                         "last": rec["time_last"], "count": 0})
                slot["first"] = min(slot["first"], rec["time_first"])
                slot["last"] = max(slot["last"], rec["time_last"])
                slot["count"] += rec["count"]
    return out


def test_real_dnsdb_answers_load_with_their_history(store: GraphStore, data_dir: Path) -> None:
    paths = sorted((data_dir / "pdns-cof-dnsdb-ninoseki").glob("*.jsonl"))
    assert len(paths) == 5
    records = [r for p in paths for r in read_pdns(p, "dnsdb")]
    summary = load(store, records, source="dnsdb")
    assert summary.rejected == 0
    assert summary.balanced and summary.read == summary.loaded == 537  # every line an answer
    want = expected_edges(paths)
    assert {k: len(v) for k, v in want.items()} == {"RESOLVES_TO": 280, "CNAME": 248, "NS": 11}
    for rel, edges in want.items():
        got = check_rels(store, "Domain", rel, "IP" if rel == "RESOLVES_TO" else "Domain",
                         "first_seen", "last_seen", "count", "sources")
        assert got == {(a, b, e["first"], e["last"], e["count"], ("dnsdb",)) for (a, b), e in edges.items()}
    # The 10.0.0.1 answer names 256 domains: the after-load job gives the IP that degree.
    assert store.read("MATCH (i:IP {key: '10.0.0.1'}) RETURN i.degree AS d", {}) == [{"d": 256}]


def test_bad_lines_are_rejected_and_the_rest_loads(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"rrname":"a.example.com.","rrtype":"A","rdata":"198.51.100.7","time_first":100,"time_last":200,"count":3}\n'
        '{"rrname":"b.example.com.","rrtype":"A","rdata":"not-an-ip","time_first":100,"time_last":200,"count":1}\n'
        '{"rrname":"c.example.com.","rrtype":"A"}\n'
        "this is not json\n"
        '{"rrname":"c.example.com.","rrtype":"TXT","rdata":"v=spf1 -all","time_first":1,"time_last":2,"count":1}\n'
        '{"obj":{"rrname":"c.example.com.","rrtype":"MX","rdata":["10 mx.example.net."],'
        '"time_first":"2020-03-19T22:43:00Z","time_last":"2020-03-19T23:00:00Z","count":2}}\n'
        '{"rrname":"7.100.51.198.in-addr.arpa.","rrtype":"PTR","rdata":"a.example.com.","time_first":5,'
        '"time_last":6,"count":1}\n',
        encoding="utf-8",
    )
    summary = load(store, read_pdns(path), source="pdns")
    assert [r.line for r in summary.rejects] == [2, 3, 4]
    assert "not-an-ip" in summary.rejects[0].reason
    assert summary.rejects[1].reason == "COF record lacks rdata"
    assert summary.rejects[2].reason.startswith("invalid JSON")
    assert all(r.file == str(path) for r in summary.rejects)
    assert summary.skipped == {"pdns TXT records": 1}
    assert summary.balanced and (summary.read, summary.loaded, summary.rejected_units) == (7, 3, 3)
    assert check_rels(store, "Domain", "RESOLVES_TO", "IP", "count") == {("a.example.com", "198.51.100.7", 3)}
    assert check_rels(store, "Domain", "MX", "Domain", "first_seen", "last_seen") == {
        ("c.example.com", "mx.example.net", 1584657780, 1584658800)
    }
    assert check_rels(store, "IP", "PTR", "Domain") == {("198.51.100.7", "a.example.com")}


def test_dnsdb_v2_framing_lines_are_skipped_and_a_cut_answer_noted(tmp_path: Path) -> None:
    """DNSDB API v2 ("SAF") wraps answers in {"obj": ...} between {"cond": ...} lines; every line is accounted."""
    path = tmp_path / "saf.jsonl"
    path.write_text(
        '{"cond":"begin"}\n'
        '{"obj":{"rrname":"a.example.com.","rrtype":"A","rdata":["198.51.100.7"],"time_first":1,"time_last":2}}\n'
        "\n"
        '{"cond":"limited","msg":"Result limit reached"}\n',
        encoding="utf-8",
    )
    summary = Ingestor(None, "pdns", dry_run=True).run(read_pdns(path))
    assert summary.balanced and (summary.read, summary.loaded, summary.rejected) == (4, 1, 0)
    assert summary.skipped == {"pdns stream framing lines (DNSDB 'cond')": 2, "blank lines": 1}
    assert summary.edges["RESOLVES_TO"] == 1
    assert any("cut its answer short (Result limit reached)" in n for n in summary.notes)


def test_deep_json_and_non_finite_numbers_are_line_rejects(tmp_path: Path) -> None:
    """Found by the fuzzer: brackets nested 120000 deep made json.loads raise RecursionError out of the loader."""
    path = tmp_path / "hostile.jsonl"
    good = '{"rrname":"a.example.com.","rrtype":"A","rdata":"198.51.100.7","time_first":1,"time_last":2}'
    path.write_text(f"{'[' * 120_000}{']' * 120_000}\n"
                    '{"rrname":"b.example.com.","rrtype":"A","rdata":"198.51.100.8","time_first":NaN}\n'
                    f"{good}\n", encoding="utf-8")
    summary = Ingestor(None, "pdns", dry_run=True).run(read_pdns(path))
    assert [(r.line, r.reason) for r in summary.rejects] == [
        (1, "JSON nested deeper than 64 levels"), (2, "invalid JSON: non-finite number NaN")]
    assert summary.balanced and (summary.read, summary.loaded) == (3, 1)


# IP reuse: evil.example and twin.example share 203.0.113.40 while both live; reused.example takes the
# address a month after evil.example left it. pDNS (time_first/time_last) and the sensor's own DNS
# log (one answer at the first and one at the last moment) state the same history.
DAY = 86_400
T0 = 1_700_000_000
HISTORY = [
    ("evil.example", "203.0.113.40", T0, T0 + 10 * DAY),
    ("twin.example", "203.0.113.40", T0 + 5 * DAY, T0 + 12 * DAY),
    ("reused.example", "203.0.113.40", T0 + 40 * DAY, T0 + 50 * DAY),
]


def _pdns_file(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    lines = [json.dumps({"rrname": d + ".", "rrtype": "A", "rdata": ip, "time_first": a, "time_last": b, "count": 2})
             for d, ip, a, b in HISTORY]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _zeek_dns(tmp_path: Path) -> Path:
    path = tmp_path / "dns.log"
    lines = []
    for domain, ip, first, last in HISTORY:
        for ts in (first, last):
            lines.append(json.dumps({"ts": ts, "uid": "C1", "id.orig_h": "10.1.1.1", "id.orig_p": 5353,
                                     "id.resp_h": "10.1.1.53", "id.resp_p": 53, "proto": "udp", "query": domain,
                                     "qtype_name": "A", "rcode_name": "NOERROR", "answers": [ip], "TTLs": [60.0]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("history", ["pdns", "observed"])
def test_shared_ip_overlap_rule_on_pdns_history(store: GraphStore, tmp_path: Path, history: str) -> None:
    if history == "pdns":
        load(store, read_pdns(_pdns_file(tmp_path)), source="pdns")
    else:
        load(store, read_zeek([_zeek_dns(tmp_path)], network=Network()), source="zeek")
    assert check_rels(store, "Domain", "RESOLVES_TO", "IP", "first_seen", "last_seen") == {
        (d, ip, a, b) for d, ip, a, b in HISTORY
    }
    query = Catalog().get("shared-ip")
    got = store.read(query.cypher_for(store.engine), query.bind({"seed": "evil.example"}))
    assert [(r["domain"], r["via_ip"], r["first_seen"], r["last_seen"]) for r in got] == [
        ("twin.example", "203.0.113.40", T0 + 5 * DAY, T0 + 12 * DAY)
    ]
    wide = store.read(query.cypher_for(store.engine), query.bind({"seed": "evil.example", "tolerance": 40 * DAY}))
    assert sorted(r["domain"] for r in wide) == ["reused.example", "twin.example"]
