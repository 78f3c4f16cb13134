"""Proxy logs (proxy-squid-usiem, proxy-metron) on both engines: Squid, Blue Coat, CSV and JSON lines."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.proxy import read_proxy
from support import DUMP_SKIPS, graph_dump, load, nonzero_counts, rows

from graphpivot.canonical import canonical_host, canonical_url
from graphpivot.store.base import GraphStore

# The ProxySG "main" access-log format, as Blue Coat documents it.
MAIN = [
    "date",
    "time",
    "time-taken",
    "c-ip",
    "sc-status",
    "s-action",
    "sc-bytes",
    "cs-bytes",
    "cs-method",
    "cs-uri-scheme",
    "cs-host",
    "cs-uri-port",
    "cs-uri-path",
    "cs-uri-query",
    "cs-username",
    "cs-auth-group",
    "s-hierarchy",
    "s-supplier-name",
    "rs(Content-Type)",
    "cs(Referer)",
    "cs(User-Agent)",
    "sc-filter-result",
    "cs-categories",
    "x-virus-id",
    "s-ip",
]


class Expected:
    def __init__(self) -> None:
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.requests: dict[tuple[str, str], dict[str, Any]] = {}
        self.rejects = 0

    def request(self, client: str, raw_url: str, ts: int, **props: Any) -> None:
        url = canonical_url(raw_url)
        label, host = canonical_host(urlsplit(url).hostname or "")
        if label == "Domain" and "." not in host:
            return  # single-label names are not modelled
        self.nodes["Host"].add(client)
        self.nodes["URL"].add(url)
        self.nodes[label].add(host)
        if label == "Domain":
            parts = host.split(".")
            for i in range(1, len(parts) - 1):
                self.nodes["Domain"].add(".".join(parts[i:]))
                self.edges["SUBDOMAIN_OF"].add((".".join(parts[i - 1 :]), ".".join(parts[i:])))
        self.edges["REQUESTED"].add((client, url))
        self.edges["ON_HOST"].add((url, host))
        e = self.requests.setdefault((client, url), {"count": 0, "first": ts, "last": ts, "methods": set()})
        e["count"] += 1
        e["first"], e["last"] = min(e["first"], ts), max(e["last"], ts)
        e["methods"].add(props["method"])


def expect_squid(g: Expected, path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            ts = int(float(parts[0]))
        except ValueError:
            g.rejects += 1
            continue
        if len(parts) < 10:
            g.rejects += 1
            continue
        method, url = parts[5], parts[6]
        g.request(parts[2], f"https://{url}/" if method == "CONNECT" else url, ts, method=method)


def expect_bluecoat(g: Expected, path: Path) -> None:
    for values in csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=" ", quotechar='"'):
        if not values or values[0].startswith("#"):
            continue
        row = dict(zip(MAIN, values, strict=False))
        ts = int(datetime.fromisoformat(f"{row['date']}T{row['time']}+00:00").timestamp())
        host, port, method = row["cs-host"], row["cs-uri-port"], row["cs-method"]
        if method == "CONNECT":
            url = f"https://{host}:{port}/"
        else:
            query = "" if row["cs-uri-query"] == "-" else row["cs-uri-query"]
            url = f"{row['cs-uri-scheme']}://{host}:{port}{row['cs-uri-path']}{query}"
        g.request(row["c-ip"], url, ts, method=method)


def assert_graph(store: GraphStore, g: Expected, rejected: int) -> None:
    nodes, edges = nonzero_counts(store)
    assert nodes == {k: len(v) for k, v in g.nodes.items()}
    assert edges == {k: len(v) for k, v in g.edges.items()}
    assert rejected == g.rejects
    got = rows(
        store,
        "MATCH (h:Host)-[r:REQUESTED]->(u:URL) RETURN h.key AS h, u.key AS u, r.count AS n, "
        "r.first_seen AS f, r.last_seen AS l, r.methods AS m",
    )
    assert {(r["h"], r["u"]): (r["n"], r["f"], r["l"], set(r["m"])) for r in got} == {
        k: (e["count"], e["first"], e["last"], e["methods"]) for k, e in g.requests.items()
    }


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("proxy-squid-usiem/squidguard_and_squid_access.log", "squid"),
        ("proxy-metron/squid_access.log", "squid"),
        ("proxy-metron/bluecoat_proxysg_access.log", "bluecoat"),
    ],
)
def test_samples_load_with_independent_counts(store: GraphStore, data_dir: Path, sample: str, fmt: str) -> None:
    path = data_dir / sample
    summary = load(store, read_proxy([path], fmt, network=Network()), source="proxy")
    g = Expected()
    (expect_squid if fmt == "squid" else expect_bluecoat)(g, path)
    assert_graph(store, g, summary.rejected)
    if "squidguard" in sample:
        assert all("not a Squid native access.log line" in r.reason for r in summary.rejects)
        single = summary.skipped["single-label names"] + summary.skipped_parts["single-label names"]
        assert single > 0  # CONNECT https:443 with NONE/503


def test_bluecoat_bytes_status_and_agent(store: GraphStore, data_dir: Path) -> None:
    path = data_dir / "proxy-metron/bluecoat_proxysg_access.log"
    load(store, read_proxy([path], "bluecoat", network=Network()), source="proxy")
    got = rows(
        store,
        "MATCH (h:Host)-[r:REQUESTED]->(u:URL) RETURN h.key AS h, r.bytes_out AS o, r.bytes_in AS i, "
        "r.statuses AS s, r.user_agents AS ua",
    )
    expected = []
    for values in csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=" ", quotechar='"'):
        row = dict(zip(MAIN, values, strict=False))
        expected.append(
            (row["c-ip"], int(row["cs-bytes"]), int(row["sc-bytes"]), [int(row["sc-status"])], [row["cs(User-Agent)"]])
        )
    assert sorted((r["h"], r["o"], r["i"], r["s"], r["ua"]) for r in got) == sorted(expected)


# The same requests from another file: the raw-event pointers (file:line) differ, the rest must not.
OTHER_FILE = (*DUMP_SKIPS, "events")


def test_metron_parsed_json_gives_the_squid_graph(store: GraphStore, data_dir: Path) -> None:
    """squid_access.log was derived from SquidExampleParsed.jsonl: both forms must give one graph."""
    load(store, read_proxy([data_dir / "proxy-metron/squid_access.log"], "squid", network=Network()), source="p")
    native = graph_dump(store, OTHER_FILE)
    store.clear()
    records = read_proxy(
        [data_dir / "proxy-metron/SquidExampleParsed.jsonl"], "jsonl", network=Network(), columns={"bytes_in": "bytes"}
    )
    summary = load(store, records, source="p")
    assert summary.rejected == 0
    assert native["edges"] and graph_dump(store, OTHER_FILE) == native


def test_csv_with_column_names_gives_the_bluecoat_graph(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    """The Blue Coat sample rewritten as CSV (W3C column names are recognised) loads to the same graph."""
    source = data_dir / "proxy-metron/bluecoat_proxysg_access.log"
    load(store, read_proxy([source], "bluecoat", network=Network()), source="p")
    native = graph_dump(store, OTHER_FILE)
    store.clear()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["timestamp", *MAIN[2:]])
    for values in csv.reader(io.StringIO(source.read_text(encoding="utf-8")), delimiter=" ", quotechar='"'):
        writer.writerow([f"{values[0]}T{values[1]}Z", *values[2 : len(MAIN)]])
    path = tmp_path / "proxy.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    summary = load(store, read_proxy([path], "csv", network=Network()), source="p")
    assert summary.rejected == 0
    assert graph_dump(store, OTHER_FILE) == native


def test_csv_rows_with_problems_are_rejected_and_the_rest_loads(store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "mapped.csv"
    path.write_text(
        "when,who,what,verb,code\n"
        "1714550400,10.9.8.7,http://exfil.example.net/upload,POST,200\n"
        "yesterday,10.9.8.7,http://exfil.example.net/upload,POST,200\n"
        "1714550460,10.9.8.7,http://exfil.example.net/upload,POST,two hundred\n"
        "1714550520,10.9.8.7,http://exfil.example.net/upload\n"
        "1714550580000,10.9.8.7,http://exfil.example.net/upload,POST,201\n",
        encoding="utf-8",
    )
    mapping = {"time": "when", "client": "who", "url": "what", "method": "verb", "status": "code"}
    summary = load(store, read_proxy([path], "csv", network=Network(), columns=mapping), source="p")
    assert [r.line for r in summary.rejects] == [3, 4, 5]
    assert "not a time" in summary.rejects[0].reason and "status" in summary.rejects[1].reason
    (edge,) = rows(
        store,
        "MATCH (:Host)-[r:REQUESTED]->(:URL) RETURN r.count AS n, r.first_seen AS f, r.last_seen AS l, r.statuses AS s",
    )
    assert edge == {"n": 2, "f": 1714550400, "l": 1714550580, "s": [200, 201]}


def test_unknown_mapping_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        list(read_proxy([], "csv", network=Network(), columns={"src": "x"}))
