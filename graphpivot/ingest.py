"""The one write path: batch, pre-aggregate, merge, count rejects.

Loaders yield records; the :class:`Ingestor` folds duplicates inside a batch
with the schema's merge rules (so a 1M-line log becomes a few thousand rows),
makes sure every edge's endpoints exist, and hands label-grouped rows to the
store. Memory is bounded by the batch size (records and bytes), not the input size.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any

from graphpivot.canonical import InvalidValue, fits_key
from graphpivot.merge import merge_into
from graphpivot.model import Edge, Loaded, Node, Note, Progress, Record, Reject, Skipped, entity
from graphpivot.reference.service_match import WebServiceIndex, link_edge
from graphpivot.schema import NODES, RELS, Prop, PropType
from graphpivot.store.base import EdgeRows, GraphStore, NodeRows
from graphpivot.writebehind import BackgroundWriter

DEFAULT_BATCH = 5000  # records per batch when neither the caller nor a store says
DEFAULT_BATCH_MB = 64  # estimated megabytes of pending rows per batch (GRAPHPIVOT_BATCH_MB)
MB = 1 << 20
MAX_REJECTS_KEPT = 1000
RAW_CUT = 300  # of the rejects kept in memory for the summary; --rejects files keep every line whole
# Integer properties beyond +-2**53 are rejected: sums of them must stay within int64 on both engines.
MAX_INT = 1 << 53
# A batch is written once it holds batch_size items and the next record starts a new group
# (a Node after an Edge), so a loader's nodes stay in the batch of the edges that follow them
# and need no re-validation; MAX_PENDING caps a batch when a stream never starts a new group.
# The byte budget works the same way: a new group starts a new batch once the pending rows'
# estimated size reaches it, and twice the budget writes the batch even inside a group.
MAX_PENDING = 200_000
ROW_OVERHEAD = 64  # estimated bytes of a pending row beyond its text (the dict, the numbers)
_NODE_PROPS = {label: frozenset(p.name for p in spec.props) for label, spec in NODES.items()}
_REL_PROPS = {rel: frozenset(p.name for p in spec.props) for rel, spec in RELS.items()}
_NODE_TYPES = {label: {p.name: p for p in spec.props} for label, spec in NODES.items()}
_REL_TYPES = {rel: {p.name: p for p in spec.props} for rel, spec in RELS.items()}


class RecordProblem(ValueError):
    """A record whose key or property values no engine should be asked to store."""


def _value_problem(prop: Prop, value: Any) -> str | None:
    kind = prop.type
    if value is None:
        return None
    if kind is PropType.STRING:
        return None if isinstance(value, str) else f"{prop.name} should be text, found {type(value).__name__}"
    if kind is PropType.BOOL:
        return None if isinstance(value, bool) else f"{prop.name} should be true/false, found {value!r}"[:120]
    if kind is PropType.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{prop.name} should be an integer, found {value!r}"[:120]
        return None if -MAX_INT <= value <= MAX_INT else f"{prop.name} out of range: {value}"[:120]
    if kind is PropType.FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{prop.name} should be a number, found {value!r}"[:120]
        return None if math.isfinite(value) else f"{prop.name} is not finite: {value!r}"
    if not isinstance(value, list):
        return f"{prop.name} should be a list, found {type(value).__name__}"
    if kind is PropType.STRING_LIST:
        bad = next((v for v in value if not isinstance(v, str)), None)
        return None if bad is None else f"{prop.name} should hold text, found {bad!r}"[:120]
    bad = next((v for v in value if isinstance(v, bool) or not isinstance(v, int) or not -MAX_INT <= v <= MAX_INT),
               None)
    return None if bad is None else f"{prop.name} should hold integers, found {bad!r}"[:120]


def check_record(types: dict[str, Prop], props: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Raise :class:`RecordProblem` for a key over ``canonical.MAX_KEY_BYTES`` or a value of the wrong type/range."""
    for key in keys:
        if not isinstance(key, str):
            raise RecordProblem(f"key should be text, found {type(key).__name__}")
        try:
            fits_key(key)
        except InvalidValue as exc:
            raise RecordProblem(str(exc)) from None
    for name, value in props.items():
        prop = types.get(name)
        if prop is not None:
            problem = _value_problem(prop, value)
            if problem:
                raise RecordProblem(problem)


def row_bytes(keys: tuple[str, ...], props: dict[str, Any]) -> int:
    """Estimated size of a pending row: its keys' and text values' characters plus a fixed overhead per value."""
    size = ROW_OVERHEAD + sum(len(key) for key in keys)
    for value in props.values():
        if isinstance(value, str):
            size += len(value) + 8
        elif isinstance(value, list):
            size += sum(len(v) + 8 if isinstance(v, str) else 8 for v in value)
        else:
            size += 8
    return size


@dataclass
class LoadSummary:
    """What one load did; printed by the CLI and returned to callers."""

    source: str
    run_id: str
    dry_run: bool
    lines: int = 0
    nodes: Counter[str] = field(default_factory=Counter)
    edges: Counter[str] = field(default_factory=Counter)
    records: int = 0
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # whole units read and deliberately not loaded
    skipped_parts: Counter[str] = field(default_factory=Counter)  # parts of loaded units not loaded (e.g. capped)
    seconds: float = 0.0
    batches: int = 0  # batches handed to the store (or that a dry run would have written)
    notes: list[str] = field(default_factory=list)
    read: int = 0  # units (lines, objects) read
    loaded: int = 0  # units that contributed to the graph
    rejected_units: int = 0  # units rejected (file-level rejects cover none)
    skipped_units: int = 0
    unbalanced: list[str] = field(default_factory=list)  # files whose read != loaded + rejected + skipped

    @property
    def balanced(self) -> bool:
        """``read = loaded + rejected + skipped`` held for every file of the load."""
        return not self.unbalanced

    def as_dict(self) -> dict[str, Any]:
        """Plain form for ``--format json`` and logs."""
        return {
            "source": self.source,
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "lines": self.lines,
            "records": self.records,
            "nodes": dict(self.nodes),
            "edges": dict(self.edges),
            "rejected": self.rejected,
            "skipped": dict(self.skipped),
            "skipped_parts": dict(self.skipped_parts),
            "accounting": {
                "read": self.read,
                "loaded": self.loaded,
                "rejected": self.rejected_units,
                "skipped": self.skipped_units,
                "balanced": self.balanced,
                "unbalanced": self.unbalanced,
            },
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


def note_seen(props: dict[str, Any], first: int, last: int, sources: list[str]) -> None:
    """Widen a pending node by an edge that touches it, by the schema's node rules.

    ``first_seen`` min, ``last_seen`` max, ``sources`` union (every label's, see
    ``tests/unit/test_ingest_seen.py``); inlined because it runs twice per edge.
    """
    old = props.get("first_seen")
    if old is None or first < old:
        props["first_seen"] = first
    old = props.get("last_seen")
    if old is None or last > old:
        props["last_seen"] = last
    have = props.get("sources")
    if have is None:
        props["sources"] = list(sources)
    elif have is not sources:
        extra = [source for source in sources if source not in have]
        if extra:
            props["sources"] = have + extra


@lru_cache(maxsize=65_536)
def parent_domain(name: str) -> str | None:
    """The canonical parent of a name of three labels or more, else ``None`` (``v1.0.1``: ``0.1`` is no name)."""
    labels = name.split(".")
    if len(labels) <= 2:
        return None
    try:
        return entity("Domain", ".".join(labels[1:])).key
    except InvalidValue:
        return None


class Ingestor:
    """Accumulates records and writes them in merged batches."""

    def __init__(
        self,
        store: GraphStore | None,
        source: str,
        *,
        batch_size: int | None = None,
        batch_mb: float | None = None,
        observed_at: int | None = None,
        dry_run: bool = False,
        rejects_out: IO[str] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        web_services: WebServiceIndex | None = None,
    ) -> None:
        if store is None and not dry_run:
            raise ValueError("a store is required unless dry_run is set")
        self.store = store
        self.source = source
        self.batch_size = batch_size or (store.batch_size if store is not None else DEFAULT_BATCH)
        self.batch_bytes = int((batch_mb or DEFAULT_BATCH_MB) * MB)
        self._pending_bytes = 0  # estimated size of the pending rows (row_bytes of each new row)
        self.observed_at = observed_at if observed_at is not None else int(time.time())
        self.summary = LoadSummary(source=source, run_id=uuid.uuid4().hex[:12], dry_run=dry_run)
        self._rejects_out = rejects_out
        self._on_progress = on_progress
        self._nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._edges: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
        self._lines_by_file: dict[str, int] = {}
        # Per file: units loaded (as the loader counted them), rejected and skipped.
        self._loaded_by_file: Counter[str] = Counter()
        self._rejected_by_file: Counter[str] = Counter()
        self._skipped_by_file: Counter[str] = Counter()
        # Every Domain and URL written is checked against the web-service catalogue in the graph.
        if web_services is None:
            web_services = WebServiceIndex.from_store(store) if store is not None else WebServiceIndex()
        self._services = web_services
        self._after_edge = False
        self._writer: BackgroundWriter | None = None  # set while run() streams: writes overlap reading

    # ------------------------------------------------------------ intake
    def run(self, records: Iterable[Record]) -> LoadSummary:
        """Consume every record, flush, and return the summary."""
        started = time.perf_counter()
        if not self.summary.dry_run:
            self._writer = BackgroundWriter()
        try:
            for record in records:
                self.add(record)
            self.flush()
        finally:
            writer, self._writer = self._writer, None
            if writer is not None:
                writer.close()
        self._account()
        self.summary.seconds += time.perf_counter() - started
        return self.summary

    def _account(self) -> None:
        """Totals and the per-file check of ``read = loaded + rejected + skipped``."""
        summary = self.summary
        summary.lines = sum(self._lines_by_file.values())
        files = set(self._lines_by_file) | set(self._loaded_by_file) | set(self._rejected_by_file)
        files |= set(self._skipped_by_file)
        summary.read = summary.lines
        summary.loaded = sum(self._loaded_by_file.values())
        summary.rejected_units = sum(self._rejected_by_file.values())
        summary.skipped_units = sum(self._skipped_by_file.values())
        for name in sorted(files):
            read = self._lines_by_file.get(name, 0)
            loaded, rejected, skipped = (
                self._loaded_by_file[name], self._rejected_by_file[name], self._skipped_by_file[name]
            )
            if read != loaded + rejected + skipped:
                summary.unbalanced.append(
                    f"{name}: read {read} != loaded {loaded} + rejected {rejected} + skipped {skipped}"
                )

    def add(self, record: Record) -> None:
        """Take one record; flushes when the batch is full and a new group of nodes begins."""
        if isinstance(record, Node):
            full = len(self._nodes) + len(self._edges) >= self.batch_size or self._pending_bytes >= self.batch_bytes
            if full and (self._after_edge or not self._edges):
                self.flush()
            self._after_edge = False
            try:
                check_record(_NODE_TYPES.get(record.label, {}), record.props, (record.key,))
            except RecordProblem as exc:
                self._reject(Reject(self.source, None, f"{record.label} not written: {exc}", units=0))
                return
            self._add_node(record)
        elif isinstance(record, Edge):
            self._after_edge = True
            try:
                check_record(_REL_TYPES.get(record.type, {}), record.props, (record.src_key, record.dst_key))
            except RecordProblem as exc:
                self._reject(Reject(self.source, None, f"{record.type} edge not written: {exc}", units=0))
                return
            self._add_edge(record)
        elif isinstance(record, Reject):
            self._reject(record)
            return
        elif isinstance(record, Skipped):
            if record.whole:
                self.summary.skipped[record.what] += record.count
                self._skipped_by_file[record.file] += record.count
            else:
                self.summary.skipped_parts[record.what] += record.count
            return
        elif isinstance(record, Loaded):
            self._loaded_by_file[record.file] += record.count
            return
        elif isinstance(record, Progress):
            self._lines_by_file[record.file] = record.lines
            if self._on_progress:
                self._on_progress(record)
            return
        elif isinstance(record, Note):
            self.summary.notes.append(record.text)
            return
        self.summary.records += 1
        if len(self._nodes) + len(self._edges) >= MAX_PENDING or self._pending_bytes >= 2 * self.batch_bytes:
            self.flush()

    def _reject(self, reject: Reject) -> None:
        """Count a reject; the ``--rejects`` file gets the whole raw line (NDJSON), the summary a cut copy."""
        self.summary.rejected += 1
        self._rejected_by_file[reject.file] += reject.units
        if self._rejects_out is not None:
            self._rejects_out.write(
                json.dumps({"file": reject.file, "line": reject.line, "reason": reject.reason, "raw": reject.raw})
                + "\n"
            )
        if len(self.summary.rejects) < MAX_REJECTS_KEPT:
            self.summary.rejects.append(
                Reject(reject.file, reject.line, reject.reason, reject.raw[:RAW_CUT], reject.units)
            )

    def _add_node(self, node: Node, *, from_edge: bool = False) -> None:
        spec = NODES[node.label]
        props = node.props
        if not props.get("sources"):
            props["sources"] = [self.source]
        slot = (node.label, node.key)
        pending = self._nodes.get(slot)
        if pending is None:
            self._nodes[slot] = dict(props)
            self._pending_bytes += row_bytes((node.key,), props)
            if node.label == "Domain":
                self._link_parent(node.key, props)
            if self._services and node.label in ("Domain", "URL"):
                self._link_service(node.label, node.key, props)
        else:
            seen = pending.get("first_seen"), pending.get("last_seen")
            merge_into(pending, props, spec.props)
            if (pending.get("first_seen"), pending.get("last_seen")) != seen:
                # the links made from the node's first record follow its times (else they depend on the batching)
                if node.label == "Domain":
                    self._link_parent(node.key, pending)
                if self._services and node.label in ("Domain", "URL"):
                    self._link_service(node.label, node.key, pending)
        if from_edge:
            return
        unknown = props.keys() - _NODE_PROPS[node.label]
        if unknown:
            raise ValueError(f"unknown {node.label} properties: {sorted(unknown)}")

    def _link_parent(self, name: str, props: dict[str, Any]) -> None:
        """``SUBDOMAIN_OF`` to the parent name, up to two-label names (``a.b.example.com`` -> ...)."""
        parent = parent_domain(name)
        if parent is None:
            return
        seen = props.get("first_seen", self.observed_at)
        edge_props = {"first_seen": seen, "last_seen": props.get("last_seen", seen), "sources": props["sources"]}
        self._add_edge(Edge("SUBDOMAIN_OF", "Domain", name, "Domain", parent, edge_props))

    def _link_service(self, label: str, key: str, props: dict[str, Any]) -> None:
        """``OPERATED_BY`` to the catalogue's web service for this Domain or URL, if any."""
        slug = self._services.match_domain(key) if label == "Domain" else self._services.match_url(key)
        if slug is not None:
            seen = props.get("first_seen", self.observed_at)
            self._add_edge(link_edge(label, key, slug, seen, props.get("last_seen", seen)))

    def _add_edge(self, edge: Edge) -> None:
        spec = RELS[edge.type]
        if (edge.src_label, edge.dst_label) not in spec.pairs:
            raise ValueError(f"{edge.type} does not join {edge.src_label} to {edge.dst_label}")
        props = edge.props
        props.setdefault("first_seen", props.get("last_seen", self.observed_at))
        props.setdefault("last_seen", props["first_seen"])
        props.setdefault("count", 1)
        if not props.get("sources"):
            props["sources"] = [self.source]
        slot = (edge.type, edge.src_label, edge.src_key, edge.dst_label, edge.dst_key)
        pending = self._edges.get(slot)
        if pending is None:
            unknown = props.keys() - _REL_PROPS[edge.type]
            if unknown:
                raise ValueError(f"unknown {edge.type} properties: {sorted(unknown)}")
            self._edges[slot] = dict(props)
            self._pending_bytes += row_bytes((edge.src_key, edge.dst_key), props)
        else:
            merge_into(pending, props, spec.props)
        first, last, sources = props["first_seen"], props["last_seen"], props["sources"]
        for label, key in ((edge.src_label, edge.src_key), (edge.dst_label, edge.dst_key)):
            if (label, key) not in self._nodes:
                try:
                    self._add_node(entity(label, key), from_edge=True)
                except InvalidValue as exc:
                    raise ValueError(f"edge endpoint {label} {key!r} is not canonical: {exc}") from None
            note_seen(self._nodes[(label, key)], first, last, sources)

    # ------------------------------------------------------------ output
    def flush(self) -> None:
        """Write the pending batch: nodes first, then edges (in the background while :meth:`run` streams)."""
        by_label: NodeRows = {}
        for (label, key), props in self._nodes.items():
            by_label.setdefault(label, []).append({"key": key, **props})
        by_rel: EdgeRows = {}
        for (rel, src_label, src, dst_label, dst), props in self._edges.items():
            by_rel.setdefault((rel, src_label, dst_label), []).append({"src": src, "dst": dst, **props})
        self._nodes.clear()
        self._edges.clear()
        self._pending_bytes = 0
        for label, rows in by_label.items():
            self.summary.nodes[label] += len(rows)
        for (rel, _, _), rows in by_rel.items():
            self.summary.edges[rel] += len(rows)
        if not (by_label or by_rel):
            return
        self.summary.batches += 1
        if self.summary.dry_run:
            return
        store = self.store
        assert store is not None

        if self._writer is not None:
            self._writer.submit(lambda: store.write_batch(by_label, by_rel))
        else:
            store.write_batch(by_label, by_rel)

