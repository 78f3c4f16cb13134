"""Streaming: the memory a load needs does not grow with the length of the file.

The columnar dns.log reader holds one block of lines: blocks of 1000 here, so both files span several.
"""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest
from graphpivot.loaders.telemetry import zeek_columnar
from graphpivot.loaders.telemetry.network import Network
from graphpivot.loaders.telemetry.zeek import read_zeek

from graphpivot.ingest import Ingestor

HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#fields\tts\tid.orig_h\tquery\tqtype_name\trcode_name\tanswers\n#types\ttime\taddr\tstring\tstring\tstring\t"
    "vector[string]\n"
)


def write_dns_log(path: Path, lines: int) -> None:
    """A dns.log over a fixed vocabulary (40 hosts, 400 names with one address each), ``lines`` long."""
    rng = random.Random(5)
    names = [(f"n{i}.site{i % 70}.example", f"198.51.100.{i % 250}") for i in range(400)]
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(lines):
            name, answer = rng.choice(names)
            handle.write(f"{1_700_000_000 + i}.5\t10.0.0.{rng.randint(1, 40)}\t{name}\tA\tNOERROR\t{answer}\n")


def peak_bytes(path: Path, columnar: bool) -> int:
    tracemalloc.start()
    try:
        records = read_zeek([path], network=Network(), max_pending=500, columnar=columnar)
        Ingestor(None, "zeek", dry_run=True, batch_size=1000).run(records)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("columnar", [True, False])
def test_peak_memory_is_flat_in_file_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columnar: bool) -> None:
    monkeypatch.setattr(zeek_columnar, "BLOCK_LINES", 1000)
    short, long = tmp_path / "short.log", tmp_path / "long.log"
    write_dns_log(short, 2_000)
    write_dns_log(long, 12_000)
    peak_bytes(short, columnar)  # warm the per-process caches (canonical forms) so both runs see the same state
    small, large = peak_bytes(short, columnar), peak_bytes(long, columnar)
    assert large < small * 1.2, (small, large)
