"""Zeek logs (zeek-zat TSV and JSON) into the graph on both engines.

Expected graphs are computed here from the raw files with plain ``json``/``csv``
and the documented rules (internal side = Host, names that are not Internet
infrastructure left out, CNAME chains, certificate joins), never from the loader.
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.zeek import read_zeek
from support import graph_dump, load, nonzero_counts, rows

from graphpivot.canonical import InvalidValue, canonical_domain, canonical_host, canonical_url
from graphpivot.catalog import Catalog
from graphpivot.store.base import GraphStore

INTERNAL = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        "127.0.0.0/8",
        "::1/128",
        "169.254.0.0/16",
        "fe80::/10",
    )
]
LABELS = ("Host", "Domain", "IP", "URL", "Certificate", "Fingerprint")


# ---------------------------------------------------------------- reading the samples independently


def zeek_records(path: Path) -> list[dict[str, Any]]:
    """A Zeek log as dicts: JSON lines as they are; TSV with '-' as None and containers as lists."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    fields: list[str] = []
    types: list[str] = []
    out = []
    for row in csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row and row[0] == "#fields":
            fields = row[1:]
        elif row and row[0] == "#types":
            types = row[1:]
        elif row and not row[0].startswith("#"):
            record: dict[str, Any] = {}
            for name, kind, value in zip(fields, types, row, strict=True):
                if value == "-":
                    continue
                container = kind.startswith(("vector", "set", "table"))
                if container:
                    record[name] = [] if value == "(empty)" else value.split(",")
                elif kind in ("time", "interval", "double"):
                    record[name] = float(value)
                elif kind in ("count", "int", "port"):
                    record[name] = int(value)
                else:
                    record[name] = value
            out.append(record)
    return out


def internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in INTERNAL)


def peer(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_multicast or ip.is_unspecified or ip.is_loopback or address == "255.255.255.255")


def infra_name(raw: str) -> str | None:
    """A canonical multi-label, non-.arpa name, else None (raises InvalidValue for junk)."""
    name = canonical_domain(raw)
    return name if "." in name and not name.endswith(".arpa") else None


def ip_or_none(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


class Expected:
    """The graph a set of logs should give: node keys per label, (src, dst) pairs per edge type."""

    def __init__(self) -> None:
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.rejects = 0

    def node(self, label: str, key: str) -> None:
        self.nodes[label].add(key)
        if label == "Domain":
            labels = key.split(".")
            for i in range(1, len(labels) - 1):
                child, parent = ".".join(labels[i - 1 :]), ".".join(labels[i:])
                self.nodes["Domain"].add(parent)
                self.edges["SUBDOMAIN_OF"].add((child, parent))

    def edge(self, rel: str, src_label: str, src: str, dst_label: str, dst: str) -> None:
        self.node(src_label, src)
        self.node(dst_label, dst)
        self.edges[rel].add((src, dst))


def expect_dns(g: Expected, records: Iterable[dict[str, Any]]) -> None:
    for r in records:
        if not r.get("query"):
            continue
        try:
            name = infra_name(r["query"])
        except InvalidValue:
            g.rejects += 1
            continue
        if name is None:
            continue
        if internal(r["id.orig_h"]):
            g.edge("QUERIED", "Host", r["id.orig_h"], "Domain", name)
        if not r.get("answers") or r.get("rcode_name") not in (None, "NOERROR"):
            continue
        qtype = r.get("qtype_name")
        owner = name
        for answer in r["answers"]:
            address = ip_or_none(answer)
            if qtype in ("A", "AAAA", "CNAME", "ANY") and address and peer(address):
                g.edge("RESOLVES_TO", "Domain", owner, "IP", address)
            elif not address and qtype in ("A", "AAAA", "CNAME", "ANY", "MX", "NS"):
                try:
                    target = infra_name(answer)
                except InvalidValue:
                    continue
                if target and qtype in ("MX", "NS"):
                    g.edge(qtype, "Domain", name, "Domain", target)
                elif target and target != owner:
                    g.edge("CNAME", "Domain", owner, "Domain", target)
                    owner = target


def expect_conn(g: Expected, records: Iterable[dict[str, Any]]) -> None:
    for r in records:
        orig, resp = r["id.orig_h"], r["id.resp_h"]
        if internal(orig) == internal(resp):
            continue
        host, other = (orig, resp) if internal(orig) else (resp, orig)
        if peer(other):
            g.edge("CONNECTED_TO", "Host", host, "IP", other)


def http_url(r: dict[str, Any]) -> str:
    uri = r["uri"]
    if r.get("method") == "CONNECT":
        return f"https://{uri}/"
    if uri.startswith("http://"):
        return uri
    host = r.get("host") or r["id.resp_h"]
    port = r["id.resp_p"]
    return f"http://{host}{'' if port == 80 or ':' in host else f':{port}'}{uri}"


def expect_http(g: Expected, records: Iterable[dict[str, Any]]) -> None:
    for r in records:
        if not internal(r["id.orig_h"]) or not r.get("uri"):
            continue
        try:
            url = canonical_url(http_url(r))
            label, key = canonical_host(urlsplit(url).hostname or "")
        except InvalidValue:
            g.rejects += 1
            continue
        if label == "Domain" and ("." not in key or key.endswith(".arpa")):
            continue
        g.edge("REQUESTED", "Host", r["id.orig_h"], "URL", url)
        g.edge("ON_HOST", "URL", url, label, key)


def expect_certs(g: Expected, files: Iterable[dict[str, Any]], x509: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Certificates and SANs; returns file id -> certificate key for the ssl.log join."""
    hashes = {
        f["fuid"]: [f.get("sha256"), f.get("sha1"), f.get("md5")]
        for f in files
        if "x509" in (f.get("mime_type") or "") or "X509" in (f.get("analyzers") or [])
    }
    by_fuid = {}
    for x in x509:
        digest = x.get("fingerprint") or next((h for h in hashes.get(x.get("id"), []) if h), None)
        if digest is None:
            continue
        key = digest.lower()
        g.node("Certificate", key)
        by_fuid[x["id"]] = key
        for raw in x.get("san.dns") or []:
            try:
                name = infra_name(raw.removeprefix("*."))
            except InvalidValue:
                continue
            if name:
                g.edge("SAN", "Certificate", key, "Domain", name)
    return by_fuid


def expect_ssl(g: Expected, records: Iterable[dict[str, Any]], by_fuid: dict[str, str]) -> None:
    for r in records:
        orig, resp = r["id.orig_h"], r["id.resp_h"]
        if internal(resp):
            continue
        sni = infra_name(r["server_name"]) if r.get("server_name") else None
        cert = None
        if r.get("cert_chain_fuids"):
            cert = by_fuid.get(r["cert_chain_fuids"][0])
        elif r.get("cert_hash"):
            cert = r["cert_hash"].lower()
        if cert:
            g.edge("SERVES_CERT", "IP", resp, "Certificate", cert)
            if sni:
                g.edge("SERVES_CERT", "Domain", sni, "Certificate", cert)
        if sni and internal(orig):
            g.edge("CONNECTED_TO", "Host", orig, "Domain", sni)


def expect_notice(g: Expected, records: Iterable[dict[str, Any]]) -> None:
    expect_conn(g, [r for r in records if r.get("id.orig_h") and r.get("id.resp_h")])


def expect_folder(folder: Path, names: Iterable[str]) -> Expected:
    """What loading these logs of ``folder`` together should give."""
    g = Expected()
    logs = {name: zeek_records(folder / f"{name}.log") for name in names}
    by_fuid = expect_certs(g, logs.get("files", []), logs.get("x509", []))
    expect_dns(g, logs.get("dns", []))
    expect_conn(g, logs.get("conn", []))
    expect_http(g, logs.get("http", []))
    expect_ssl(g, logs.get("ssl", []), by_fuid)
    expect_notice(g, logs.get("notice", []))
    return g


# ---------------------------------------------------------------- comparing


def assert_graph(store: GraphStore, g: Expected, summary_rejected: int) -> None:
    nodes, edges = nonzero_counts(store)
    assert nodes == {label: len(keys) for label, keys in g.nodes.items() if keys}
    assert edges == {rel: len(pairs) for rel, pairs in g.edges.items() if pairs}
    assert summary_rejected == g.rejects
    hosts = {r["k"] for r in rows(store, "MATCH (h:Host) RETURN h.key AS k")}
    assert hosts == g.nodes["Host"]
    domains = {r["k"] for r in rows(store, "MATCH (d:Domain) RETURN d.key AS k")}
    assert domains == g.nodes["Domain"]


def load_zeek(store: GraphStore, paths: list[Path], source: str = "zeek") -> Any:
    return load(store, read_zeek(paths, network=Network()), source=source)


CASES = [
    # (folder, the logs loaded together, the logs they join with)
    ("json", ["dns"]),
    ("json", ["conn"]),
    ("json", ["http"]),
    ("json", ["files", "x509"]),
    ("json", ["files", "x509", "ssl"]),
    ("tsv", ["dns"]),
    ("tsv", ["conn"]),
    ("tsv", ["http"]),
    ("tsv", ["ssl"]),
    ("tsv", ["files", "x509"]),
    ("tsv", ["notice"]),
]


@pytest.mark.parametrize(("form", "logs"), CASES, ids=[f"{f}-{'+'.join(n)}" for f, n in CASES])
def test_each_log_loads_with_independent_counts(store: GraphStore, data_dir: Path, form: str, logs: list[str]) -> None:
    folder = data_dir / "zeek-zat" / form
    summary = load_zeek(store, [folder / f"{name}.log" for name in logs])
    assert_graph(store, expect_folder(folder, logs), summary.rejected)


@pytest.mark.parametrize("form", ["json", "tsv"])
def test_whole_folder_loads_and_skips_other_logs_with_a_note(store: GraphStore, data_dir: Path, form: str) -> None:
    folder = data_dir / "zeek-zat" / form
    summary = load_zeek(store, sorted(folder.glob("*.log")))
    modelled = ["dns", "conn", "http", "ssl", "x509", "files", "notice"]
    assert_graph(
        store, expect_folder(folder, [n for n in modelled if (folder / f"{n}.log").exists()]), summary.rejected
    )
    others = sorted(p.name.split(".")[0] for p in folder.glob("*.log") if p.name.split(".")[0] not in modelled)
    skipped = summary.skipped_parts
    assert [name for name in others if skipped[f"Zeek {name} logs (not modelled; files)"] == 1] == others
    assert summary.balanced, summary.unbalanced
    assert summary.lines == sum(
        len((folder / f"{n}.log").read_text().splitlines()) for n in modelled if (folder / f"{n}.log").exists()
    )


def test_edge_properties_fold_the_lines(store: GraphStore, data_dir: Path) -> None:
    """count, first/last seen, bytes and lists on QUERIED, CONNECTED_TO and REQUESTED match the file."""
    folder = data_dir / "zeek-zat" / "tsv"
    load_zeek(store, [folder / "dns.log", folder / "conn.log", folder / "http.log"])
    queried: dict[tuple[str, str], dict[str, Any]] = {}
    for r in zeek_records(folder / "dns.log"):
        if r.get("query") and infra_name(r["query"]) and internal(r["id.orig_h"]):
            e = queried.setdefault((r["id.orig_h"], infra_name(r["query"])), {"n": 0, "ts": [], "qtypes": set()})
            e["n"] += 1
            e["ts"].append(int(r["ts"]))
            e["qtypes"].add(r.get("qtype_name"))
    got = rows(
        store,
        "MATCH (h:Host)-[q:QUERIED]->(d:Domain) RETURN h.key AS h, d.key AS d, q.count AS n, "
        "q.first_seen AS f, q.last_seen AS l, q.qtypes AS qt, q.sources AS src",
    )
    assert {(r["h"], r["d"]): (r["n"], r["f"], r["l"], set(r["qt"])) for r in got} == {
        k: (e["n"], min(e["ts"]), max(e["ts"]), e["qtypes"] - {None}) for k, e in queried.items()
    }
    assert {tuple(r["src"]) for r in got} == {("zeek",)}

    flows: dict[tuple[str, str], list[int]] = {}
    for r in zeek_records(folder / "conn.log"):
        if internal(r["id.orig_h"]) != internal(r["id.resp_h"]) and peer(r["id.resp_h"]) and peer(r["id.orig_h"]):
            outbound = internal(r["id.orig_h"])
            host, other = (r["id.orig_h"], r["id.resp_h"]) if outbound else (r["id.resp_h"], r["id.orig_h"])
            sent, received = r.get("orig_bytes") or 0, r.get("resp_bytes") or 0
            e = flows.setdefault((host, other), [0, 0, 0])
            e[0] += 1
            e[1] += sent if outbound else received
            e[2] += received if outbound else sent
    got = rows(
        store,
        "MATCH (h:Host)-[c:CONNECTED_TO]->(ip:IP) RETURN h.key AS h, ip.key AS ip, c.count AS n, "
        "coalesce(c.bytes_out, 0) AS o, coalesce(c.bytes_in, 0) AS i",
    )
    assert {(r["h"], r["ip"]): [r["n"], r["o"], r["i"]] for r in got} == flows

    requests: dict[str, list[Any]] = {}
    for r in zeek_records(folder / "http.log"):
        if internal(r["id.orig_h"]) and r.get("uri"):
            e = requests.setdefault(canonical_url(http_url(r)), [0, set(), set(), 0])
            e[0] += 1
            e[1].add(r.get("method"))
            e[2].add(r.get("status_code"))
            e[3] += r.get("response_body_len") or 0
    got = rows(
        store,
        "MATCH (:Host)-[q:REQUESTED]->(u:URL) RETURN u.key AS u, q.count AS n, q.methods AS m, "
        "q.statuses AS s, coalesce(q.bytes_in, 0) AS b",
    )
    assert {r["u"]: [r["n"], set(r["m"] or []), set(r["s"] or []), r["b"]] for r in got} == {
        u: [e[0], e[1] - {None}, e[2] - {None}, e[3]] for u, e in requests.items()
    }


def test_ursnif_host_found_by_stored_queries(store: GraphStore, data_dir: Path) -> None:
    """zeek-zat/json plus maltrail ursnif.txt: 10.18.20.97 requested h1.wensa.at and api2.casus.at."""
    folder = data_dir / "zeek-zat" / "json"
    load_zeek(store, sorted(folder.glob("*.log")))
    trail = data_dir / "maltrail-trails/trails/static/malware/ursnif.txt"
    load(store, read_ioc_list(trail, "maltrail", threat="ursnif", observed_at=1_700_000_000), source="maltrail")

    seen: dict[str, list[int]] = defaultdict(list)
    for r in zeek_records(folder / "http.log"):
        if r.get("id.orig_h") == "10.18.20.97" and r.get("host") in ("h1.wensa.at", "api2.casus.at"):
            seen[r["host"]].append(int(r["ts"]))
    assert set(seen) == {"h1.wensa.at", "api2.casus.at"}

    # The telemetry names sit under the intel's registered domains.
    linked = rows(
        store,
        "MATCH (d:Domain)-[:SUBDOMAIN_OF]->(p:Domain) WHERE p.indicator = true AND d.key IN $names "
        "RETURN d.key AS child, p.key AS parent ORDER BY child",
        names=sorted(seen),
    )
    assert linked == [{"child": "api2.casus.at", "parent": "casus.at"}, {"child": "h1.wensa.at", "parent": "wensa.at"}]

    query = Catalog().get("hosts-requested")
    found = store.read(query.cypher_for(store.engine), query.bind({"domains": ",".join(sorted(seen))}))
    assert [(r["host"], r["domain"], r["requests"], r["first_seen"], r["last_seen"], r["sources"]) for r in found] == [
        ("10.18.20.97", name, len(seen[name]), min(seen[name]), max(seen[name]), ["zeek"]) for name in sorted(seen)
    ]
    # The DNS side of the same capture: hosts-queried finds what dns.log holds (these names are not in it).
    queried = Catalog().get("hosts-queried")
    dns_names = {r["query"] for r in zeek_records(folder / "dns.log")}
    assert not dns_names & set(seen)
    got = store.read(queried.cypher_for(store.engine), queried.bind({"domains": "mail.aol.com," + ",".join(seen)}))
    times = [int(r["ts"]) for r in zeek_records(folder / "dns.log") if r["query"] == "mail.aol.com"]
    assert [(r["host"], r["domain"], r["queries"], r["first_seen"], r["last_seen"]) for r in got] == [
        ("10.18.20.97", "mail.aol.com", len(times), min(times), max(times))
    ]


# ---------------------------------------------------------------- TSV and JSON forms, reloads


def to_tsv(records: list[dict[str, Any]], path: str) -> str:
    """Write JSON-form Zeek records as a Zeek TSV log (the ASCII writer's conventions)."""
    fields = list(dict.fromkeys(k for r in records for k in r))
    types = []
    for name in fields:
        sample = next(r[name] for r in records if name in r)
        if isinstance(sample, list):
            types.append("vector[double]" if sample and isinstance(sample[0], float) else "vector[string]")
        elif isinstance(sample, bool):
            types.append("bool")
        elif isinstance(sample, float):
            types.append("time" if name == "ts" else "double")
        elif isinstance(sample, int):
            types.append("count")
        else:
            types.append("string")

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "T" if value else "F"
        if isinstance(value, float):
            return f"{value:.6f}"
        if isinstance(value, list):
            return ",".join(cell(v).replace(",", "\\x2c") for v in value) if value else "(empty)"
        text = str(value)
        return "(empty)" if text == "" else text.replace("\\", "\\x5c").replace("\t", "\\x09")

    lines = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        f"#path\t{path}",
        "#fields\t" + "\t".join(fields),
        "#types\t" + "\t".join(types),
    ]
    lines += ["\t".join(cell(r.get(name)) for name in fields) for r in records]
    return "\n".join([*lines, "#close\t2019-12-03-00-00-00"]) + "\n"


def test_tsv_and_json_forms_give_the_same_graph(store: GraphStore, data_dir: Path, tmp_path: Path) -> None:
    """The two zeek-zat samples are different captures, so the JSON logs are written out as TSV and compared."""
    folder = data_dir / "zeek-zat" / "json"
    names = ["dns", "conn", "http", "ssl", "x509", "files"]
    for name in names:
        (tmp_path / f"{name}.log").write_text(to_tsv(zeek_records(folder / f"{name}.log"), name), encoding="utf-8")
    load_zeek(store, [folder / f"{n}.log" for n in names])
    from_json = graph_dump(store)
    store.clear()
    load_zeek(store, [tmp_path / f"{n}.log" for n in names])
    from_tsv = graph_dump(store)
    assert from_json["nodes"] and from_json["edges"]
    assert from_tsv == from_json


def test_loading_twice_changes_only_counts_and_sums(store: GraphStore, data_dir: Path) -> None:
    """Same file again: node and edge sets unchanged; count and byte sums double; times and lists stay."""
    folder = data_dir / "zeek-zat" / "tsv"
    paths = [folder / n for n in ("dns.log", "conn.log", "http.log", "ssl.log")]
    load_zeek(store, paths)
    first = graph_dump(store)
    load_zeek(store, paths)
    second = graph_dump(store)
    assert second["nodes"] == first["nodes"]
    assert second["edges"].keys() == first["edges"].keys()
    summed = ("count", "bytes_out", "bytes_in")
    for key, props in first["edges"].items():
        again = second["edges"][key]
        assert {k: v for k, v in again.items() if k not in summed} == {
            k: v for k, v in props.items() if k not in summed
        }, key
        assert {k: again.get(k) for k in summed} == {
            k: None if props.get(k) is None else 2 * props[k] for k in summed
        } or key[0] == "SUBDOMAIN_OF", key
