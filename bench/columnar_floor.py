"""The parsing floor for #11: a bare columnar read of a Zeek dns.log TSV plus the two group-bys.

Reads the five needed columns and aggregates the QUERIED (host, name) and RESOLVES_TO (name, answer)
edge tables (min first_seen, max last_seen, count) with Polars, DuckDB and pyarrow, one thread each,
and prints CPU-seconds and lines per CPU-second, so the library choice rests on a measurement.

    python bench/columnar_floor.py bench/out/dns.log
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

COLUMNS = ["ts", "id.orig_h", "query", "answers"]


def _zeek_fields(path: Path) -> list[str]:
    """The `#fields` header of a Zeek TSV log."""
    with path.open() as handle:
        for line in handle:
            if line.startswith("#fields"):
                return line.rstrip("\n").split("\t")[1:]
    raise ValueError(f"{path}: no #fields header")


def run_polars(path: Path) -> tuple[int, int, int]:
    """Lines, QUERIED rows and RESOLVES_TO rows by Polars."""
    import polars as pl

    fields = _zeek_fields(path)
    frame = pl.read_csv(
        path, separator="\t", comment_prefix="#", has_header=False, quote_char=None,
        columns=[fields.index(c) for c in COLUMNS], infer_schema=False,
    )
    frame = frame.rename(dict(zip(frame.columns, COLUMNS, strict=True))).with_columns(pl.col("ts").cast(pl.Float64))
    queried = frame.group_by("id.orig_h", "query").agg(
        pl.col("ts").min().alias("first_seen"), pl.col("ts").max().alias("last_seen"), pl.len().alias("count")
    )
    answers = (
        frame.filter(pl.col("answers") != "-")
        .with_columns(pl.col("answers").str.split(","))
        .explode("answers")
        .group_by("query", "answers")
        .agg(pl.col("ts").min().alias("first_seen"), pl.col("ts").max().alias("last_seen"), pl.len().alias("count"))
    )
    return frame.height, queried.height, answers.height


def run_duckdb(path: Path) -> tuple[int, int, int]:
    """Lines, QUERIED rows and RESOLVES_TO rows by DuckDB."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    names = _zeek_fields(path)
    cols = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    con.execute(
        "CREATE TABLE d AS SELECT CAST(ts AS DOUBLE) ts, \"id.orig_h\" h, query q, answers a FROM read_csv("
        f"?, delim='\t', header=false, auto_detect=false, comment='#', quote='', escape='', columns={{{cols}}})",
        [str(path)],
    )
    lines = con.execute("SELECT count(*) FROM d").fetchone()
    queried = con.execute("SELECT count(*) FROM (SELECT h, q, min(ts), max(ts), count(*) FROM d GROUP BY h, q)")
    q_rows = queried.fetchone()
    resolves = con.execute(
        "SELECT count(*) FROM (SELECT q, x, min(ts), max(ts), count(*) FROM "
        "(SELECT q, ts, unnest(string_split(a, ',')) x FROM d WHERE a <> '-') GROUP BY q, x)"
    ).fetchone()
    assert lines and q_rows and resolves
    return int(lines[0]), int(q_rows[0]), int(resolves[0])


def run_pyarrow(path: Path) -> tuple[int, int, int]:
    """Lines, QUERIED rows and RESOLVES_TO rows by pyarrow CSV and compute."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    names = _zeek_fields(path)
    skip = sum(1 for line in path.open() if line.startswith("#") and not line.startswith("#close"))
    table = csv.read_csv(
        path,
        read_options=csv.ReadOptions(column_names=names, skip_rows=skip, use_threads=False),
        parse_options=csv.ParseOptions(delimiter="\t", quote_char=False, invalid_row_handler=lambda _: "skip"),
        convert_options=csv.ConvertOptions(include_columns=COLUMNS, column_types={"ts": pa.float64()}),
    )
    queried = table.group_by(["id.orig_h", "query"], use_threads=False).aggregate(
        [("ts", "min"), ("ts", "max"), ("ts", "count")]
    )
    answered = table.filter(pc.not_equal(table["answers"], "-"))
    split = pc.split_pattern(answered["answers"], ",")
    parents = pc.list_parent_indices(split)
    exploded = pa.table(
        {"query": pc.take(answered["query"], parents), "answer": pc.list_flatten(split),
         "ts": pc.take(answered["ts"], parents)}
    )
    resolves = exploded.group_by(["query", "answer"], use_threads=False).aggregate(
        [("ts", "min"), ("ts", "max"), ("ts", "count")]
    )
    return table.num_rows, queried.num_rows, resolves.num_rows


def _measure(name: str, run: Callable[[Path], tuple[int, int, int]], path: Path) -> None:
    """Print one library's figures."""
    cpu, wall = time.process_time(), time.perf_counter()
    lines, queried, resolves = run(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"| {name} | {lines:,} | {wall:.2f} | {cpu:.2f} | {lines / cpu:,.0f} | {queried:,} | {resolves:,} |",
        flush=True,
    )


def main() -> None:
    """Run every library on the file given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log", type=Path)
    args = parser.parse_args()
    print("| library | lines | wall s | CPU s | lines per CPU-s | QUERIED rows | RESOLVES_TO rows |")
    print("|---|---|---|---|---|---|---|")
    import duckdb  # noqa: F401 - imported before the clocks start
    import polars  # noqa: F401
    import pyarrow.compute  # noqa: F401

    for name, run in (("polars", run_polars), ("duckdb", run_duckdb), ("pyarrow", run_pyarrow)):
        _measure(name, run, args.log)


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    main()
