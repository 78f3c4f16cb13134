"""A naive exact matcher, the baseline of the hunt-quality benchmark.

It does what a quick script or a SIEM lookup table does: take every value in
every intel file (MISP attributes and object attributes whatever their
``to_ids``, STIX pattern literals and observables, both plain lists, refanged),
and flag every internal host whose telemetry holds one of them verbatim
(lower-cased, colons stripped from hex fingerprints) in a field of a record that
names the host. No validity windows, no prevalence, no notion of context.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")
_HEX = re.compile(r"^[0-9a-f:]{32,}$")


def norm(value: str) -> str:
    """Lower-case, and colons out of hex fingerprints."""
    text = value.strip().lower()
    return text.replace(":", "") if _HEX.match(text) else text


def refang(value: str) -> str:
    return value.replace("[.]", ".").replace("[@]", "@").replace("hxxp", "http").replace("[:]", ":")


# ------------------------------------------------------------------ intel values


def intel_values(intel: Path) -> set[str]:
    """Every value in every intel file under ``intel``."""
    values: set[str] = set()
    for path in sorted(intel.iterdir()):
        if path.suffix == ".json":
            values |= _json_values(json.loads(path.read_text(encoding="utf-8")))
        else:
            values |= _list_values(path.read_text(encoding="utf-8"))
    return {norm(v) for v in values if v}


def _json_values(doc: Any) -> set[str]:
    if isinstance(doc, dict) and doc.get("type") == "bundle":
        return _stix_values(doc)
    out: set[str] = set()
    for wrapper in doc.get("response", []) if isinstance(doc, dict) else []:
        event = wrapper.get("Event", wrapper)
        attributes = list(event.get("Attribute", []))
        for obj in event.get("Object", []):
            attributes += obj.get("Attribute", [])
        for attr in attributes:
            out.update(str(attr.get("value", "")).split("|"))
    return out


def _stix_values(bundle: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for obj in bundle.get("objects", []):
        if obj.get("type") == "indicator":
            out.update(m.group(1) for m in _LITERAL.finditer(obj.get("pattern", "")))
        elif isinstance(obj.get("value"), str):
            out.add(obj["value"])
        for digest in (obj.get("hashes") or {}).values():
            out.add(str(digest))
    return out


def _list_values(text: str) -> set[str]:
    out: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "//")):
            continue
        value = refang(line.split(" #", 1)[0].strip())
        out.add(value)
        if re.match(r"^\d+\.\d+\.\d+\.\d+:\d+$", value):
            out.add(value.rsplit(":", 1)[0])
    return out


# ------------------------------------------------------------------ telemetry fields per host


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from handle


def _zeek_rows(path: Path) -> Iterator[dict[str, Any]]:
    fields: list[str] = []
    for raw in _lines(path):
        line = raw.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line.startswith("{"):
            yield json.loads(line)
        elif line and not line.startswith("#") and fields:
            yield {k: (v.split(",") if "," in v else v) for k, v in zip(fields, line.split("\t"), strict=False)}


def _flat(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _flat(item)
    elif value is not None:
        yield str(value)


ZEEK_FIELDS = ("query", "answers", "id.resp_h", "host", "server_name", "ja3", "cert_chain_fps")


def zeek_fields(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(host, values) for every Zeek row with an internal originator."""
    for row in _zeek_rows(path):
        host = str(row.get("id.orig_h", ""))
        values = [v for f in ZEEK_FIELDS for v in _flat(row.get(f))]
        if row.get("host") and row.get("uri"):
            values.append(f"http://{row['host']}{row['uri']}")
        yield host, values


def eve_fields(path: Path) -> Iterator[tuple[str, list[str]]]:
    for line in _lines(path):
        e = json.loads(line)
        dns, tls, http = e.get("dns") or {}, e.get("tls") or {}, e.get("http") or {}
        host = e.get("dest_ip") if dns.get("type") == "answer" else e.get("src_ip")
        values = [e.get("dest_ip"), dns.get("rrname"), *[a.get("rdata") for a in dns.get("answers", [])],
                  tls.get("sni"), (tls.get("ja3") or {}).get("hash"), tls.get("fingerprint"),
                  http.get("hostname")]
        if http.get("hostname") and http.get("url"):
            values.append(f"http://{http['hostname']}{http['url']}")
        yield str(host), [str(v) for v in values if v]


def squid_fields(path: Path) -> Iterator[tuple[str, list[str]]]:
    for line in _lines(path):
        parts = line.split()
        if len(parts) < 10:
            continue
        url, peer = parts[6], parts[8].split("/", 1)[-1]
        host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0] if "://" in url else url.rsplit(":", 1)[0]
        yield parts[2], [url, host, peer]


def naive_matches(data: Path) -> dict[str, set[str]]:
    """Host -> the intel values its telemetry holds verbatim."""
    values = intel_values(data / "intel")
    found: dict[str, set[str]] = defaultdict(set)
    telemetry = data / "telemetry"
    readers = [(p, zeek_fields) for p in sorted(telemetry.glob("zeek-*/**/*.log*")) if "zeek-dmz" not in str(p)]
    readers += [(p, eve_fields) for p in sorted(telemetry.glob("suricata-*/*.json"))]
    readers += [(p, squid_fields) for p in sorted(telemetry.glob("squid-*/access.log"))]
    for path, reader in readers:
        for host, fields in reader(path):
            if not host.startswith("10."):
                continue
            hits = {norm(v) for v in fields} & values
            if hits:
                found[host] |= hits
    return dict(found)
