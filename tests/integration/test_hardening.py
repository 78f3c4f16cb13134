"""Issue #12: every hostile record a reject, nothing lost silently, nothing leaks.

One test per finding of the review (each failed on the code before the fix),
on both engines where a database is involved. Every load here also checks the
accounting identity ``read = loaded + rejected + skipped``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphpivot.loaders.intel.csvfeed import FeedColumns, read_csv_feed
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.misp import read_misp
from graphpivot.loaders.intel.stix import read_stix
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.proxy import read_proxy
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import load, nonzero_counts, rows
from typer.testing import CliRunner

from graphpivot.canonical import MAX_KEY_BYTES
from graphpivot.cli import app
from graphpivot.ingest import Ingestor, LoadSummary
from graphpivot.store.base import ForeignData, GraphStore, StoreUnavailable, WriteRefused

T0 = 1_700_000_000
DEEP = "[" * 5000 + "]" * 5000
HOSTILE = ["}) DETACH DELETE n //", "[/red]", "[bold]x[/bold]", "\x1b[2J\x1b[31mred", "a\rb\nc", "`x`", "'\"", "\u202e"]


def balanced(summary: LoadSummary) -> LoadSummary:
    assert summary.balanced, summary.unbalanced
    assert summary.read == summary.loaded + summary.rejected_units + summary.skipped_units
    return summary


def reject_lines(summary: LoadSummary) -> list[int | None]:
    return sorted((r.line for r in summary.rejects), key=lambda n: n or 0)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- a single field crashes or hangs a load


def test_hostile_proxy_fields_are_rejects(store: GraphStore, tmp_path: Path) -> None:
    good = {"time": T0, "client": "10.0.0.5", "url": "http://good.example.com/a"}
    lines = [
        json.dumps(good),
        json.dumps({**good, "url": "http://[bad/"}),
        json.dumps({**good, "client": "not-an-ip"}),
        '{"time": Infinity, "client": "10.0.0.5", "url": "http://x.example.com/"}',
        '{"time": 1e400, "client": "10.0.0.5", "url": "http://x.example.com/"}',
        json.dumps({**good, "time": "inf"}),
        json.dumps({**good, "bytes_out": 10**23}),
        json.dumps({**good, "url": {"nested": True}}),
        '{"time": ' + DEEP + "}",
        json.dumps({**good, "url": "http://good.example.com/b"}),
    ]
    jsonl = write(tmp_path / "proxy.jsonl", lines)
    summary = balanced(load(store, read_proxy([jsonl], "jsonl", network=Network())))
    assert reject_lines(summary) == list(range(2, 10))
    assert rows(store, "MATCH (:Host)-[r:REQUESTED]->(u:URL) RETURN count(r) AS n")[0]["n"] == 2
    squid = write(tmp_path / "access.log", [
        "inf 1 10.0.0.5 TCP_MISS/200 10 GET http://y.example.com/ - DIRECT/1.2.3.4 text/html",
        "nan 1 10.0.0.5 TCP_MISS/200 10 GET http://y.example.com/ - DIRECT/1.2.3.4 text/html",
        f"{T0} 1 not-an-ip TCP_MISS/200 10 GET http://y.example.com/ - DIRECT/1.2.3.4 text/html",
        f"{T0} 1 10.0.0.5 TCP_MISS/200 10 GET http://[bad/ - DIRECT/1.2.3.4 text/html",
        f"{T0} 1 10.0.0.5 TCP_MISS/200 10 GET http://y.example.com/ - DIRECT/1.2.3.4 text/html",
    ])
    summary = balanced(load(store, read_proxy([squid], "squid", network=Network())))
    assert reject_lines(summary) == [1, 2, 3, 4] and summary.loaded == 1


def test_hostile_zeek_fields_are_rejects(store: GraphStore, tmp_path: Path) -> None:
    header = ["#separator \\x09", "#fields\tts\tid.orig_h\tquery\tqtype_name\trcode_name\tanswers",
              "#types\ttime\taddr\tstring\tstring\tstring\tvector[string]"]
    tsv = write(tmp_path / "dns.log", [
        *header,
        "nan\t10.0.0.5\ta.example.com\tA\tNOERROR\t-",
        "inf\t10.0.0.5\ta.example.com\tA\tNOERROR\t-",
        "1e400\t10.0.0.5\ta.example.com\tA\tNOERROR\t-",
        f"{T0}.5\t10.0.0.5\tgood.example.com\tA\tNOERROR\t1.2.3.4",
    ])
    summary = balanced(load(store, read_zeek([tsv], network=Network())))
    assert reject_lines(summary) == [4, 5, 6]
    assert summary.skipped["header lines"] == 3 and summary.loaded == 1
    conn = write(tmp_path / "conn.log", [
        json.dumps({"_path": "conn", "ts": T0, "id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8",
                    "orig_bytes": 10**23}),
        json.dumps({"_path": "conn", "ts": "inf", "id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8"}),
        '{"_path": "conn", "ts": NaN, "id.orig_h": "10.0.0.5", "id.resp_h": "8.8.8.8"}',
        '{"_path": "conn", "ts": ' + DEEP + "}",
        json.dumps({"_path": "conn", "ts": T0, "id.orig_h": "10.0.0.5", "id.resp_h": "8.8.4.4", "orig_bytes": 5}),
    ])
    summary = balanced(load(store, read_zeek([conn], network=Network())))
    assert reject_lines(summary) == [1, 2, 3, 4]
    assert rows(store, "MATCH (:Host)-[r:CONNECTED_TO]->(i:IP) RETURN i.key AS ip") == [{"ip": "8.8.4.4"}]


def test_eve_wrong_type_rejects_the_line_and_writes_nothing(store: GraphStore, tmp_path: Path) -> None:
    """A string port used to fail at the write step, leaving Host nodes and no edges; now the line is rejected."""
    tls = {"timestamp": "2024-01-01T00:00:00Z", "event_type": "tls", "src_ip": "10.0.0.5", "dest_ip": "8.8.8.8",
           "dest_port": "443", "tls": {"sni": "x.example.com"}}
    # An alert whose flow part maps but whose http part is bad: rejected, and its CONNECTED_TO is not loaded.
    alert = {"timestamp": "2024-01-01T00:00:00Z", "event_type": "alert", "src_ip": "10.0.0.5",
             "dest_ip": "8.8.8.8", "alert": {"signature": "x"}, "http": {"url": "http://[bad/"}}
    eve = write(tmp_path / "eve.json", [json.dumps(tls), json.dumps(alert), '{"event_type": ' + DEEP + "}",
                                        json.dumps({**tls, "dest_port": 10**23}), json.dumps({**tls, "src_ip": 5})])
    summary = balanced(load(store, read_eve([eve], network=Network())))
    assert reject_lines(summary) == [1, 2, 3, 4, 5]
    assert nonzero_counts(store) == ({}, {})


def test_deep_or_huge_json_documents_are_rejects(store: GraphStore, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"type": "bundle", "objects": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    for reader in (read_stix, read_misp):
        summary = balanced(load(store, reader(deep, "t", observed_at=T0)))
        assert summary.rejected == 1 and "nested deeper" in summary.rejects[0].reason
    nested = tmp_path / "nested.json"  # within Python's limit, beyond ours
    nested.write_text('{"type": "bundle", "objects": [' + "[" * 200 + "]" * 200 + "]}", encoding="utf-8")
    summary = balanced(load(store, read_stix(nested, "t", observed_at=T0)))
    assert summary.rejected == 1 and "nested deeper" in summary.rejects[0].reason
    infinite = tmp_path / "inf.json"
    infinite.write_text('{"type": "bundle", "objects": [{"x": Infinity}]}', encoding="utf-8")
    assert balanced(load(store, read_stix(infinite, "t", observed_at=T0))).rejected == 1


# ---------------------------------------------------------------- a failing batch is all or nothing


def _failing_edges(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the edge half of every batch fail inside the store, after its nodes were written."""
    if store.engine == "ladybug":
        def boom(*_args: Any) -> None:
            raise RuntimeError("injected failure while writing edges")
        monkeypatch.setattr(store, "_merge_edges", boom)
    else:
        import graphpivot.store.neo4j as neo

        monkeypatch.setattr(neo, "_edge_query", lambda *_args: "THIS IS NOT CYPHER")


def test_a_failing_batch_leaves_nothing_first_load_included(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = {"Domain": [{"key": "a.example.com", "kind": "Domain"}], "IP": [{"key": "1.2.3.4", "kind": "IP"}]}
    edges = {("RESOLVES_TO", "Domain", "IP"): [{"src": "a.example.com", "dst": "1.2.3.4", "first_seen": T0,
                                                "last_seen": T0, "count": 1, "sources": ["t"]}]}
    with monkeypatch.context() as patch:
        _failing_edges(store, patch)
        with pytest.raises(Exception, match=r"injected|Invalid input|SyntaxError|NOT"):
            store.write_batch(nodes, edges)
    assert nonzero_counts(store) == ({}, {})  # the first load's bulk COPY was undone on Ladybug
    store.write_batch({"Domain": [{"key": "b.example.com", "kind": "Domain"}]}, {})
    with monkeypatch.context() as patch:
        _failing_edges(store, patch)
        with pytest.raises(Exception, match=r"injected|Invalid input|SyntaxError|NOT"):
            store.write_batch(nodes, edges)
    assert nonzero_counts(store) == ({"Domain": 1}, {})  # the later batch left nothing either
    store.write_batch(nodes, edges)  # and the store still works
    assert nonzero_counts(store) == ({"Domain": 2, "IP": 1}, {"RESOLVES_TO": 1})


# ---------------------------------------------------------------- nothing lost silently


def test_one_bad_byte_costs_one_line_not_the_file(store: GraphStore, tmp_path: Path) -> None:
    domains = [f"bad{n}.example.com".encode() for n in range(52)]
    domains[10] = b"bad\xff10.example.com"
    ioc = tmp_path / "list.txt"
    ioc.write_bytes(b"# Reference: https://example.org/report\n" + b"\n".join(domains) + b"\n")
    summary = balanced(load(store, read_ioc_list(ioc, "t", observed_at=T0)))
    assert summary.rejected == 1 and summary.rejects[0].line == 12 and summary.loaded == 51
    assert summary.skipped["comment lines"] == 1
    csv_path = tmp_path / "feed.csv"
    huge = "x" * (200 << 10)  # a field over the csv module's 128 KiB default used to drop the rest of the file
    csv_path.write_bytes(b"ioc,type\n" + b"\n".join(d + b",domain" for d in domains[:20])
                         + f"\n{huge}.example.com,domain\nlast.example.com,domain\n".encode())
    summary = balanced(load(store, read_csv_feed(csv_path, "t", columns=FeedColumns("ioc", type="type"),
                                                 observed_at=T0)))
    assert reject_lines(summary) == [12, 22]
    assert rows(store, "MATCH (d:Domain {key: 'last.example.com'}) RETURN count(d) AS n")[0]["n"] == 1


def test_deleted_and_superseded_items_are_counted(store: GraphStore, tmp_path: Path) -> None:
    event = {"Event": {
        "uuid": "5e0f0000-0000-4000-8000-000000000001", "info": "x", "date": "2024-01-01", "timestamp": str(T0),
        "Attribute": [
            {"uuid": "5e0f0000-0000-4000-8000-000000000002", "type": "domain", "value": "live.example.com",
             "to_ids": True, "timestamp": str(T0)},
            {"uuid": "5e0f0000-0000-4000-8000-000000000003", "type": "domain", "value": "gone.example.com",
             "deleted": True, "timestamp": str(T0)},
        ],
        "Object": [{"uuid": "5e0f0000-0000-4000-8000-000000000004", "name": "domain-ip", "deleted": True,
                    "Attribute": [{"type": "domain", "object_relation": "domain", "value": "o.example.com"}]}],
    }}
    misp = tmp_path / "event.json"
    misp.write_text(json.dumps(event), encoding="utf-8")
    summary = balanced(load(store, read_misp(misp, "misp", observed_at=T0)))
    assert summary.skipped["misp deleted attributes"] == 1 and summary.skipped["misp deleted objects"] == 1
    old = {"type": "indicator", "spec_version": "2.1", "id": "indicator--00000000-0000-4000-8000-000000000001",
           "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z", "pattern_type": "stix",
           "pattern": "[domain-name:value = 'old.example.com']", "valid_from": "2024-01-01T00:00:00Z"}
    new = {**old, "modified": "2024-02-01T00:00:00Z", "pattern": "[domain-name:value = 'new.example.com']"}
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": [old, new, new]}), encoding="utf-8")
    summary = balanced(load(store, read_stix(bundle, "stix", observed_at=T0)))
    assert summary.skipped["stix superseded versions (an object with a later 'modified' is loaded)"] == 1
    assert summary.skipped["stix duplicate copies of an object"] == 1


def test_telemetry_skips_and_caps_reach_json(tmp_path: Path) -> None:
    """'Not modelled' counts and list caps used to be prose only; --json showed "skipped": {}."""
    base = {"timestamp": "2024-01-01T00:00:00Z", "event_type": "http", "src_ip": "10.0.0.5", "dest_ip": "8.8.8.8",
            "dest_port": 80, "http": {"hostname": "www.example.com", "url": "/"}}
    lines = [json.dumps({**base, "http": {**base["http"], "http_user_agent": f"agent {n}"}}) for n in range(40)]
    lines += [json.dumps({"timestamp": "2024-01-01T00:00:00Z", "event_type": "stats", "stats": {}}), ""]
    eve = write(tmp_path / "eve.json", lines)
    db = tmp_path / "g.lbdb"
    result = CliRunner().invoke(app, ["--engine", "ladybug", "--db", str(db), "load", "eve", str(eve), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["skipped"] == {"'stats' events": 1, "blank lines": 1}
    assert summary["skipped_parts"] == {"user_agents values beyond the 32 kept per edge": 8}
    assert summary["accounting"] == {"read": 42, "loaded": 40, "rejected": 0, "skipped": 2, "balanced": True,
                                     "unbalanced": []}
    text = CliRunner().invoke(app, ["--engine", "ladybug", "--db", str(db), "load", "eve", str(eve)]).stdout
    assert "accounting: read 42 = loaded 40 + rejected 0 + skipped 2" in text
    assert "skipped (not loaded): 'stats' events 1, blank lines 1" in text


def test_rejects_file_keeps_every_line_whole(tmp_path: Path) -> None:
    long_line = json.dumps({"timestamp": "soon", "event_type": "dns", "pad": "x" * 2000, "evil": HOSTILE})
    eve = write(tmp_path / "eve.json", [long_line, "not json \x1b[2J"])
    out = tmp_path / "rejects.ndjson"
    result = CliRunner().invoke(app, ["--engine", "ladybug", "--db", str(tmp_path / "g.lbdb"), "load", "eve",
                                      str(eve), "--rejects", str(out)])
    assert result.exit_code == 0, result.output
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["raw"] for r in kept] == [long_line, "not json \x1b[2J"]
    assert [r["line"] for r in kept] == [1, 2]
    assert "\x1b" not in result.stderr and "\\x1b[2J" in result.stderr  # shown escaped on the terminal


# ---------------------------------------------------------------- keys beyond Neo4j's index key limit


def test_overlong_keys_are_rejected_alike_on_both_engines(store: GraphStore, tmp_path: Path) -> None:
    url = "http://long.example.com/" + "a" * (MAX_KEY_BYTES + 100)
    ioc = write(tmp_path / "list.txt", [url, "short.example.com"])
    summary = load(store, read_ioc_list(ioc, "t", observed_at=T0))
    assert summary.rejected >= 1 and any("longer than" in r.reason for r in summary.rejects)
    assert rows(store, "MATCH (u:URL) RETURN count(u) AS n")[0]["n"] == 0
    assert rows(store, "MATCH (d:Domain {key: 'short.example.com'}) RETURN count(d) AS n")[0]["n"] == 1


# ---------------------------------------------------------------- read-only and test isolation


def test_reads_cannot_write(store: GraphStore) -> None:
    with pytest.raises(WriteRefused):
        store.read("CREATE (d:Domain {key: 'evil.example.com', kind: 'Domain'}) RETURN d.key AS k")
    with pytest.raises(WriteRefused):
        store.read("RETURN 1 AS x; COMMIT; CREATE (d:Domain {key: 'evil.example.com', kind: 'Domain'})")
    assert rows(store, "MATCH (d:Domain) RETURN count(d) AS n")[0]["n"] == 0
    assert rows(store, "RETURN 'a;b' AS x;") == [{"x": "a;b"}]  # a literal ';' or a trailing one is fine


def test_clear_refuses_a_database_with_other_labels(store: GraphStore) -> None:
    if store.engine == "ladybug":
        store.write("CREATE NODE TABLE NotOurs(id STRING, PRIMARY KEY(id))")
        store.write("CREATE (:NotOurs {id: 'x'})")
    else:
        store.write("CREATE (:NotOurs {id: 'x'})")
    try:
        with pytest.raises(ForeignData, match="NotOurs"):
            store.clear()
    finally:
        store.write("MATCH (n:NotOurs) DELETE n")
    store.clear()


def test_uri_with_credentials_is_refused_without_echoing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphpivot.store.neo4j import Neo4jStore

    with pytest.raises(StoreUnavailable) as caught:
        Neo4jStore("bolt://neo4j:s3cr3t-pw@127.0.0.1:1", "neo4j", "other")
    assert "s3cr3t-pw" not in str(caught.value) and "GRAPHPIVOT_NEO4J_PASSWORD" in str(caught.value)
    monkeypatch.setenv("GRAPHPIVOT_NEO4J_URI", "bolt://neo4j:s3cr3t-pw@127.0.0.1:1")
    result = CliRunner().invoke(app, ["--engine", "neo4j", "db", "status"])
    assert result.exit_code == 2, result.output
    assert "s3cr3t-pw" not in result.output and "Traceback" not in result.output
    assert "must not carry a user name or password" in result.output


# ---------------------------------------------------------------- output injection


def test_hostile_values_print_as_text(store: GraphStore, tmp_path: Path) -> None:
    """'[/red]' in an IOC comment crashed output; ANSI escapes reached the terminal."""
    from io import StringIO

    from graphpivot.output import render

    out = StringIO()
    render([{"value": h, "list": [h, 1]} for h in HOSTILE], "table", stream=out)
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "[/red]" in text and "\\x1b[2J" in text and "}) DETACH DELETE n //" in text
    ioc = write(tmp_path / "list.txt", [f"# Reference: {h}" for h in HOSTILE] + ["x.example.com"])
    load(store, read_ioc_list(ioc, "t", observed_at=T0))
    got = rows(store, "MATCH (:Report)-[m:MENTIONS]->(d:Domain) RETURN m.context AS context")
    out = StringIO()
    render(got, "table", stream=out)
    assert "\x1b" not in out.getvalue()


def test_html_report_escapes_every_hostile_string() -> None:
    from graphpivot.hunt.report import CSS, code, for_display, plain
    from graphpivot.hunt.report_html import render_html

    evil = [*HOSTILE, "x\r![p](http://evil.example/p.png)", "<img src=http://evil.example/i.png>",
            "<script>alert(1)</script>", "javascript:alert(1)"]
    row = {f"c{n}": value for n, value in enumerate(evil)}
    data: dict[str, Any] = {
        "generated_at": evil[0], "engine": evil[1], "first_use_window": {"new_since": evil[2], "new_until": evil[3]},
        "summary": row, "hosts": [row], "findings": [row, {"path": evil}], "leads": [row], "blind_spots": row,
        "queries": [row],
    }
    html = render_html(data, CSS, 200)
    for needle in ("<img", "<script", "\x1b", "\r", "\u202e"):
        assert needle not in html, needle
    assert "&lt;img src=http://evil.example/i.png&gt;" in html and "default-src 'none'" in html
    # the same values in the fields the page shows as identifiers, defanged or not, and a long unchecked table
    for value in evil:
        finding = {"host": value, "indicator": value, "evidence": value, "attack": [value], "sources": [value],
                   "touched": [value], "path": [f"Host:{value}", "-QUERIED->", f"Domain:{value}", f"-[IP {value}]-"],
                   "pivot": {"seed": value, "via": [value]}, "tlp": value, "first_seen": value}
        shaped: dict[str, Any] = {
            "tlp": {"level": "red", "label": "TLP:RED", "items": {value: 1}}, "findings": [finding],
            "hosts": [{"host": value, "indicators": [value], "evidence": [value]}], "marked": [finding],
            "leads": [{"host": value, "hunt": value, "subject": value, "summary": value, "reasons": [value]}],
            "blind_spots": {"silent_hosts": [value], "hosts_without": {value: [value]},
                            "unchecked": [{"kind": value, "key": value, "reason": value}] * 30},
            "queries": [{"id": value, "engine": value}],
        }
        for defang in (True, False):
            page = render_html(for_display(shaped, defang=defang), CSS, 200, long_table=25)
            for needle in ("<img", "<script", "\x1b", "\r", "\u202e"):
                assert needle not in page, (value, needle)
            assert page.count('<div id="tlp"') == 1 and "TLP:RED" in page
    for value in evil:  # the Markdown report's cells keep every value on its line
        assert "\r" not in code(value) + plain(value) and "\n" not in code(value) + plain(value)


def test_ingest_writes_nothing_with_wrong_types(store: GraphStore) -> None:
    """The write step is never the place a bad value is found: it would fail a whole batch."""
    from graphpivot.model import Edge, Node

    records = [
        Node("Domain", "a.example.com", {"first_seen": float("nan")}),
        Node("IP", "1.2.3.4", {"first_seen": 10**23}),
        Edge("CONNECTED_TO", "Host", "10.0.0.5", "IP", "1.2.3.4", {"ports": ["443"]}),
        Node("Domain", "ok.example.com", {}),
    ]
    summary = Ingestor(store, "t").run(records)
    assert summary.rejected == 3
    assert nonzero_counts(store) == ({"Domain": 2}, {"SUBDOMAIN_OF": 1})  # ok.example.com and its parent
