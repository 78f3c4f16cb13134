"""Zeek log framing: the TSV format (``#fields``/``#types`` headers) and JSON lines, to typed rows.

A mapper asks for named fields with a :class:`Kind` each; both formats yield the
same tuple of Python values for a line (``None`` for unset fields, lists for
containers, integer epoch seconds for times), so one mapper serves both and the two forms
of one log give the same graph. Header problems, lines with the wrong number of
fields, bad JSON and values of the wrong type become rejects with a reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from operator import itemgetter
from pathlib import Path
from typing import Any

from graphpivot.loaders.textio import content_lines, loads_limited, read_lines

from graphpivot.canonical import InvalidValue
from graphpivot.model import Progress, Reject, Skipped
from graphpivot.times import epoch_seconds

# Integers beyond this are rejected (byte counts and ports that no engine could sum safely).
MAX_INT = 1 << 53


class Kind(Enum):
    """Field types as mappers want them."""

    TIME = "time"  # epoch seconds (int, see graphpivot.times); JSON may also give ISO 8601 text
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"
    STR_LIST = "str_list"


@dataclass(frozen=True)
class LogSpec:
    """The fields one mapper reads, in order; ``required`` ones must be in the header / record."""

    kind: str
    fields: tuple[tuple[str, Kind], ...]
    required: frozenset[str]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


Row = tuple[int, tuple[Any, ...], str]
Item = Row | Reject | Progress | Skipped
_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


def unescape(text: str) -> str:
    """Undo Zeek's ``\\xNN`` byte escapes (multi-byte UTF-8 comes out whole)."""
    if "\\x" not in text:
        return text
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "backslashreplace")


# ------------------------------------------------------------------ sniffing


@dataclass(frozen=True)
class Sniffed:
    """What the start of a file says: its log kind and format, or why it cannot be read."""

    kind: str | None = None
    fmt: str | None = None  # "tsv", "json", "empty"; None when not a Zeek log
    problem: Reject | None = None  # the first unreadable line when no text line came first


def sniff(path: Path, kinds: dict[str, frozenset[str]]) -> Sniffed:
    """The log kind and format from the header or first record.

    ``kinds`` maps each kind to fields that identify it when neither ``#path``,
    ``_path`` nor the file name says.
    """
    problem: Reject | None = None
    text_seen = False
    for item in read_lines(path, progress_every=1 << 62):
        if isinstance(item, Reject):
            problem = problem or item
            continue
        if not isinstance(item, tuple):
            continue
        lineno, text = item
        if not text.strip():
            continue
        text_seen = True
        if text.startswith("#"):
            directive, _, value = text.partition("\t")
            if directive == "#path":
                return Sniffed(value.strip(), "tsv")
            if directive == "#fields":
                return Sniffed(_by_name(path, kinds) or _by_fields(value.split("\t"), kinds), "tsv")
            if lineno > 20:
                break
            continue
        if text.lstrip().startswith("{"):
            try:
                record = loads_limited(text)
            except ValueError:
                return Sniffed(_by_name(path, kinds), "json")
            if isinstance(record, dict):
                path_field = record.get("_path")
                if isinstance(path_field, str):
                    return Sniffed(path_field, "json")
                return Sniffed(_by_name(path, kinds) or _by_fields(_flat_keys(record), kinds), "json")
        break
    if text_seen:
        return Sniffed()
    return Sniffed(fmt=None if problem else "empty", problem=problem)


def _by_name(path: Path, kinds: dict[str, frozenset[str]]) -> str | None:
    stem = path.name.split(".", 1)[0].lower()
    return stem if stem in kinds else None


def _by_fields(fields: list[str], kinds: dict[str, frozenset[str]]) -> str | None:
    names = set(fields)
    for kind, marks in kinds.items():
        if marks <= names:
            return kind
    return None


def _flat_keys(record: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in record.items():
        if isinstance(value, dict):
            keys += _flat_keys(value, f"{prefix}{key}.")
        else:
            keys.append(prefix + key)
    return keys


# ------------------------------------------------------------------ rows


def rows(path: Path, spec: LogSpec, fmt: str) -> Iterator[Item]:
    """Every line of ``path`` as ``(line number, values in spec order, raw line)``, a reject or a skip.

    Blank lines, ``#`` header lines and lines under a header that cannot be used
    come out as :class:`Skipped` (one per line), so every line read is accounted for.
    """
    if fmt == "json":
        yield from json_rows(path, spec)
    else:
        yield from _tsv_rows(path, spec)


def json_rows(path: Path, spec: LogSpec) -> Iterator[Item]:
    name = str(path)
    for item in content_lines(path):
        if not isinstance(item, tuple):
            yield item
            continue
        lineno, text = item
        try:
            record = loads_limited(text)
        except ValueError as exc:
            yield Reject(name, lineno, str(exc), text)
            continue
        if not isinstance(record, dict):
            yield Reject(name, lineno, f"expected a JSON object, found {type(record).__name__}", text)
            continue
        try:
            values = tuple(_json_value(record, field, kind) for field, kind in spec.fields)
        except (ValueError, TypeError) as exc:
            yield Reject(name, lineno, str(exc), text)
            continue
        missing = [f for f, v in zip(spec.names, values, strict=True) if v is None and f in spec.required]
        if missing:
            yield Reject(name, lineno, f"{spec.kind} record lacks {', '.join(repr(f) for f in missing)}", text)
            continue
        yield lineno, values, text


def _lookup(record: dict[str, Any], field: str) -> Any:
    if field in record:
        return record[field]
    node: Any = record
    for part in field.split("."):  # nested form: {"id": {"orig_h": ...}}
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _json_value(record: dict[str, Any], field: str, kind: Kind) -> Any:
    value = _lookup(record, field)
    if value is None:
        return None
    ok = True
    if kind is Kind.TIME:
        return _time(value, field)
    if kind is Kind.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and not -MAX_INT <= value <= MAX_INT:
            raise ValueError(f"field {field!r} out of range: {str(value)[:40]}")
    elif kind is Kind.FLOAT:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind is Kind.BOOL:
        ok = isinstance(value, bool)
    elif kind is Kind.STR:
        ok = isinstance(value, str)
        value = unescape(value) if ok else value
    elif kind is Kind.STR_LIST:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = [unescape(v) for v in value] if ok else value
    if not ok:
        raise ValueError(f"field {field!r} should be {kind.value}, found {json.dumps(value)[:60]}")
    return value


def _time(value: Any, field: str) -> int:
    try:
        return epoch_seconds(value, what=f"field {field!r}")
    except InvalidValue as exc:
        raise ValueError(str(exc)) from None


@dataclass
class TsvHeader:
    """The state of a TSV log's header directives, and the row reader compiled from them."""

    separator: str = "\t"
    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"
    fields: list[str] | None = None
    pick: Callable[[list[str]], tuple[str, ...]] | None = None  # the wanted fields in spec order (+ padding)
    convert: tuple[Callable[[str], Any] | None, ...] = ()  # None: a string
    required: Callable[[list[Any]], tuple[Any, ...]] | None = None


def _tsv_rows(path: Path, spec: LogSpec) -> Iterator[Item]:
    name = str(path)
    head = TsvHeader()
    for item in read_lines(path):
        if type(item) is not tuple:
            yield item  # type: ignore[misc]
            continue
        lineno, text = item
        if text.startswith("#"):
            problem = tsv_directive(head, text, spec)
            if problem:
                yield Reject(name, lineno, problem + "; lines up to the next good #fields header skipped", text)
            else:
                yield Skipped(name, "header lines")
            continue
        if not text.strip():
            yield Skipped(name, "blank lines")
            continue
        pick = head.pick
        if pick is None:
            if head.fields is None:
                yield Reject(name, lineno, "data line before any #fields header (not a Zeek TSV log?)", text)
            else:
                yield Skipped(name, "lines under a #fields/#types header that cannot be used")
            continue
        yield tsv_line(head, spec, name, lineno, text)


def tsv_line(head: TsvHeader, spec: LogSpec, name: str, lineno: int, text: str) -> Row | Reject:
    """One TSV data line under a usable header (``head.pick`` set): its typed values, or a reject."""
    assert head.pick is not None and head.fields is not None
    parts = text.split(head.separator)
    if len(parts) != len(head.fields):
        return Reject(name, lineno, f"expected {len(head.fields)} fields (per #fields), found {len(parts)}", text)
    unset, empty = head.unset, head.empty
    parts.append(unset)  # what a wanted field the log lacks reads
    try:
        values = [
            None
            if raw == unset
            else (raw if "\\x" not in raw and raw != empty else _string(raw, empty))
            if conv is None
            else conv(raw)
            for raw, conv in zip(head.pick(parts), head.convert)  # noqa: B905 - pick may pad, convert sets the length
        ]
    except (ValueError, OverflowError) as exc:
        return Reject(name, lineno, str(exc), text)
    if head.required is not None and None in head.required(values):
        missing = [f for f, v in zip(spec.names, values, strict=True) if v is None and f in spec.required]
        return Reject(name, lineno, f"{spec.kind} line lacks {', '.join(repr(f) for f in missing)}", text)
    return lineno, tuple(values), text


def tsv_directive(head: TsvHeader, text: str, spec: LogSpec) -> str | None:
    """Apply one ``#`` header line; return a problem, if any."""
    if text.startswith("#separator "):
        head.separator = unescape(text[len("#separator ") :].strip()) or "\t"
        return None
    directive, _, value = text.partition(head.separator)
    if directive == "#set_separator":
        head.set_separator = unescape(value)
    elif directive == "#empty_field":
        head.empty = value
    elif directive == "#unset_field":
        head.unset = value
    elif directive == "#fields":
        head.fields = value.split(head.separator)
        head.pick = None
        missing = sorted(spec.required - set(head.fields))
        if missing:
            return f"{spec.kind} log header lacks field(s) {', '.join(missing)}"
        _compile(head, spec)
    elif directive == "#types":
        types = value.split(head.separator)
        if head.fields is not None and len(types) != len(head.fields):
            head.pick = None
            return f"#types lists {len(types)} types for {len(head.fields)} #fields"
    return None


def _string(raw: str, empty: str) -> str:
    return "" if raw == empty else unescape(raw)


def _compile(head: TsvHeader, spec: LogSpec) -> None:
    """The row reader for this header: pick the wanted fields, convert the non-strings."""
    assert head.fields is not None
    fields = head.fields
    # A wanted field the log lacks reads the unset marker appended after the last column;
    # a second position keeps itemgetter returning a tuple.
    positions = [fields.index(f) if f in fields else len(fields) for f in spec.names]
    head.pick = itemgetter(*positions, len(fields))
    head.convert = tuple(None if kind is Kind.STR else _tsv_converter(f, kind, head) for f, kind in spec.fields)
    required = [i for i, f in enumerate(spec.names) if f in spec.required]
    head.required = itemgetter(*required, *required[:1]) if required else None


def _tsv_converter(field: str, kind: Kind, head: TsvHeader) -> Callable[[str], Any]:
    def bad(text: str) -> ValueError:
        return ValueError(f"field {field!r} should be {kind.value}, found {text[:40]!r}")

    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise bad(text) from None
        if not math.isfinite(value):
            raise ValueError(f"field {field!r} is not a finite number: {text[:40]!r}")
        return value

    def time(text: str) -> int:
        return _time(text, field)

    def integer(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise bad(text) from None
        if not -MAX_INT <= value <= MAX_INT:
            raise ValueError(f"field {field!r} out of range: {text[:40]}")
        return value

    def boolean(text: str) -> bool:
        if text not in ("T", "F"):
            raise bad(text)
        return text == "T"

    def strings(text: str) -> list[str]:
        return [] if text == head.empty else [unescape(v) for v in text.split(head.set_separator)]

    return {Kind.TIME: time, Kind.FLOAT: number, Kind.INT: integer, Kind.BOOL: boolean, Kind.STR_LIST: strings}[kind]
