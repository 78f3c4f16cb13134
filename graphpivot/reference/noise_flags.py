"""Spread the noise list over the graph: flag every node a rule covers.

A rule's own node (an ASN, a netblock, a domain ...) is loaded by
:mod:`graphpivot.loaders.reference.noise_list`; here the rules reach the nodes they cover:
names under a noise domain and e-mail addresses at it, addresses inside a noise
range or announced by a noise ASN, CA certificates by subject CN. Flags are
graph data (``noise``, ``noise_reason``) that every pivot reads; a flag already
set (by another rule or by hand) is left alone.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from graphpivot.canonical import registered_domain
from graphpivot.config import from_env
from graphpivot.ingest import Ingestor
from graphpivot.loaders.reference.noise_list import NoiseRule, read_noise_list, read_rules
from graphpivot.model import Reject
from graphpivot.schema import NODES
from graphpivot.store.base import GraphStore

NOISE_FILE_ENV = "GRAPHPIVOT_NOISE_FILE"
NOISE_SOURCE = "noise-list"
_UNFLAGGED = "coalesce(n.noise, false) = false"


def default_noise_file() -> Path:
    """The list shipped with graphpivot."""
    return Path(str(resources.files("graphpivot") / "data" / "noise.csv"))


def configured_noise_file() -> Path:
    """``GRAPHPIVOT_NOISE_FILE`` when set, else the shipped list."""
    return from_env().noise_file or default_noise_file()


def load_rules(path: Path) -> tuple[list[NoiseRule], list[Reject]]:
    """Every good rule of a list, and the lines that were not."""
    rules: list[NoiseRule] = []
    rejects: list[Reject] = []
    for item in read_rules(path):
        (rejects if isinstance(item, Reject) else rules).append(item)  # type: ignore[arg-type]
    return rules, rejects


@lru_cache(maxsize=4)
def _cached_rules(path: Path, mtime: float) -> tuple[NoiseRule, ...]:
    del mtime  # part of the cache key only: an edited file is read again
    return tuple(load_rules(path)[0])


def configured_rules() -> tuple[NoiseRule, ...]:
    """The configured list's rules (re-read when the file changes)."""
    path = configured_noise_file()
    return _cached_rules(path, path.stat().st_mtime)


def install(store: GraphStore, path: Path) -> tuple[int, list[Reject]]:
    """Replace the graph's noise flags with this list: its own nodes, then every node it covers."""
    reset_noise(store)
    Ingestor(store, NOISE_SOURCE).run(read_noise_list(path, NOISE_SOURCE))
    rules, rejects = load_rules(path)
    apply_noise(store, rules)
    return len(rules), rejects


def reset_noise(store: GraphStore) -> None:
    """Clear every noise flag, before a list is loaded afresh."""
    for label in NODES:
        store.write(f"MATCH (n:{label}) WHERE n.noise = true SET n.noise = false, n.noise_reason = NULL")


def apply_noise(store: GraphStore, rules: Iterable[NoiseRule]) -> None:
    """Flag the nodes every rule covers."""
    by_kind: dict[str, list[NoiseRule]] = {}
    for rule in rules:
        by_kind.setdefault(rule.kind, []).append(rule)
    exact = [r for r in by_kind.get("asn", []) + by_kind.get("ip", []) + by_kind.get("email", []) if r.label]
    for label in {r.label for r in exact if r.label}:
        rows = [{"key": r.value, "reason": r.reason} for r in exact if r.label == label]
        _flag(store, f"MATCH (n:{label} {{key: r.key}})", rows)
    domains = [
        {"key": r.value, "rd": registered_domain(r.value) or r.value, "dot": "." + r.value, "at": "@" + r.value,
         "reason": r.reason}
        for r in by_kind.get("domain", [])
    ]
    _flag(store, "MATCH (n:Domain) WHERE n.registered_domain = r.rd AND (n.key = r.key OR n.key ENDS WITH r.dot)",
          domains)
    _flag(store, "MATCH (n:Email) WHERE n.key ENDS WITH r.at OR n.key ENDS WITH r.dot", domains)
    certs = [{"cn": r.value, "reason": r.reason} for r in by_kind.get("cert_cn", [])]
    _flag(store, "MATCH (n:Certificate) WHERE n.subject_cn = r.cn", certs)
    _flag_networks(store, by_kind.get("cidr", []))
    asns = [{"key": r.value, "reason": r.reason} for r in by_kind.get("asn", [])]
    _flag(store, "MATCH (n:Netblock)-[:ANNOUNCED_BY]->(:ASN {key: r.key})", asns)
    _flag(store, "MATCH (n:IP)-[:IN_NETBLOCK]->(:Netblock)-[:ANNOUNCED_BY]->(:ASN {key: r.key})", asns)


def _flag(store: GraphStore, match: str, rows: list[dict[str, Any]]) -> None:
    """Set ``noise`` and the rule's reason on the still-unflagged nodes ``match`` binds to ``n``."""
    if rows:
        store.write(
            f"UNWIND $rows AS r {match} WITH n, r WHERE {_UNFLAGGED} "
            "SET n.noise = true, n.noise_reason = r.reason",
            {"rows": rows},
        )


def _flag_networks(store: GraphStore, rules: list[NoiseRule]) -> None:
    """Netblocks and IPs inside a noise range: containment is checked here, not in Cypher."""
    if not rules:
        return
    ranges = _Ranges(rules)
    for label in ("Netblock", "IP"):
        (row,) = store.read(f"MATCH (n:{label}) WHERE {_UNFLAGGED} RETURN collect(n.key) AS keys")
        keys: list[str] = row["keys"]
        rows = [{"key": key, "reason": reason} for key in keys if (reason := ranges.reason(key)) is not None]
        _flag(store, f"MATCH (n:{label} {{key: r.key}})", rows)


class _Ranges:
    """Sorted address ranges for fast containment checks of many addresses."""

    def __init__(self, rules: list[NoiseRule]) -> None:
        spans = []
        for rule in rules:
            net = ipaddress.ip_network(rule.value)
            spans.append((net.version, int(net.network_address), int(net.broadcast_address), rule.reason))
        spans.sort()
        self._spans = spans
        self._starts = [(version, start) for version, start, _end, _reason in spans]

    def reason(self, key: str) -> str | None:
        """The reason of a range holding this address or network, if any."""
        net = ipaddress.ip_network(key, strict=False)
        first, last = int(net.network_address), int(net.broadcast_address)
        i = bisect.bisect_right(self._starts, (net.version, first))
        while i > 0:
            i -= 1
            version, start, end, reason = self._spans[i]
            if version != net.version:
                return None
            if start <= first and last <= end:
                return reason
        return None
