"""Read a log file line by line: plain or gzip (told by content, not name), numbered, with clear errors.

Telemetry loaders iterate :func:`read_lines` and pass on what is not a line:
:class:`~graphpivot.model.Reject` records for unreadable lines or an unreadable
rest of file (truncated or corrupt gzip, binary data), and
:class:`~graphpivot.model.Progress` heartbeats. Nothing is raised for bad input.
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

from graphpivot.model import Progress, Reject, Skipped

GZIP_MAGIC = b"\x1f\x8b"
PROGRESS_EVERY = 50_000
# Consecutive unreadable lines after which a file is taken to be binary and abandoned.
MAX_JUNK_RUN = 100
# Longer lines are rejected (a binary file without newlines must not be read into memory whole).
MAX_LINE_BYTES = 1 << 20

Line = tuple[int, str]


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it starts with the gzip magic number."""
    raw = path.open("rb")
    if raw.peek(2)[:2] != GZIP_MAGIC:
        return raw
    raw.close()
    return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile is an IO[bytes]


def read_lines(path: Path, *, progress_every: int = PROGRESS_EVERY) -> Iterator[Line | Reject | Progress]:
    """Yield ``(line number, text without newline)`` for every readable line.

    A line with NUL bytes or invalid UTF-8, or longer than :data:`MAX_LINE_BYTES`,
    becomes a :class:`Reject` and reading goes on; a run of :data:`MAX_JUNK_RUN`
    of them, or a gzip stream that is cut short or corrupt, ends the file with
    one :class:`Reject` saying so. A :class:`Progress` comes every
    ``progress_every`` lines and at the end.
    """
    name = str(path)
    lineno = 0
    junk_run = 0
    try:
        with open_bytes(path) as handle:
            for lineno, raw in enumerate(iter(partial(handle.readline, MAX_LINE_BYTES), b""), start=1):
                if lineno % progress_every == 0:
                    yield Progress(name, lineno)
                text = _text(raw)
                if text is not None:
                    junk_run = 0
                    yield lineno, text.rstrip("\r\n")
                    continue
                junk_run += 1
                yield Reject(name, lineno, _unreadable(raw, handle), _printable(raw))
                if junk_run >= MAX_JUNK_RUN:
                    yield Reject(
                        name, lineno, f"{MAX_JUNK_RUN} unreadable lines in a row: not a text log, stopped", units=0
                    )
                    break
    except EOFError:
        yield Reject(
            name, lineno + 1, f"truncated gzip: data ends inside line {lineno + 1}; lines before it loaded", units=0
        )
    except (gzip.BadGzipFile, zlib.error) as exc:
        yield Reject(name, lineno + 1, f"corrupt gzip data after line {lineno}: {exc}", units=0)
    except OSError as exc:
        yield Reject(name, None if lineno == 0 else lineno + 1, f"cannot read file: {exc.strerror or exc}", units=0)
    yield Progress(name, lineno)


def content_lines(path: Path, *, progress_every: int = PROGRESS_EVERY) -> Iterator[Line | Reject | Progress | Skipped]:
    """:func:`read_lines` with blank lines counted as skipped instead of handed on."""
    name = str(path)
    for item in read_lines(path, progress_every=progress_every):
        if isinstance(item, tuple) and not item[1].strip():
            yield Skipped(name, "blank lines")
        else:
            yield item


def _text(raw: bytes) -> str | None:
    """The line as text, or ``None`` when it is not usable text."""
    if b"\x00" in raw or (len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n")):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _unreadable(raw: bytes, handle: IO[bytes]) -> str:
    """Why a raw line is not usable text (skipping the rest of an overlong line)."""
    if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
        while True:  # skip the rest of the overlong line
            chunk = handle.readline(MAX_LINE_BYTES)
            if not chunk or chunk.endswith(b"\n"):
                break
        return f"line longer than {MAX_LINE_BYTES} bytes"
    if b"\x00" in raw:
        return "binary data (NUL bytes), not a text line"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"binary data (invalid UTF-8 at byte {exc.start}), not a text line"
    return "unreadable line"


def _printable(raw: bytes) -> str:
    """A safe rendering of a junk line for the rejects report."""
    return raw[:200].decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


# ------------------------------------------------------------------ JSON with limits

# JSON nested deeper than this is rejected (Python's own limit would raise RecursionError).
MAX_JSON_DEPTH = 64


class JsonProblem(ValueError):
    """Text that is not acceptable JSON: the message is the reason."""


def loads_limited(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` and non-finite numbers.

    Raises :class:`JsonProblem` (a ``ValueError``) with the reason. The depth walk
    only runs when the text holds enough brackets to be that deep.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise JsonProblem(f"JSON nested deeper than {max_depth} levels") from None
    except JsonProblem:
        raise
    except ValueError as exc:
        raise JsonProblem(f"invalid JSON: {exc}") from None
    if text.count("{") + text.count("[") > max_depth and json_depth(value) > max_depth:
        raise JsonProblem(f"JSON nested deeper than {max_depth} levels")
    return value


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise JsonProblem(f"invalid JSON: number out of range {text[:40]}")
    return number


def _no_constant(name: str) -> Any:
    raise JsonProblem(f"invalid JSON: non-finite number {name}")


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items: Iterable[Any] = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in items if isinstance(child, dict | list))
    return deepest
