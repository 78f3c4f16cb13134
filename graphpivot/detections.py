"""Detections back to the sensors: indicators as a Zeek Intel file, Suricata rules, or a DNS RPZ zone.

What is exported: every node intel flags as an indicator and no noise rule covers, plus every
indicator an analyst confirmed with a ``true-positive`` triage mark (e.g. an expansion sibling).
Values are canonical graph keys; text that reaches a rule is escaped for Suricata's content
and message syntax, so a hostile URL cannot end a rule early.
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from graphpivot.store.base import GraphStore

EXPORTED_LABELS = ("Domain", "IP", "URL", "Email")
_INDICATORS = (
    "MATCH (n) WHERE n.indicator = true AND coalesce(n.noise, false) = false AND n.kind IN $labels "
    "RETURN n.kind AS kind, n.key AS key, n.sources AS sources ORDER BY kind, key"
)
_CONFIRMED = (
    "MATCH (t:Triage) WHERE t.scope = 'indicator' AND t.verdict = 'true-positive' "
    "RETURN t.indicator_key AS key, t.until AS until"
)
SID_BASE = 9_100_000  # a local SID range; ids are stable per value
ZEEK_TYPES = {"Domain": "Intel::DOMAIN", "IP": "Intel::ADDR", "URL": "Intel::URL", "Email": "Intel::EMAIL"}


@dataclass(frozen=True, order=True)
class Exported:
    """One value to detect."""

    kind: str
    key: str
    source: str


def exported_indicators(store: GraphStore, now: int) -> list[Exported]:
    """Indicators to hand to sensors, confirmed siblings included, sorted and unique."""
    found = {
        Exported(str(r["kind"]), str(r["key"]), ",".join(sorted(r["sources"] or [])) or "graphpivot")
        for r in store.read(_INDICATORS, {"labels": list(EXPORTED_LABELS)})
    }
    known = {e.key for e in found}
    for r in store.read(_CONFIRMED, {}):
        key = str(r["key"])
        if key not in known and (r["until"] is None or int(r["until"]) >= now):
            found.add(Exported(_kind_of(key), key, "triage"))
    return sorted(found)


def _kind_of(key: str) -> str:
    if "://" in key:
        return "URL"
    try:
        ipaddress.ip_address(key)
        return "IP"
    except ValueError:
        return "Email" if "@" in key else "Domain"


def _tsv_cell(text: str) -> str:
    return "".join(" " if ch in "\t\r\n" else ch for ch in text) or "-"


def zeek_intel(items: Iterable[Exported]) -> str:
    """A Zeek Intel framework file (URLs as Zeek matches them: host/path, no scheme)."""
    lines = ["#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"]
    for item in items:
        value = item.key.split("://", 1)[1] if item.kind == "URL" else item.key
        lines.append(
            f"{_tsv_cell(value)}\t{ZEEK_TYPES[item.kind]}\t{_tsv_cell(item.source)}\tgraphpivot {item.kind.lower()}"
        )
    return "\n".join(lines) + "\n"


def suricata_content(text: str) -> str:
    """``text`` for a Suricata ``content`` (and ``msg``): ``; " \\ |`` and control bytes as hex."""
    out = []
    for ch in text:
        if ch in ';"\\|' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"|{ord(ch):02x}|")
        elif ord(ch) > 0x7E:
            out.append("".join(f"|{b:02x}|" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _sid(item: Exported, variant: str) -> int:
    return SID_BASE + zlib.crc32(f"{variant}:{item.kind}:{item.key}".encode()) % 900_000


def suricata_rules(items: Iterable[Exported]) -> str:
    """Suricata rules: DNS queries and TLS SNI for domains (and names under them), flows to IPs, HTTP for URLs."""
    rules = []
    for item in items:
        msg = f"graphpivot indicator {suricata_content(item.key)} ({suricata_content(item.source)})"
        if item.kind == "Domain":
            name = suricata_content("." + item.key)
            rules.append(f'alert dns any any -> any any (msg:"{msg} dns"; dns.query; dotprefix; content:"{name}"; '
                         f"nocase; endswith; sid:{_sid(item, 'dns')}; rev:1;)")
            rules.append(f'alert tls any any -> any any (msg:"{msg} sni"; tls.sni; dotprefix; content:"{name}"; '
                         f"nocase; endswith; sid:{_sid(item, 'tls')}; rev:1;)")
        elif item.kind == "IP":
            rules.append(f'alert ip any any -> {item.key} any (msg:"{msg} flow"; sid:{_sid(item, "ip")}; rev:1;)')
        elif item.kind == "URL":
            parts = urlsplit(item.key)
            uri = suricata_content((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
            host = suricata_content(parts.hostname or "")
            rules.append(f'alert http any any -> any any (msg:"{msg} http"; http.host; content:"{host}"; nocase; '
                         f'http.uri; content:"{uri}"; sid:{_sid(item, "http")}; rev:1;)')
    return "\n".join(rules) + ("\n" if rules else "")


def rpz_zone(items: Iterable[Exported], origin: str = "rpz.graphpivot.local", serial: int = 1) -> str:
    """A DNS Response Policy Zone answering NXDOMAIN for indicator names (and names under them) and
    for answers holding indicator IPs (``rpz-ip`` triggers)."""
    lines = [
        f"$ORIGIN {origin}.",
        "$TTL 300",
        f"@ IN SOA localhost. hostmaster.localhost. ( {serial} 3600 600 86400 300 )",
        "@ IN NS localhost.",
    ]
    for item in items:
        if item.kind == "Domain":
            lines += [f"{item.key} IN CNAME .", f"*.{item.key} IN CNAME ."]
        elif item.kind == "IP":
            address = ipaddress.ip_address(item.key)
            if address.version == 4:
                owner = "32." + ".".join(reversed(item.key.split(".")))
            else:
                groups = [format(int(group, 16), "x") for group in address.exploded.split(":")]
                owner = "128." + ".".join(reversed(groups))
            lines.append(f"{owner}.rpz-ip IN CNAME .")
    return "\n".join(lines) + "\n"
