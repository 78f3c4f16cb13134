"""Warninglists: the packaged table, the index (names by exact and registered-domain suffix, addresses by
sorted segments) against a brute-force reading, and a user's override table."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest
from graphpivot.loaders.reference.warninglists import TableRow, merged_table, network_span

from graphpivot.reference import warninglists as wl
from graphpivot.reference.warninglists import _Segments, build_index


def test_packaged_table_reads_cleanly_and_maps_every_meaning() -> None:
    rows, rejects = merged_table(wl.packaged_table(), None)
    assert rejects == []
    meanings = {r.meaning for r in rows}
    assert {"benign-popular", "abusable-service", "provider-hub", "suspicious-context", "off"} <= meanings
    assert all(r.source for r in rows)


def test_index_matches_names_as_misp_hostname_lists_do() -> None:
    index = wl.configured_index()
    names, meanings = index.describe(index.domain("j.maxmind.com"))
    assert "tranco10k" in names and meanings == ["benign-popular"]
    assert "whats-my-ip" in index.describe(index.domain("api.ipify.org"))[0]
    # A customer name under a hosting suffix is its own site: the suffix's popularity does not reach it.
    assert "benign-popular" not in index.describe(index.domain("abc.herokuapp.com"))[1]
    assert index.describe(index.domain("hnhmrkw.myftp.biz"))[1] == ["suspicious-context"]
    assert index.describe(index.domain("wensa.at")) == ([], [])
    assert "public-dns-v4" in index.describe(index.address("8.8.8.8"))[0]
    assert "cloudflare" in index.describe(index.address("104.16.1.1"))[0]
    assert index.describe(index.address("10.1.2.3")) == ([], [])


def test_segments_agree_with_brute_force() -> None:
    rnd = random.Random(3)
    spans = []
    for ident in range(200):
        prefix = rnd.randint(8, 32)
        base = rnd.getrandbits(32)
        _version, first, last = network_span(f"{ipaddress.IPv4Address(base)}/{prefix}")
        spans.append((first, last, ident % 7))
    seg = _Segments.build(spans)
    for _ in range(3000):
        probe = rnd.choice([rnd.getrandbits(32), rnd.choice(spans)[0], rnd.choice(spans)[1]])
        expected = frozenset(i for first, last, i in spans if first <= probe <= last)
        assert seg.lookup(probe) == expected


def test_override_table_adds_and_takes_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = tmp_path / "mine.csv"
    local.write_text(
        "kind,value,meaning,source\n"
        "domain,files.partner.example,benign-popular,local: partner share\n"
        "domain,maxmind.com,off,local: we want to see it\n"
        "cidr,203.0.113.0/24,provider-hub,local: our CDN\n"
        "list,tranco10k,off,local: not this one\n",
        encoding="utf-8",
    )
    rows, rejects = merged_table(wl.packaged_table(), local)
    assert not rejects
    index = build_index([r for r in rows if r.kind != "list" or r.value in ("tranco10k", "google")])
    assert index.describe(index.domain("a.files.partner.example")) == (["local"], ["benign-popular"])
    assert index.describe(index.domain("j.maxmind.com")) == ([], [])
    assert index.describe(index.address("203.0.113.9")) == (["local"], ["provider-hub"])
    assert "tranco10k" not in index.names
    packaged_version = wl.configured_version()
    monkeypatch.setenv(wl.LISTS_FILE_ENV, str(local))
    assert wl.configured_version() != packaged_version  # so every command re-applies the edited table
    assert TableRow("list", "tranco10k", "off", "local: not this one") in rows
