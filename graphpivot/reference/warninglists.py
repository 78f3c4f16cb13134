"""Warninglists as graph data: which Domain and IP nodes the MISP lists (and local entries) cover.

:class:`ListIndex` holds every list the table switches on: domains in two dicts (an
exact entry also covers the names of its own registered domain under it, as MISP's
hostname lists do, so ``j.maxmind.com`` is covered by ``maxmind.com`` while a customer
name ``abc.herokuapp.com`` is not covered by ``herokuapp.com``; a ``.suffix`` entry
covers every name under it) and networks as sorted, non-overlapping segments, each with
the set of lists covering it, so one address is one binary search however many ranges
there are. :func:`apply_lists` reads the keys of the Domain and IP nodes already in the
graph, looks each up in the index (no node is created per list entry) and writes
``lists`` (list names) and ``list_meanings`` only where they changed.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import os
import pickle
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from platformdirs import user_cache_path

from graphpivot.canonical import registered_domain
from graphpivot.loaders.reference.warninglists import (
    LOCAL_LIST,
    TableRow,
    merged_table,
    network_span,
    package_version,
    read_list,
    table_digest,
)
from graphpivot.model import Reject
from graphpivot.store.base import GraphStore

LISTS_FILE_ENV = "GRAPHPIVOT_LISTS_FILE"
_WRITE_CHUNK = 5000


def packaged_table() -> Path:
    return Path(str(resources.files("graphpivot") / "data" / "warninglists.csv"))


def override_table() -> Path | None:
    value = os.environ.get(LISTS_FILE_ENV)
    return Path(value) if value else None


@dataclass
class _Segments:
    """Non-overlapping address segments (one IP version), each with the ids of the lists covering it."""

    starts: list[int] = field(default_factory=list)
    ids: list[frozenset[int]] = field(default_factory=list)

    @classmethod
    def build(cls, spans: list[tuple[int, int, int]]) -> _Segments:
        """From ``(first, last, list id)`` spans, by one sweep over their boundaries."""
        events: list[tuple[int, int, int]] = []  # (address, +1/-1, id)
        for first, last, ident in spans:
            events.append((first, 1, ident))
            events.append((last + 1, -1, ident))
        events.sort()
        seg = cls()
        active: Counter[int] = Counter()
        i = 0
        while i < len(events):
            point = events[i][0]
            while i < len(events) and events[i][0] == point:
                _, step, ident = events[i]
                active[ident] += step
                if active[ident] == 0:
                    del active[ident]
                i += 1
            current = frozenset(active)
            if seg.ids and seg.ids[-1] == current:
                continue
            seg.starts.append(point)
            seg.ids.append(current)
        return seg

    def lookup(self, address: int) -> frozenset[int]:
        i = bisect.bisect_right(self.starts, address) - 1
        return self.ids[i] if i >= 0 else frozenset()


@dataclass
class ListIndex:
    """Every switched-on list, ready for lookups of names and addresses."""

    names: list[str] = field(default_factory=list)  # list id -> list name
    meanings: list[str] = field(default_factory=list)  # list id -> meaning
    titles: list[str] = field(default_factory=list)  # list id -> what the list is
    exact: dict[str, set[int]] = field(default_factory=dict)
    suffix: dict[str, set[int]] = field(default_factory=dict)
    segments: dict[int, _Segments] = field(default_factory=dict)
    off_names: set[str] = field(default_factory=set)
    off_suffixes: set[str] = field(default_factory=set)
    off_ranges: dict[int, _Segments] = field(default_factory=dict)
    version: str = ""
    entries: int = 0
    build_seconds: float = 0.0
    rejects: list[Reject] = field(default_factory=list)

    # ------------------------------------------------------------ lookups
    def domain(self, name: str) -> frozenset[int]:
        """Ids of the lists covering a canonical name."""
        labels = name.split(".")
        if name in self.off_names or any(".".join(labels[i:]) in self.off_suffixes for i in range(len(labels))):
            return frozenset()
        hits = set(self.exact.get(name, ()))
        hits.update(self.suffix.get(name, ()))
        base = registered_domain(name) or name
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            hits.update(self.suffix.get(parent, ()))
            if len(parent) >= len(base) and parent.endswith(base):
                hits.update(self.exact.get(parent, ()))
        return frozenset(hits)

    def address(self, key: str) -> frozenset[int]:
        """Ids of the lists covering a canonical address."""
        try:
            addr = ipaddress.ip_address(key)
        except ValueError:
            return frozenset()
        off = self.off_ranges.get(addr.version)
        if off is not None and off.lookup(int(addr)):
            return frozenset()
        seg = self.segments.get(addr.version)
        return seg.lookup(int(addr)) if seg is not None else frozenset()

    def describe(self, ids: frozenset[int]) -> tuple[list[str], list[str]]:
        """(sorted list names, sorted meanings) of a set of list ids."""
        return sorted({self.names[i] for i in ids}), sorted({self.meanings[i] for i in ids})


def build_index(rows: list[TableRow]) -> ListIndex:
    """Read every list the table switches on, plus the local entries."""
    started = time.perf_counter()
    index = ListIndex()
    spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
    off_spans: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
    versions = []

    def new_list(name: str, meaning: str, title: str) -> int:
        index.names.append(name)
        index.meanings.append(meaning)
        index.titles.append(title)
        return len(index.names) - 1

    def add_domain(value: str, suffix: bool, ident: int) -> None:
        (index.suffix if suffix else index.exact).setdefault(value, set()).add(ident)

    def add_net(cidr: str, ident: int, into: dict[int, list[tuple[int, int, int]]],
                span: tuple[int, int, int] | None = None) -> None:
        version, first, last = span or network_span(cidr)
        into[version].append((first, last, ident))

    local: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: (r.kind, r.value)):
        if row.kind == "list":
            if row.meaning == "off":
                continue
            meta, entries = read_list(row.value)
            ident = new_list(row.value, row.meaning, meta["name"])
            versions.append(f"{row.value}@{meta['version']}")
            for entry in entries:
                index.entries += 1
                if entry.kind == "domain":
                    add_domain(entry.value, entry.suffix, ident)
                else:
                    add_net(entry.value, ident, spans, entry.span)
            continue
        index.entries += 1
        if row.meaning == "off":
            if row.kind == "domain":
                (index.off_suffixes if row.value.startswith(".") else index.off_names).add(row.value.lstrip("."))
            else:
                add_net(row.value, 0, off_spans)
            continue
        if row.meaning not in local:
            local[row.meaning] = new_list(LOCAL_LIST, row.meaning, "local entries")
        if row.kind == "domain":
            add_domain(row.value.lstrip("."), row.value.startswith("."), local[row.meaning])
        else:
            add_net(row.value, local[row.meaning], spans)
    index.segments = {v: _Segments.build(s) for v, s in spans.items() if s}
    index.off_ranges = {v: _Segments.build(s) for v, s in off_spans.items() if s}
    index.version = f"pymispwarninglists {package_version()}, table {table_digest(rows)}"
    index.build_seconds = time.perf_counter() - started
    return index


CACHE_ENV = "GRAPHPIVOT_CACHE_DIR"


def _cache_file(version: str) -> Path:
    """Where the built index of one version is kept between processes (the user cache folder)."""
    root = Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else user_cache_path("graphpivot")
    digest = hashlib.sha256(version.encode()).hexdigest()[:16]
    return root / f"warninglists-{digest}.pickle"


@lru_cache(maxsize=2)
def _cached(packaged: Path, override: Path | None, mtimes: tuple[float, ...]) -> ListIndex:
    del mtimes  # cache key only: an edited table is read again
    rows, rejects = merged_table(packaged, override)
    version = f"pymispwarninglists {package_version()}, table {table_digest(rows)}"
    cache = _cache_file(version)
    try:
        with cache.open("rb") as handle:
            index = pickle.load(handle)  # written by this function for this exact version
        if isinstance(index, ListIndex) and index.version == version:
            index.rejects = rejects
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        pass
    index = build_index(rows)
    index.rejects = rejects
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)
    except OSError:
        pass  # no cache folder: build again next time
    return index


def configured_index() -> ListIndex:
    """The index of the packaged table with ``$GRAPHPIVOT_LISTS_FILE`` on top (built once per process)."""
    packaged, override = packaged_table(), override_table()
    mtimes = tuple(p.stat().st_mtime for p in (packaged, override) if p is not None and p.exists())
    return _cached(packaged, override, mtimes)


def configured_version() -> str:
    """The version :func:`configured_index` would install, without building it."""
    packaged, override = packaged_table(), override_table()
    rows, _ = merged_table(packaged, override)
    return f"pymispwarninglists {package_version()}, table {table_digest(rows)}"


@dataclass
class ApplyStats:
    nodes: int = 0
    listed: int = 0
    changed: int = 0
    seconds: float = 0.0


def apply_lists(store: GraphStore, index: ListIndex | None = None) -> ApplyStats:
    """Set ``lists`` and ``list_meanings`` on every Domain and IP the lists cover (and clear stale ones)."""
    started = time.perf_counter()
    index = index or configured_index()
    stats = ApplyStats()
    for label, lookup in (("Domain", index.domain), ("IP", index.address)):
        rows = store.read(f"MATCH (n:{label}) RETURN n.key AS key, n.lists AS lists")
        updates: list[dict[str, Any]] = []
        cleared: list[str] = []
        for row in rows:
            stats.nodes += 1
            key = str(row["key"])
            names, meanings = index.describe(lookup(key))
            stats.listed += bool(names)
            if names == sorted(row["lists"] or []):
                continue
            if names:
                updates.append({"key": key, "lists": names, "meanings": meanings})
            else:
                cleared.append(key)
        for start in range(0, len(updates), _WRITE_CHUNK):
            store.write(
                f"UNWIND $rows AS r MATCH (n:{label} {{key: r.key}}) "
                "SET n.lists = r.lists, n.list_meanings = r.meanings",
                {"rows": updates[start : start + _WRITE_CHUNK]},
            )
        for start in range(0, len(cleared), _WRITE_CHUNK):
            store.write(
                f"MATCH (n:{label}) WHERE n.key IN $keys SET n.lists = NULL, n.list_meanings = NULL",
                {"keys": cleared[start : start + _WRITE_CHUNK]},
            )
        stats.changed += len(updates) + len(cleared)
    stats.seconds = time.perf_counter() - started
    return stats

