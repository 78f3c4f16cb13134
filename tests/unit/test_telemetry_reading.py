"""Reading log files: plain or gzip by content, numbered lines, clear rejects; Zeek TSV/JSON framing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from graphpivot.loaders.telemetry.zeek_format import Kind, LogSpec, rows, sniff, unescape
from graphpivot.loaders.textio import MAX_JUNK_RUN, read_lines

from graphpivot.model import Progress, Reject

SPEC = LogSpec(
    "dns",
    (
        ("ts", Kind.TIME),
        ("id.orig_h", Kind.STR),
        ("query", Kind.STR),
        ("qtype", Kind.INT),
        ("answers", Kind.STR_LIST),
        ("AA", Kind.BOOL),
        ("missing_field", Kind.STR),
    ),
    frozenset({"ts", "id.orig_h"}),
)
TSV_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#fields\tts\tid.orig_h\tquery\tqtype\tanswers\tAA\n#types\ttime\taddr\tstring\tcount\tvector[string]\tbool\n"
)


def split(items: list[object]) -> tuple[list[tuple[int, str]], list[Reject], list[Progress]]:
    lines = [i for i in items if isinstance(i, tuple)]
    return lines, [i for i in items if isinstance(i, Reject)], [i for i in items if isinstance(i, Progress)]


def test_plain_and_gzip_are_told_by_content(tmp_path: Path) -> None:
    text = "one\ntwo\r\n\nthree"
    plain = tmp_path / "a.log.gz"  # a misleading name: the content decides
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "b.log"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        lines, rejects, progress = split(list(read_lines(path)))
        assert lines == [(1, "one"), (2, "two"), (3, ""), (4, "three")]
        assert rejects == [] and progress == [Progress(str(path), 4)]


def test_truncated_and_corrupt_gzip_end_with_one_reject(tmp_path: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(5000)).encode()
    packed = gzip.compress(body)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    lines, rejects, _ = split(list(read_lines(cut)))
    assert lines and lines == [(i + 1, f"line {i}") for i in range(len(lines))]
    assert len(rejects) == 1 and rejects[0].line == len(lines) + 1
    assert rejects[0].reason.startswith("truncated gzip")
    broken = tmp_path / "broken.gz"
    broken.write_bytes(packed[:20] + b"\xff" * 200 + packed[220:])
    _, rejects, _ = split(list(read_lines(broken)))
    assert len(rejects) == 1 and "gzip" in rejects[0].reason


def test_binary_lines_are_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"good 1\nbad \x00 nul\nbad \xff\xfe utf8\ngood 2\n")
    lines, rejects, _ = split(list(read_lines(path)))
    assert lines == [(1, "good 1"), (4, "good 2")]
    assert [(r.line, "NUL" in r.reason, "UTF-8" in r.reason) for r in rejects] == [(2, True, False), (3, False, True)]
    assert rejects[0].raw == "bad \\x00 nul\n"


def test_a_binary_file_stops_after_a_run_of_junk(tmp_path: Path) -> None:
    path = tmp_path / "image.log"
    path.write_bytes(b"\x00junk\n" * (MAX_JUNK_RUN * 3))
    _, rejects, progress = split(list(read_lines(path)))
    assert len(rejects) == MAX_JUNK_RUN + 1 and "not a text log" in rejects[-1].reason
    assert progress[-1].lines == MAX_JUNK_RUN


def test_overlong_line_is_rejected_without_reading_it_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("graphpivot.loaders.textio.MAX_LINE_BYTES", 64)
    path = tmp_path / "long.log"
    path.write_text("short\n" + "x" * 500 + "\nafter\n", encoding="utf-8")
    lines, rejects, _ = split(list(read_lines(path)))
    assert lines == [(1, "short"), (3, "after")]
    assert [(r.line, "longer than 64" in r.reason) for r in rejects] == [(2, True)]


def test_progress_heartbeats(tmp_path: Path) -> None:
    path = tmp_path / "many.log"
    path.write_text("x\n" * 25, encoding="utf-8")
    _, _, progress = split(list(read_lines(path, progress_every=10)))
    assert [p.lines for p in progress] == [10, 20, 25]


def test_unescape_gives_back_bytes_and_utf8() -> None:
    assert unescape("a\\x09b\\x2cc") == "a\tb,c"
    assert unescape("caf\\xc3\\xa9") == "café"
    assert unescape("O=Example\\, Inc.") == "O=Example\\, Inc."


def test_tsv_and_json_rows_are_the_same_values(tmp_path: Path) -> None:
    tsv = tmp_path / "dns.log"
    tsv.write_text(
        TSV_HEADER + "1700000000.250000\t10.0.0.5\tex\\x09ample.com\t1\ta.example.com,1.2.3.4\tT\n"
        "1700000001.000000\t10.0.0.5\t-\t-\t(empty)\tF\n#close\tx\n",
        encoding="utf-8",
    )
    js = tmp_path / "dns.json"
    js.write_text(
        json.dumps(
            {
                "ts": 1700000000.25,
                "id.orig_h": "10.0.0.5",
                "query": "ex\tample.com",
                "qtype": 1,
                "answers": ["a.example.com", "1.2.3.4"],
                "AA": True,
            }
        )
        + "\n"
        + json.dumps({"ts": "2023-11-14T22:13:21Z", "id": {"orig_h": "10.0.0.5"}, "answers": [], "AA": False})
        + "\n",
        encoding="utf-8",
    )
    from_tsv = [r[1] for r in rows(tsv, SPEC, "tsv") if isinstance(r, tuple)]
    from_json = [r[1] for r in rows(js, SPEC, "json") if isinstance(r, tuple)]
    assert (
        from_tsv
        == from_json
        == [
            (1700000000, "10.0.0.5", "ex\tample.com", 1, ["a.example.com", "1.2.3.4"], True, None),
            (1700000001, "10.0.0.5", None, None, [], False, None),
        ]
    )


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("1700000000.0\t10.0.0.5\tx.com\n", 8, "expected 6 fields"),
        ("1700000000.0\t10.0.0.5\tx.com\tone\t-\tT\n", 8, "field 'qtype' should be int"),
        ("1700000000.0\t10.0.0.5\tx.com\t1\t-\tyes\n", 8, "field 'AA' should be bool"),
        ("1700000000.0\t-\tx.com\t1\t-\tT\n", 8, "dns line lacks 'id.orig_h'"),
    ],
)
def test_bad_tsv_lines_are_rejected_with_reasons(tmp_path: Path, body: str, line: int, reason: str) -> None:
    path = tmp_path / "dns.log"
    path.write_text(TSV_HEADER + body + "1700000000.0\t10.0.0.6\tok.com\t1\t-\tT\n", encoding="utf-8")
    items = list(rows(path, SPEC, "tsv"))
    rejects = [r for r in items if isinstance(r, Reject)]
    assert [(r.line, r.reason[: len(reason)]) for r in rejects] == [(line, reason)]
    assert [r[1][2] for r in items if isinstance(r, tuple)] == ["ok.com"]


def test_wrong_headers_skip_until_a_good_one(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    good = TSV_HEADER.split("#fields")[1]
    path.write_text(
        "#fields\tts\tquery\n1700000000.0\tlost.com\n"  # lacks a required field
        "#fields" + good + "1700000000.0\t10.0.0.5\tkept.com\t1\t-\tT\n"
        "#fields\tts\tid.orig_h\n#types\ttime\n1.0\t10.0.0.9\n",  # #types do not match #fields
        encoding="utf-8",
    )
    items = list(rows(path, SPEC, "tsv"))
    assert [r.reason.split(";")[0] for r in items if isinstance(r, Reject)] == [
        "dns log header lacks field(s) id.orig_h",
        "#types lists 1 types for 2 #fields",
    ]
    assert [r[1][2] for r in items if isinstance(r, tuple)] == ["kept.com"]


def test_json_problems_are_rejected_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(
        '{"ts": 1.0, "id.orig_h": "10.0.0.1", "query": "a.com"}\n'
        '{"ts": 1.0, "id.orig_h": "10.0.0.1", "query": 5}\n'
        '["not", "an", "object"]\n'
        '{"ts": "someday", "id.orig_h": "10.0.0.1"}\n'
        '{"ts": 1.0, "id.orig_h": "10.0.0.1", "query": "b.com"\n'
        '{"id.orig_h": "10.0.0.1"}\n',
        encoding="utf-8",
    )
    items = list(rows(path, SPEC, "json"))
    assert [(r.line, r.reason[:18]) for r in items if isinstance(r, Reject)] == [
        (2, "field 'query' shou"),
        (3, "expected a JSON ob"),
        (4, "field 'ts': not a "),
        (5, "invalid JSON: Expe"),
        (6, "dns record lacks '"),
    ]


def test_sniff_by_path_header_file_name_or_fields(tmp_path: Path) -> None:
    marks = {"dns": frozenset({"query"}), "conn": frozenset({"conn_state"})}
    cases = {
        "weird-name.log": (TSV_HEADER, ("dns", "tsv")),
        "conn.2024-05-01.log": ('{"ts": 1.0}\n', ("conn", "json")),
        "anything.json": ('{"ts": 1.0, "conn_state": "SF"}\n', ("conn", "json")),
        "tagged.json": ('{"_path": "ssl", "ts": 1.0}\n', ("ssl", "json")),
        "blank.log": ("\n\n", (None, "empty")),
        "words.log": ("hello world\n", (None, None)),
    }
    for name, (body, expected) in cases.items():
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        found = sniff(path, marks)
        assert (found.kind, found.fmt) == expected, name
    junk = tmp_path / "junk.log"
    junk.write_bytes(b"\x00\x01\x02\n" * 3)
    found = sniff(junk, marks)
    assert found.fmt is None and found.problem is not None and "NUL" in found.problem.reason
