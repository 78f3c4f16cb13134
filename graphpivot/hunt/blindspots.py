"""Blind spots: what the hunt could not see, so "nothing found" is not read as "clean".

Three kinds: hosts without a telemetry channel (DNS, HTTP/proxy, flows, TLS
clients, endpoint), time ranges a channel does not cover inside the span of all
telemetry, and indicators no hunt could test (a kind no telemetry links to hosts,
a channel that is missing, or a validity window outside every log).

Channels follow the kind of sensor recorded on each edge (``sensors``, see
:data:`graphpivot.loaders.telemetry.observations.SENSOR_KINDS`), not the source
name a load was given: Route 53 Resolver and Windows DNS Server logs are DNS, VPC
Flow Logs flows, Zscaler/Netskope and other proxies HTTP/proxy, network sensors
(Zeek, Suricata) each channel by edge type; Sysmon's DNS (EID 22) and connections
(EID 3) are endpoint telemetry and counted there only. Edges loaded without a
sensor kind count by their type.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graphpivot.hunt.intel import Intel
from graphpivot.hunt.model import ExposureResult, Options, Unchecked
from graphpivot.hunt.runner import Runner

CHANNELS = ("dns", "http", "flow", "tls", "endpoint")
CHANNEL_NAMES = {
    "dns": "DNS (QUERIED)",
    "http": "HTTP/proxy (REQUESTED)",
    "flow": "flows (CONNECTED_TO)",
    "tls": "TLS clients (USED_CLIENT)",
    "endpoint": "endpoint (Sysmon QUERIED/CONNECTED_TO with the process)",
}
# Which channels can show a host touching each indicator kind.
KIND_CHANNELS = {"Domain": ("dns", "http", "endpoint"), "IP": ("flow", "http", "endpoint"), "URL": ("http",),
                 "Fingerprint": ("tls",), "Certificate": ("flow", "endpoint")}
DEFAULT_BUCKET = 86400


@dataclass(frozen=True)
class Gap:
    """A time range (inclusive epoch seconds) in which a channel has no telemetry."""

    channel: str
    start: int
    end: int


@dataclass
class BlindSpots:
    hosts: int = 0
    silent_hosts: list[str] = field(default_factory=list)
    hosts_without: dict[str, list[str]] = field(default_factory=dict)
    missing_channels: list[str] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)
    coverage: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    outside_window: int = 0

    @property
    def span(self) -> tuple[int, int] | None:
        """First and last moment any channel covers."""
        ranges = [r for spans in self.coverage.values() for r in spans]
        return (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "hosts": self.hosts,
            "silent_hosts": self.silent_hosts,
            "hosts_without": self.hosts_without,
            "missing_channels": self.missing_channels,
            "sources": self.sources,
            "coverage": {k: [list(r) for r in v] for k, v in self.coverage.items()},
            "gaps": [{"channel": g.channel, "start": g.start, "end": g.end} for g in self.gaps],
            "unchecked": [{"kind": u.kind, "key": u.key, "reason": u.reason} for u in self.unchecked],
            "outside_window": self.outside_window,
        }


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of closed integer ranges; touching ranges (end + 1 == start) join."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def gaps_in(covered: list[tuple[int, int]], span: tuple[int, int]) -> list[tuple[int, int]]:
    """The parts of ``span`` that ``covered`` (merged, sorted) leaves out."""
    holes: list[tuple[int, int]] = []
    cursor = span[0]
    for start, end in covered:
        if start > cursor:
            holes.append((cursor, min(start - 1, span[1])))
        cursor = max(cursor, end + 1)
    if cursor <= span[1]:
        holes.append((cursor, span[1]))
    return [h for h in holes if h[0] <= h[1]]


def host_blind_spots(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, list[str]]]:
    """Hosts with no telemetry at all, and per channel the hosts without it (``blind-spots-hosts`` rows)."""
    silent = sorted(r["host"] for r in rows if not any(r.get(c) for c in CHANNELS))
    without = {c: sorted(r["host"] for r in rows if not r.get(c)) for c in CHANNELS}
    return silent, without


def time_coverage(
    rows: list[dict[str, Any]], bucket: int
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[str]]]:
    """Covered time ranges and sources per channel, from ``blind-spots-time`` rows."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    sources: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        spans[row["channel"]].append((int(row["first_bucket"]), int(row["last_bucket"])))
        sources[row["channel"]].add(row["source"])
    coverage = {
        channel: [(start * bucket, (end + 1) * bucket - 1) for start, end in merge_spans(ranges)]
        for channel, ranges in spans.items()
    }
    return coverage, {c: sorted(s) for c, s in sources.items()}


def unchecked_indicators(
    intel: dict[tuple[str, str], Intel], coverage: dict[str, list[tuple[int, int]]]
) -> list[Unchecked]:
    """Indicators whose channels are missing, or whose validity window no channel covers."""
    result: list[Unchecked] = []
    for (kind, key), item in sorted(intel.items()):
        channels = KIND_CHANNELS.get(kind)
        if channels is None:
            continue  # reported by the exposure run itself
        present = [c for c in channels if coverage.get(c)]
        if not present:
            names = " or ".join(CHANNEL_NAMES[c] for c in channels)
            result.append(Unchecked(kind, key, f"no {names} telemetry in the graph"))
            continue
        if not any(item.overlaps(start, end) for c in present for start, end in coverage[c]):
            result.append(Unchecked(kind, key, "its validity window lies outside every telemetry time range"))
    return result


def blind_spots(runner: Runner, exposure: ExposureResult, options: Options, bucket: int = DEFAULT_BUCKET) -> BlindSpots:
    """Run the blind-spot queries and combine them with what the exposure run could not check."""
    window = {"since": options.since, "until": options.until}
    host_rows = runner.run("blind-spots-hosts", window)
    time_rows = runner.run("blind-spots-time", {**window, "bucket": bucket})
    silent, without = host_blind_spots(host_rows)
    coverage, sources = time_coverage(time_rows, bucket)
    spots = BlindSpots(
        hosts=len(host_rows),
        silent_hosts=silent,
        hosts_without=without,
        missing_channels=[c for c in CHANNELS if not coverage.get(c)],
        sources=sources,
        coverage=coverage,
        unchecked=[*exposure.unchecked, *unchecked_indicators(exposure.intel, coverage)],
        outside_window=exposure.outside_window,
    )
    span = spots.span
    if span is not None:
        for channel in (c for c in CHANNELS if coverage.get(c)):
            for start, end in gaps_in(coverage[channel], span):
                spots.gaps.append(Gap(channel, start, end))
    return spots
