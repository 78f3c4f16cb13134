"""The one write path: batch, pre-aggregate, merge, count rejects.

Loaders yield records; the :class:`Ingestor` folds duplicates inside a batch
with the schema's merge rules (so a 1M-line log becomes a few thousand rows),
makes sure every edge's endpoints exist, and hands label-grouped rows to the
store. Memory is bounded by the batch size, not the input size.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from graphpivot.canonical import InvalidValue
from graphpivot.merge import merge_into
from graphpivot.model import Edge, Node, Note, Progress, Record, Reject, Skipped, entity
from graphpivot.reference.service_match import WebServiceIndex, link_edge
from graphpivot.schema import NODES, RELS
from graphpivot.store.base import EdgeRows, GraphStore, NodeRows
from graphpivot.writebehind import BackgroundWriter

DEFAULT_BATCH = 5000  # records per batch when neither the caller nor a store says
MAX_REJECTS_KEPT = 1000
RAW_CUT = 300
# A batch is written once it holds batch_size items and the next record starts a new group
# (a Node after an Edge), so a loader's nodes stay in the batch of the edges that follow them
# and need no re-validation; MAX_PENDING caps a batch when a stream never starts a new group.
MAX_PENDING = 200_000
_NODE_PROPS = {label: frozenset(p.name for p in spec.props) for label, spec in NODES.items()}
_REL_PROPS = {rel: frozenset(p.name for p in spec.props) for rel, spec in RELS.items()}


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
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

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


class Ingestor:
    """Accumulates records and writes them in merged batches."""

    def __init__(
        self,
        store: GraphStore | None,
        source: str,
        *,
        batch_size: int | None = None,
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
        self.observed_at = observed_at if observed_at is not None else int(time.time())
        self.summary = LoadSummary(source=source, run_id=uuid.uuid4().hex[:12], dry_run=dry_run)
        self._rejects_out = rejects_out
        self._on_progress = on_progress
        self._nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._edges: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
        self._lines_by_file: dict[str, int] = {}
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
        self.summary.lines = sum(self._lines_by_file.values())
        if self.summary.skipped:
            skipped = ", ".join(f"{what} {n:,}" for what, n in sorted(self.summary.skipped.items()))
            self.summary.notes.append(f"skipped (not loaded): {skipped}")
        self.summary.seconds += time.perf_counter() - started
        return self.summary

    def add(self, record: Record) -> None:
        """Take one record; flushes when the batch is full and a new group of nodes begins."""
        if isinstance(record, Node):
            if len(self._nodes) + len(self._edges) >= self.batch_size and (self._after_edge or not self._edges):
                self.flush()
            self._after_edge = False
            self._add_node(record)
        elif isinstance(record, Edge):
            self._after_edge = True
            self._add_edge(record)
        elif isinstance(record, Reject):
            self._reject(record)
            return
        elif isinstance(record, Skipped):
            self.summary.skipped[record.what] += record.count
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
        if len(self._nodes) + len(self._edges) >= MAX_PENDING:
            self.flush()

    def _reject(self, reject: Reject) -> None:
        reject.raw = reject.raw[:RAW_CUT]
        self.summary.rejected += 1
        if len(self.summary.rejects) < MAX_REJECTS_KEPT:
            self.summary.rejects.append(reject)
        if self._rejects_out is not None:
            self._rejects_out.write(
                json.dumps({"file": reject.file, "line": reject.line, "reason": reject.reason, "raw": reject.raw})
                + "\n"
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
            if node.label == "Domain":
                self._link_parent(node.key, props)
            if self._services and node.label in ("Domain", "URL"):
                self._link_service(node.label, node.key, props)
        else:
            merge_into(pending, props, spec.props)
        if from_edge:
            return
        unknown = props.keys() - _NODE_PROPS[node.label]
        if unknown:
            raise ValueError(f"unknown {node.label} properties: {sorted(unknown)}")

    def _link_parent(self, name: str, props: dict[str, Any]) -> None:
        """``SUBDOMAIN_OF`` to the parent name, up to two-label names (``a.b.example.com`` -> ...)."""
        labels = name.split(".")
        if len(labels) <= 2:
            return
        try:
            parent = entity("Domain", ".".join(labels[1:])).key
        except InvalidValue:
            return  # e.g. 'v1.0.1': the parent '0.1' is no domain name, so the chain ends here
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
        for label, rows in by_label.items():
            self.summary.nodes[label] += len(rows)
        for (rel, _, _), rows in by_rel.items():
            self.summary.edges[rel] += len(rows)
        if self.summary.dry_run or not (by_label or by_rel):
            return
        store = self.store
        assert store is not None

        if self._writer is not None:
            self._writer.submit(lambda: store.write_batch(by_label, by_rel))
        else:
            store.write_batch(by_label, by_rel)

