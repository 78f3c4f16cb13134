"""Mutations of the real sample files, the loaders that read them, and the count of cases run.

Each mutation takes a file's bytes, a seeded ``random.Random`` and a hostile string
and returns new bytes: truncated, bit-flipped, with invalid UTF-8 or NUL bytes, a
huge line, deep JSON, a value of the wrong type, a non-finite number, a hostile
string (quotes, backticks, Cypher, Rich markup, ANSI escapes, CR/LF), other line
endings, or lines duplicated, swapped and dropped. JSON (a document or one object
per line) is mutated by structure, other text by its separators.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphpivot.loaders.intel.certfile import read_certificates
from graphpivot.loaders.intel.csvfeed import FeedColumns, read_csv_feed
from graphpivot.loaders.intel.fingerprints import read_fingerprint_table
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.misp import read_misp
from graphpivot.loaders.intel.pdns import read_pdns
from graphpivot.loaders.intel.stix import read_stix
from graphpivot.loaders.intel.zeek_intel import read_zeek_intel
from graphpivot.loaders.reference.noise_list import read_noise_list
from graphpivot.loaders.reference.webservice_catalogue import catalogue_path, read_web_services
from graphpivot.loaders.telemetry.assets import read_assets
from graphpivot.loaders.telemetry.aws import read_route53, read_vpc_flow
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.proxy import preset, read_proxy
from graphpivot.loaders.telemetry.sysmon import read_sysmon
from graphpivot.loaders.telemetry.zeek import read_zeek
from graphpivot.loaders.textio import MAX_LINE_BYTES
from support import CASES as ALL_CASES

from graphpivot.model import Record
from graphpivot.reference.noise_flags import default_noise_file

T0 = 1_700_000_000
# Cases run per loader family (test name -> count), printed by the terminal summary hook in conftest.
CASES: Counter[str] = ALL_CASES["fuzz"]  # shown in the pytest summary with the crash cases
HOSTILE = [
    "}) DETACH DELETE n //", "' OR 1=1 //", '"; MATCH (n) DETACH DELETE n; //', "`x` RETURN 1 //", "[/red]",
    "[bold]x[/bold]", "[link=http://evil.example]x[/link]", "\x1b[2J\x1b[31mred", "\x1b]8;;http://e.example\x07",
    "a\rb\nc", "\r\n", "\u202e", "\ud800", "\u0000", "{{7*7}}", "<script>alert(1)</script>", "%s%n", "\\", "é" * 300,
]
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "nan", "inf", "-inf"]
WRONG_TYPES: list[Any] = [None, True, False, 0, -1, 10**30, -(10**30), 1.5, "", "x", [], {}, [1, "a", None],
                          {"k": {"k": "v"}}, "9" * 400]
# Line-based samples are cut to about this many bytes (at a line end): mutations, not file length, are the point.
SAMPLE_BYTES = 8 << 10


# ---------------------------------------------------------------- mutations


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _at(data: bytes, rng: random.Random) -> int:
    return rng.randrange(len(data) + 1)


def truncate(data: bytes, rng: random.Random, hostile: str) -> bytes:
    return data[: _at(data, rng)]


def bit_flips(data: bytes, rng: random.Random, hostile: str) -> bytes:
    if not data:
        return data
    flipped = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return bytes(flipped)


def invalid_utf8(data: bytes, rng: random.Random, hostile: str) -> bytes:
    bad = rng.choice([b"\xff", b"\xfe\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"])
    at = _at(data, rng)
    return data[:at] + bad + data[at:]


def nul_bytes(data: bytes, rng: random.Random, hostile: str) -> bytes:
    at = _at(data, rng)
    return data[:at] + b"\x00" * rng.randint(1, 4) + data[at:]


def huge_line(data: bytes, rng: random.Random, hostile: str) -> bytes:
    lines = _lines(data)
    size = rng.choice([MAX_LINE_BYTES + 7, 200_000, 9000])
    source = rng.choice(lines) or b"x"
    lines.insert(rng.randrange(len(lines) + 1), (source * (size // len(source) + 1))[:size])
    return b"\n".join(lines)


def deep_json(data: bytes, rng: random.Random, hostile: str) -> bytes:
    depth = rng.choice([65, 200, 5000, 120_000])
    deep = "[" * depth + "]" * depth
    return _replace_value(data, rng, deep, raw=True)


def wrong_type(data: bytes, rng: random.Random, hostile: str) -> bytes:
    return _replace_value(data, rng, rng.choice(WRONG_TYPES))


def non_finite(data: bytes, rng: random.Random, hostile: str) -> bytes:
    return _replace_value(data, rng, rng.choice(NON_FINITE), raw=True)


def hostile_string(data: bytes, rng: random.Random, hostile: str) -> bytes:
    return _replace_value(data, rng, hostile)


def line_endings(data: bytes, rng: random.Random, hostile: str) -> bytes:
    choice = rng.randrange(3)
    if choice == 0:
        return data.replace(b"\n", b"\r\n")
    if choice == 1:
        return data.replace(b"\n", b"\r")
    at = _at(data, rng)
    return data[:at] + rng.choice([b"\r", b"\r\n", b"\n\n", b"\x0b", "\u0085".encode()]) + data[at:]


def shuffle_lines(data: bytes, rng: random.Random, hostile: str) -> bytes:
    lines = _lines(data)
    if len(lines) < 2:
        return data + data
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    choice = rng.randrange(3)
    if choice == 0:
        lines.insert(j, lines[i])
    elif choice == 1:
        lines[i], lines[j] = lines[j], lines[i]
    else:
        del lines[i]
    return b"\n".join(lines)


def empty_or_bom(data: bytes, rng: random.Random, hostile: str) -> bytes:
    return rng.choice([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf" + data, b"\n" * 3, b"   "])


Mutation = Callable[[bytes, random.Random, str], bytes]
MUTATIONS: dict[str, Mutation] = {m.__name__: m for m in (
    truncate, bit_flips, invalid_utf8, nul_bytes, huge_line, deep_json, wrong_type, non_finite, hostile_string,
    line_endings, shuffle_lines, empty_or_bom,
)}


def mutate(data: bytes, names: Iterable[str], seed: int, hostile: str) -> bytes:
    """``data`` after each named mutation in turn, all drawing on one ``random.Random(seed)``."""
    rng = random.Random(seed)
    for name in names:
        data = MUTATIONS[name](data, rng, hostile)
    return data


class _Raw(str):
    """Text put into JSON as it is (a non-finite number, deep brackets), not as a string."""


def _replace_value(data: bytes, rng: random.Random, value: Any, *, raw: bool = False) -> bytes:
    """``value`` in place of one value: of the JSON document, of one JSON line, or of one text field."""
    text = data.decode("utf-8", "surrogateescape")
    new = _Raw(value) if raw else value
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        pass
    else:
        return _dump(_swap(doc, rng, new)).encode("utf-8", "surrogatepass")
    lines = text.split("\n")
    if not lines:
        return data
    n = rng.randrange(len(lines))
    try:
        obj = json.loads(lines[n])
    except (ValueError, RecursionError):
        fields = list(_split_fields(lines[n]))
        k = rng.randrange(len(fields))
        fields[k] = value if isinstance(value, str) else json.dumps(value)
        lines[n] = "".join(fields)
    else:
        lines[n] = _dump(_swap(obj, rng, new))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def _split_fields(line: str) -> Iterator[str]:
    """The line as alternating fields and separators (tab, comma, space), so joining gives it back."""
    field = ""
    for char in line:
        if char in "\t, ":
            yield field
            yield char
            field = ""
        else:
            field += char
    yield field


def _swap(doc: Any, rng: random.Random, value: Any) -> Any:
    """``doc`` with one value (found by a random walk from the root) replaced by ``value``."""
    if not isinstance(doc, dict | list) or not doc or rng.random() < 0.15:
        return value
    container = doc
    while True:
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        key = rng.choice(keys)
        child = container[key]
        if not isinstance(child, dict | list) or not child or rng.random() < 0.2:
            container[key] = value
            return doc
        container = child


def _dump(value: Any) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return json.dumps(value)


# ---------------------------------------------------------------- loaders and their samples

Reader = Callable[[Path], Iterable[Record]]
INVENTORY = b"""Asset ID,Hostname,IP Address,Owner,Criticality
WS-0042,xp-lab.corp.example,192.168.33.10,malware lab,high
,,10.18.20.0/24,lab,low
SRV-8,db.corp.example,192.168.33.11,dba,high
"""
# Formats with no public sample under the shared data: small files built from the vendors' published
# examples (AWS's Route 53 Resolver query log and VPC Flow Log records, Zscaler's NSS web log, Netskope's
# W3C transaction events).
_R53 = {"version": "1.100000", "account_id": "111122223333", "region": "us-east-1", "vpc_id": "vpc-0a1b2c3d",
        "query_timestamp": "2021-02-04T17:51:55Z", "query_name": "example.com.", "query_type": "A",
        "query_class": "IN", "rcode": "NOERROR", "answers": [{"Rdata": "93.184.216.34", "Type": "A", "Class": "IN"}],
        "srcaddr": "172.31.10.10", "srcport": "49385", "transport": "UDP",
        "srcids": {"instance": "i-0d15cd0d3fEXAMPLE", "resolver_endpoint": "rslvr-out-0a1b2c3d"}}
ROUTE53 = "\n".join(json.dumps(r) for r in (
    _R53,
    {**_R53, "query_name": "www.example.net.", "query_type": "CNAME", "query_timestamp": "2021-02-04T17:52:01Z",
     "answers": [{"Rdata": "edge.example.org.", "Type": "CNAME", "Class": "IN"},
                 {"Rdata": "203.0.113.9", "Type": "A", "Class": "IN"}]},
    {**_R53, "query_name": "nx.example.com.", "rcode": "NXDOMAIN", "answers": [], "srcaddr": "172.31.10.11",
     "srcids": {"instance": "i-0aaaaaaaaaEXAMPLE"}},
)).encode() + b"\n"
VPC_FLOW_V2 = b"""\
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 49152 443 6 10 5000 1418530010 1418530070 ACCEPT \
OK
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 443 49152 6 12 90000 1418530010 1418530070 ACCEPT \
OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA
"""
VPC_FLOW_CUSTOM = b"""\
version vpc-id instance-id interface-id srcaddr dstaddr srcport dstport protocol bytes start end tcp-flags action \
log-status
5 vpc-0a1b2c3d i-0d15cd0d3fEXAMPLE eni-1235b8ca123456789 172.31.16.139 198.51.100.7 50201 443 6 4000 1418530010 \
1418530070 2 ACCEPT OK
5 vpc-0a1b2c3d i-0d15cd0d3fEXAMPLE eni-1235b8ca123456789 198.51.100.7 172.31.16.139 443 50201 6 81000 1418530010 \
1418530070 18 ACCEPT OK
"""
ZSCALER = "\n".join(json.dumps(r) for r in (
    {"epochtime": 1655738951, "cip": "172.17.3.49", "login": "jdoe@safemarch.com", "proto": "HTTP",
     "eurl": "ebay.com/", "reqmethod": "GET", "respcode": "403", "reqsize": "72", "respsize": "14061",
     "ua": "curl/7.68.0", "action": "Blocked", "appname": "Ebay", "urlcat": "Online Shopping"},
    {"epochtime": 1655739000, "cip": "172.17.3.50", "login": "amy@safemarch.com", "proto": "SSL",
     "eurl": "pastebin.com/raw/Xy12AbCd", "reqmethod": "GET", "respcode": "200", "reqsize": "410",
     "respsize": "2211", "ua": "Mozilla/5.0", "action": "Allowed", "appname": "Pastebin", "urlcat": "Web Hosting"},
)).encode() + b"\n"
NETSKOPE = b"""\
#Version: 1.0
#Fields: date time x-cs-timestamp c-ip cs-username cs-method cs-uri-scheme cs-host cs-uri cs-uri-port cs-uri-query \
sc-status cs-bytes sc-bytes cs-user-agent x-cs-app
2024-03-01 10:00:00 1709287200 10.20.0.7 bob@example.com GET https pastebin.com /raw/Q9w8E7r6 443 - 200 380 5120 \
"Mozilla/5.0 (Windows NT 10.0; Win64; x64)" Pastebin
2024-03-01 10:05:00 1709287500 10.20.0.8 eve@example.com PUT https transfer.sh /upload/data.zip 443 - 200 25000000 \
90 curl/8.4.0 transfer.sh
"""
BUILT: dict[str, list[tuple[str, bytes]]] = {
    "assets": [("assets.csv", INVENTORY)],
    "route53": [("resolver-query.log", ROUTE53)],
    "vpcflow": [("flow-v2.log", VPC_FLOW_V2), ("flow-custom.log", VPC_FLOW_CUSTOM)],
    "swg-zscaler": [("zscaler-web.json", ZSCALER)],
    "swg-netskope": [("netskope-transactions.log", NETSKOPE)],
}


@dataclass(frozen=True)
class Family:
    """One loader and the real files it is fed (``whole``: JSON documents are mutated whole, not cut)."""

    name: str
    patterns: tuple[str, ...]
    read: Reader
    whole: bool = False


def _proxy(path: Path) -> Iterable[Record]:
    fmt = "bluecoat" if "bluecoat" in path.name else "jsonl" if path.suffix == ".jsonl" else "squid"
    return read_proxy([path], fmt, network=Network())


def _preset(name: str) -> Reader:
    fmt, columns = preset(name)
    return lambda path: read_proxy([path], fmt, network=Network(), columns=columns)


FAMILIES = [
    Family("ioc", ("maltrail-trails/trails/**/*.txt", "eset-misp/*/*.adoc"),
           lambda p: read_ioc_list(p, "fuzz", observed_at=T0)),
    Family("csvfeed", ("maltrail-trails/derived/*.csv",),
           lambda p: read_csv_feed(p, "fuzz", columns=FeedColumns.parse(
               "value=trail,threat=maltrail_family,reference=reference"), observed_at=T0)),
    Family("csvfeed-positional", ("tls-fingerprints-salesforce/*/*.csv",),
           lambda p: read_csv_feed(p, "fuzz", columns=FeedColumns.parse("value=1,threat=2"), observed_at=T0)),
    Family("fingerprints", ("tls-fingerprints-salesforce/*/*.csv",),
           lambda p: read_fingerprint_table(p, "fuzz", observed_at=T0, fp_type="ja3" if "ja3" in p.name else None)),
    Family("stix", ("unit42-stix2/report_json/*.json", "stix21-oasis-examples/examples/**/*.json"),
           lambda p: read_stix(p, "fuzz", observed_at=T0), whole=True),
    Family("misp", ("eset-misp/*/*.json",), lambda p: read_misp(p, "fuzz", observed_at=T0), whole=True),
    Family("certs", ("eset-misp/*/*.pem",), lambda p: read_certificates(p, "fuzz", observed_at=T0), whole=True),
    Family("zeek-intel", ("zeek-zat/intel/*",), lambda p: read_zeek_intel(p, "fuzz", observed_at=T0)),
    Family("zeek", ("zeek-zat/tsv/*.log", "zeek-zat/json/*.log", "sysmon-otrf/*.json"),
           lambda p: read_zeek([p], network=Network())),
    Family("eve", ("suricata-eve-tenzir/*.json", "pdns-cof-dnsdb-ninoseki/*.jsonl"),
           lambda p: read_eve([p], network=Network())),
    Family("proxy", ("proxy-squid-usiem/*.log", "proxy-metron/*"), _proxy),
    Family("pdns", ("pdns-cof-dnsdb-ninoseki/*.jsonl",), lambda p: read_pdns(p, "fuzz")),
    Family("sysmon", ("sysmon-otrf/*.json",), lambda p: read_sysmon([p], network=Network())),
    Family("route53", (), lambda p: read_route53([p], network=Network())),
    Family("vpcflow", (), lambda p: read_vpc_flow([p], network=Network())),
    Family("swg-zscaler", (), _preset("zscaler-nss")),
    Family("swg-netskope", (), _preset("netskope")),
    Family("noise", (), lambda p: read_noise_list(p, "fuzz")),
    Family("webservices", (), lambda p: read_web_services(p, observed_at=T0)),
    Family("assets", (), lambda p: read_assets(p, "fuzz")),
]
SHIPPED = {"noise": default_noise_file, "webservices": catalogue_path}


def samples(family: Family, data_dir: Path, tmp: Path) -> list[Path]:
    """The family's real files (the shipped list for the reference loaders, small built files for formats
    with no public sample)."""
    if family.name in SHIPPED:
        return [SHIPPED[family.name]()]
    if family.name in BUILT:
        built = []
        for name, data in BUILT[family.name]:
            built.append(tmp / family.name / name)
            built[-1].parent.mkdir(parents=True, exist_ok=True)
            built[-1].write_bytes(data)
        return built
    found = sorted({p for pattern in family.patterns for p in data_dir.glob(pattern) if p.is_file()})
    return [p for p in found if p.name not in ("PROVENANCE.md",) and not p.name.startswith("LICENSE")]


@cache
def sample_bytes(path: Path, whole: bool) -> bytes:
    """The file's bytes; for line-based formats only the lines within :data:`SAMPLE_BYTES`."""
    data = path.read_bytes()
    if whole or len(data) <= SAMPLE_BYTES:
        return data
    return data[: data.rfind(b"\n", 0, SAMPLE_BYTES) + 1]


def case_file(tmp: Path, original: Path, data: bytes) -> Path:
    """Write a mutated case under ``tmp`` keeping the original's name and folder (loaders read both)."""
    folder = tmp / original.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / original.name
    path.write_bytes(data)
    return path
