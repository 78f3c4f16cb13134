"""Zeek dns.log (TSV or JSON lines) read in blocks into Polars frames and mapped column-wise.

It gives the graph and the accounting of the per-line mapper (:meth:`ZeekMapper.dns`), held
equal by ``tests/integration/test_zeek_columnar.py``; only the windows the records come out in differ.

* Framing: a TSV block's lines go to Polars' CSV reader; a line it cannot take as it is
  (wrong number of fields, ``\\x`` escapes, the empty-container marker, a time or number that
  is not plain digits, a required field unset, a carriage return) goes through the per-line
  converter (:func:`tsv_line`), which gives its values or its reject. JSON lines are framed per
  line and gathered into the same typed frame.
* Mapping: query names, client addresses and DNS answers are canonicalised once per distinct
  value in the block, never per line; ``QUERIED``, ``RESOLVES_TO``, ``CNAME``, ``MX`` and
  ``NS`` edges are aggregated by group-by (min ``first_seen``, max ``last_seen``, summed
  ``count``, qtypes and rcodes united in order of appearance) and folded into the load's
  :class:`Observations`, which emits them (and their nodes) as for the per-line path.
* Accounting: each line is loaded (it states a fact), skipped with the first reason it gave,
  or rejected with file, line and reason. Memory is bounded by the block, not the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from graphpivot.loaders.telemetry.edges import (
    Telemetry,
    answer_value,
    infrastructure_name,
    is_infrastructure,
    line_reason,
)
from graphpivot.loaders.telemetry.network import is_peer_address
from graphpivot.loaders.telemetry.zeek_format import LogSpec, TsvHeader, json_rows, tsv_directive, tsv_line
from graphpivot.loaders.textio import read_lines

from graphpivot.model import Record, Reject, Skipped
from graphpivot.schema import EVENTS_KEPT

BLOCK_LINES = 100_000
_CHAINED = ["A", "AAAA", "CNAME", "ANY", "*"]  # answers are a CNAME chain, addresses for its last name
_NAMED = ["MX", "NS"]  # answers are names, each an MX/NS edge
_FAST_TIME = r"^[0-9]{1,11}(\.[0-9]+)?$"  # epoch seconds the CSV reader converts as Python would (years 1970-5138)
_FAST_INT = r"^[0-9]{1,15}$"  # within the converters' +-2**53
_EXTERNAL = "queries from external clients"
_NO_QUERY = "lines without a query name"
_NOTHING = "lines with nothing to model"
_ANSWER_WHY = {
    "none": "DNS answers that are not names or addresses",
    "ipx": "DNS answers pointing to loopback, multicast or unspecified addresses",
    "domx": "DNS answers naming single-label or .arpa names",
}
# The typed frame of a block: ``idx`` is the line's place in the block, the rest is SPECS["dns"] in order.
COLUMNS = ("ts", "orig", "query", "qtype_name", "qtype", "rcode", "answers", "uid", "community_id")
SCHEMA: dict[str, Any] = {
    "idx": pl.Int64,
    "ts": pl.Int64,
    "orig": pl.String,
    "query": pl.String,
    "qtype_name": pl.String,
    "qtype": pl.Int64,
    "rcode": pl.String,
    "answers": pl.List(pl.String),
    "uid": pl.String,
    "community_id": pl.String,
}


@dataclass
class Block:
    """Up to ``BLOCK_LINES`` data lines: their text and numbers, their typed frame, what framing said."""

    texts: list[str] = field(default_factory=list)
    linenos: list[int] = field(default_factory=list)
    frame: pl.DataFrame | None = None
    rejects: list[Reject] = field(default_factory=list)
    others: list[Record] = field(default_factory=list)  # progress, header and blank-line skips


def read_dns(
    path: Path, spec: LogSpec, fmt: str, tm: Telemetry, *, block_lines: int | None = None
) -> Iterator[Record]:
    """Every record of one dns.log, mapped a block (default :data:`BLOCK_LINES`) at a time; its accounting last."""
    name = str(path)
    block_lines = block_lines or BLOCK_LINES
    blocks = _json_blocks(path, spec, block_lines) if fmt == "json" else _tsv_blocks(path, spec, block_lines)
    for block in blocks:
        yield from block.others
        rejects = block.rejects
        if block.frame is not None and block.frame.height:
            rejects += map_block(block, name, tm)
        rejects.sort(key=lambda r: r.line or 0)
        yield from rejects
        if tm.obs.full:
            yield from tm.obs.flush()
    yield from tm.file_done(name)


# ------------------------------------------------------------------ framing


def _json_blocks(path: Path, spec: LogSpec, block_lines: int) -> Iterator[Block]:
    block, rows = Block(), []
    for item in json_rows(path, spec):
        if isinstance(item, tuple):
            lineno, values, text = item
            rows.append((len(block.texts), *values))
            block.texts.append(text)
            block.linenos.append(lineno)
            if len(rows) >= block_lines:
                block.frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
                yield block
                block, rows = Block(), []
        elif isinstance(item, Reject):
            block.rejects.append(item)
        else:
            block.others.append(item)
    block.frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    yield block


def _tsv_blocks(path: Path, spec: LogSpec, block_lines: int) -> Iterator[Block]:
    """Blocks of data lines under one header (a header line ends the block before it)."""
    name = str(path)
    head = TsvHeader()
    block = Block()
    for item in read_lines(path):
        if type(item) is not tuple:
            (block.rejects if isinstance(item, Reject) else block.others).append(item)  # type: ignore[arg-type]
            continue
        lineno, text = item
        if text.startswith("#"):
            if block.texts:
                block.frame = _tsv_frame(head, spec, name, block)
                yield block
                block = Block()
            problem = tsv_directive(head, text, spec)
            if problem:
                reason = problem + "; lines up to the next good #fields header skipped"
                block.rejects.append(Reject(name, lineno, reason, text))
            else:
                block.others.append(Skipped(name, "header lines"))
        elif not text.strip():
            block.others.append(Skipped(name, "blank lines"))
        elif head.pick is None:
            if head.fields is None:
                reason = "data line before any #fields header (not a Zeek TSV log?)"
                block.rejects.append(Reject(name, lineno, reason, text))
            else:
                block.others.append(Skipped(name, "lines under a #fields/#types header that cannot be used"))
        else:
            block.texts.append(text)
            block.linenos.append(lineno)
            if len(block.texts) >= block_lines:
                block.frame = _tsv_frame(head, spec, name, block)
                yield block
                block = Block()
    block.frame = _tsv_frame(head, spec, name, block) if block.texts else None
    yield block


def _tsv_frame(head: TsvHeader, spec: LogSpec, name: str, block: Block) -> pl.DataFrame:
    """The block's typed frame: plain lines through the CSV reader, the others through :func:`tsv_line`."""
    assert head.fields is not None
    texts, sep = block.texts, head.separator
    slow: list[int] = []
    frames = []
    if len(sep.encode()) == 1 and sep not in "\r\n":
        want = len(head.fields) - 1
        fast = [i for i, text in enumerate(texts) if text.count(sep) == want and "\r" not in text]
        if len(fast) < len(texts):
            chosen = set(fast)
            slow = [i for i in range(len(texts)) if i not in chosen]
        if fast:
            typed, odd = _csv_frame(head, spec, [texts[i] for i in fast], fast)
            frames.append(typed)
            slow += odd
    else:
        slow = list(range(len(texts)))
    rows = []
    for i in sorted(slow):
        found = tsv_line(head, spec, name, block.linenos[i], texts[i])
        if isinstance(found, Reject):
            block.rejects.append(found)
        else:
            rows.append((i, *found[1]))
    if rows or not frames:
        frames.append(pl.DataFrame(rows, schema=SCHEMA, orient="row"))
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _csv_frame(head: TsvHeader, spec: LogSpec, lines: list[str], idx: list[int]) -> tuple[pl.DataFrame, list[int]]:
    """Typed rows of the lines the CSV reader converts as :func:`tsv_line` would, and the places of the others."""
    assert head.fields is not None
    positions = {f: head.fields.index(f) for f in spec.names if f in head.fields}
    raw = pl.read_csv(
        "\n".join(lines).encode(),
        separator=head.separator,
        has_header=False,
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        columns=sorted(set(positions.values())),
    )
    if raw.height != len(lines):  # never seen; if the reader and the line split ever disagree, trust the latter
        return pl.DataFrame(schema=SCHEMA), idx
    unset, empty = head.unset, head.empty
    named = [
        pl.col(f"column_{positions[f]}").alias(c) if f in positions else pl.lit(None, pl.String).alias(c)
        for f, c in zip(spec.names, COLUMNS, strict=True)
    ]
    raw = raw.select(pl.Series("idx", idx, pl.Int64), *named)
    odd = ~pl.col("ts").str.contains(_FAST_TIME) | (pl.col("orig") == unset)
    odd |= (pl.col("qtype") != unset) & ~pl.col("qtype").str.contains(_FAST_INT)
    for c in ("orig", "query", "qtype_name", "rcode", "answers", "uid", "community_id"):
        odd |= pl.col(c).str.contains("\\x", literal=True) | (pl.col(c) == empty)
    raw = raw.with_columns(odd.fill_null(False).alias("odd"))
    slow = raw.filter(pl.col("odd"))["idx"].to_list()

    def value(c: str) -> pl.Expr:
        return pl.when(pl.col(c) != unset).then(pl.col(c))

    typed = raw.filter(~pl.col("odd")).select(
        "idx",
        pl.col("ts").cast(pl.Float64).floor().cast(pl.Int64),
        "orig",
        value("query"),
        value("qtype_name"),
        value("qtype").cast(pl.Int64),
        value("rcode"),
        value("answers").str.split(head.set_separator),
        value("uid"),
        value("community_id"),
    )
    return typed, slow


# ------------------------------------------------------------------ mapping


def _lookup(column: str, table: dict[str, Any], dtype: Any) -> pl.Expr:
    """``column`` mapped through ``table`` (values not in it: null)."""
    return pl.col(column).replace_strict(list(table), list(table.values()), default=None, return_dtype=dtype)


def _classify(text: str) -> tuple[str, str | None]:
    """A DNS answer's class (``ip``, ``ipx``, ``dom``, ``domx``, ``none``) and canonical value."""
    found = answer_value(text)
    if found is None:
        return "none", None
    label, value = found
    if label == "IP":
        return ("ip" if is_peer_address(value) else "ipx"), value
    return ("dom" if is_infrastructure(value) else "domx"), value


def map_block(block: Block, name: str, tm: Telemetry) -> list[Reject]:
    """Fold a block's facts into ``tm.obs``, count its lines in ``tm``; the rejects of its lines."""
    frame = block.frame
    assert frame is not None
    names: dict[str, str] = {}
    name_skip: dict[str, str] = {}
    bad: dict[str, str] = {}
    for query in frame["query"].drop_nulls().unique().to_list():
        try:
            canonical, why = infrastructure_name(query)
        except Exception as exc:  # any failure is the reject of the lines that name it
            bad[query] = line_reason(exc)
            continue
        if canonical is None:
            name_skip[query] = why  # type: ignore[assignment]
        else:
            names[query] = canonical
    hosts: dict[str, str | None] = {}
    host_bad: dict[str, str] = {}
    for orig in frame["orig"].unique().to_list():
        try:
            hosts[orig] = tm.host(orig)
        except Exception as exc:  # as above
            host_bad[orig] = line_reason(exc)
    # A line without a query is skipped; then a bad name rejects it, a skipped name skips it; then a bad client.
    no_query = pl.col("query").is_null() | (pl.col("query") == "")
    name_skip_of = _lookup("query", name_skip, pl.String)
    frame = frame.with_columns(
        _lookup("query", names, pl.String).alias("name"),
        pl.when(no_query).then(pl.lit(_NO_QUERY)).otherwise(name_skip_of).alias("skip"),
        pl.when(no_query)
        .then(None)
        .otherwise(
            pl.coalesce(_lookup("query", bad, pl.String), pl.when(name_skip_of.is_null()).then(
                _lookup("orig", host_bad, pl.String)))
        )
        .alias("bad"),
        _lookup("orig", {k: v for k, v in hosts.items() if v is not None}, pl.String).alias("host"),
    )
    rejects = [
        Reject(name, block.linenos[i], why, block.texts[i])
        for i, why in frame.filter(pl.col("bad").is_not_null()).select("idx", "bad").iter_rows()
    ]
    lines_skipped: Counter[str] = Counter(frame.filter(pl.col("skip").is_not_null())["skip"].to_list())
    ok = frame.filter(pl.col("bad").is_null() & pl.col("skip").is_null()).with_columns(
        pl.when(pl.col("qtype_name").is_not_null() & (pl.col("qtype_name") != ""))
        .then(pl.col("qtype_name"))
        .otherwise(pl.lit("TYPE") + pl.col("qtype").cast(pl.String))
        .alias("qtn")
    )
    facts = [_queried(ok, tm)]
    external = ok.filter(pl.col("host").is_null())
    reasons = [external.select("idx", pl.lit(-1, pl.Int64).alias("pos"), pl.lit(_EXTERNAL).alias("why"))]
    _answers(ok, tm, facts, reasons)
    _count(ok, facts, reasons, lines_skipped, tm)
    return rejects


def _queried(ok: pl.DataFrame, tm: Telemetry) -> pl.DataFrame:
    """Fold the ``QUERIED`` edges; the places of the lines that stated one."""
    asked = ok.filter(pl.col("host").is_not_null())
    edges = asked.group_by("host", "name", maintain_order=True).agg(
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
        pl.len().alias("count"),
        pl.col("qtn").drop_nulls().unique(maintain_order=True).alias("qtypes"),
        pl.col("rcode").drop_nulls().unique(maintain_order=True).alias("rcodes"),
        _sampled("uid"),
        _sampled("community_id"),
    )
    edge = tm.obs.edge_span
    for host, domain, first, last, count, qtypes, rcodes, uids, community_ids in edges.iter_rows():
        edge("QUERIED", "Host", host, "Domain", domain, first, last, count, qtypes=qtypes or None,
             rcodes=rcodes or None, events=(uids + community_ids) or None)
    return asked.select("idx")


def _sampled(column: str) -> pl.Expr:
    """A group's smallest ``column`` values, as many as an edge keeps (the rest would be dropped by the fold)."""
    return pl.col(column).filter(pl.col(column).str.len_chars().is_between(1, 256)).unique().sort().head(EVENTS_KEPT)


def _answers(ok: pl.DataFrame, tm: Telemetry, facts: list[pl.DataFrame], reasons: list[pl.DataFrame]) -> None:
    """Fold the answer edges of NOERROR responses: CNAME chains with their addresses, MX and NS names."""
    answered = ok.filter(
        pl.col("answers").list.len().fill_null(0) > 0,
        pl.col("rcode").is_null() | (pl.col("rcode") == "NOERROR"),
        pl.col("qtn").is_in(_CHAINED + _NAMED),
    ).select("idx", "name", "qtn", "ts", "answers", pl.int_ranges(0, pl.col("answers").list.len()).alias("pos"))
    if not answered.height:
        return
    each = answered.explode("answers", "pos")
    classes: dict[str, str] = {}
    values: dict[str, str] = {}
    for text in each["answers"].unique().to_list():
        cls, value = _classify(text)
        classes[text] = cls
        if value is not None:
            values[text] = value
    each = each.with_columns(
        _lookup("answers", classes, pl.String).alias("cls"), _lookup("answers", values, pl.String).alias("value")
    )
    chained = each.filter(pl.col("qtn").is_in(_CHAINED))
    # The owner of an answer is the last chain name before it in its line, else the query name.
    prev = pl.when(pl.col("cls").shift(1) == "dom").then(pl.col("value").shift(1))
    chained = chained.with_columns(
        pl.when(pl.col("pos") == 0).then(pl.col("name")).otherwise(prev).forward_fill().alias("owner")
    )
    chain_edges = chained.filter(
        (pl.col("cls") == "ip") | (pl.col("cls") == "dom") & (pl.col("value") != pl.col("owner"))
    ).select("idx", "ts", pl.when(pl.col("cls") == "ip").then(pl.lit("RESOLVES_TO")).otherwise(pl.lit("CNAME"))
             .alias("rel"), pl.col("owner").alias("src"), pl.col("value").alias("dst"))
    named = each.filter(pl.col("qtn").is_in(_NAMED))
    name_edges = named.filter(pl.col("cls") == "dom").select(
        "idx", "ts", pl.col("qtn").alias("rel"), pl.col("name").alias("src"), pl.col("value").alias("dst")
    )
    found = pl.concat([chain_edges, name_edges])
    edges = found.group_by("rel", "src", "dst", maintain_order=True).agg(
        pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"), pl.len().alias("count")
    )
    edge = tm.obs.edge_span
    for rel, src, dst, first, last, count in edges.iter_rows():
        edge(rel, "Domain", src, "IP" if rel == "RESOLVES_TO" else "Domain", dst, first, last, count)
    facts.append(found.select("idx"))
    why = pl.col("cls").replace_strict(_ANSWER_WHY, default=None, return_dtype=pl.String)
    reasons.append(chained.filter(pl.col("cls").is_in(list(_ANSWER_WHY))).select("idx", "pos", why.alias("why")))
    domx, other = pl.lit(_ANSWER_WHY["domx"]), pl.lit(_ANSWER_WHY["none"])
    named_why = pl.when(pl.col("cls") == "domx").then(domx).otherwise(other)
    reasons.append(named.filter(pl.col("cls") != "dom").select("idx", "pos", named_why.alias("why")))


def _count(
    ok: pl.DataFrame,
    facts: list[pl.DataFrame],
    reasons: list[pl.DataFrame],
    lines_skipped: Counter[str],
    tm: Telemetry,
) -> None:
    """A line that stated a fact is loaded; one that stated none is skipped with the first reason it gave."""
    stated = pl.concat(facts).unique("idx")
    why = pl.concat(reasons)
    idle = ok.select("idx").join(stated, on="idx", how="anti")
    first = why.join(idle, on="idx", how="semi").sort("idx", "pos").group_by("idx").first()
    parts = Counter(why["why"].to_list())
    firsts = Counter(first["why"].to_list())
    lines_skipped.update(firsts)
    silent = idle.height - first.height
    if silent:
        lines_skipped[_NOTHING] += silent
    parts.subtract(firsts)
    tm.count_lines(ok.height - idle.height, lines_skipped, +parts)
