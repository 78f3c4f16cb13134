"""The one time parser every loader and the stored-query catalogue use.

Times in the graph are integer epoch seconds (UTC). :func:`epoch_seconds` reads
what sources write: numbers (epoch seconds; with ``scaled`` also milliseconds,
microseconds and nanoseconds, told by magnitude), digit strings, ISO 8601 text
(``Z``, ``+02:00`` and ``+0200`` offsets, a trailing `` UTC``, plain dates) and
``datetime``/``date`` objects. **A time without a zone is read as UTC.**

Anything else raises :class:`~graphpivot.canonical.InvalidValue` with the reason,
which loaders turn into a reject: booleans, empty text, non-finite numbers
(``inf``, ``nan``, JSON ``Infinity`` or ``1e400``) and times outside the years
1 to 9999 never crash a load or loop.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from graphpivot.canonical import InvalidValue

# datetime's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z (certificates do say 9999).
MIN_EPOCH = -62_135_596_800
MAX_EPOCH = 253_402_300_799
# Numbers above this are taken as milliseconds, microseconds or nanoseconds when ``scaled``
# (1e11 s is the year 5138; 1e11 ms is 1973).
_SCALE_ABOVE = 1e11
_DIGITS = re.compile(r"[+-]?\d+(\.\d+)?")
_MAX_TEXT = 64


def epoch_seconds(value: Any, *, scaled: bool = False, what: str = "") -> int:
    """Integer epoch seconds (UTC) from a number, digits, ISO 8601 text, datetime or date.

    ``scaled`` reads numbers above 1e11 as ms/us/ns (proxy logs mix units).
    Raises :class:`InvalidValue` for anything that is not a time in range.
    """
    if isinstance(value, bool) or value is None:
        raise InvalidValue(f"{_p(what)}not a time: {value!r}")
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _in_range(moment.timestamp(), what, value)
    if isinstance(value, date):
        return _in_range(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp(), what, value)
    if isinstance(value, int | float):
        return _number(value, scaled, what)
    if not isinstance(value, str):
        raise InvalidValue(f"{_p(what)}not a time: a {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidValue(f"{_p(what)}not a time: empty")
    if len(text) > _MAX_TEXT:
        raise InvalidValue(f"{_p(what)}not a time: {text[:40]!r}...")
    if _DIGITS.fullmatch(text):
        return _number(int(text) if "." not in text else float(text), scaled, what)
    iso = text.replace("Z", "+00:00").replace("z", "+00:00")
    if iso.endswith(" UTC"):
        iso = iso[: -len(" UTC")] + "+00:00"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        lowered = text.lower().lstrip("+-")
        if lowered in ("inf", "infinity", "nan"):
            raise InvalidValue(f"{_p(what)}not a time: not a finite number: {text!r}") from None
        raise InvalidValue(f"{_p(what)}not a time: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        stamp = moment.timestamp()
    except (OverflowError, ValueError):
        raise InvalidValue(f"{_p(what)}time out of range: {text!r}") from None
    return _in_range(stamp, what, text)


def optional_epoch(value: Any, *, scaled: bool = False, what: str = "") -> int | None:
    """:func:`epoch_seconds`, with empty values (None, '', 'None', 'null', '-') as None."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "null", "-")):
        return None
    return epoch_seconds(value, scaled=scaled, what=what)


def _number(number: float, scaled: bool, what: str) -> int:
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidValue(f"{_p(what)}not a time: not a finite number: {number!r}")
    if scaled:
        for _ in range(3):  # ms, us, ns: at most three steps, whatever the number
            if abs(number) <= _SCALE_ABOVE:
                break
            number = number / 1000
    return _in_range(number, what, number)


def _in_range(stamp: float, what: str, shown: Any) -> int:
    if not (MIN_EPOCH <= stamp <= MAX_EPOCH):
        raise InvalidValue(f"{_p(what)}time out of range (years 1-9999): {str(shown)[:40]!r}")
    return math.floor(stamp)


def _p(what: str) -> str:
    return f"{what}: " if what else ""


_DURATION = re.compile(r"\s*(\d+)\s*([smhdw])\s*", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration_seconds(text: str) -> int:
    """``90s``, ``30m``, ``12h``, ``7d``, ``2w`` (or bare seconds) as seconds."""
    if text.strip().isdigit():
        return int(text.strip())
    match = _DURATION.fullmatch(text)
    if not match:
        raise InvalidValue(f"not a duration: {text!r} (use e.g. 30m, 12h, 7d, 2w)")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def analyst_time(value: Any, now: int) -> int:
    """A time an analyst types: what :func:`epoch_seconds` reads, or ``30d`` / ``12h`` meaning that long ago."""
    if isinstance(value, str) and _DURATION.fullmatch(value):
        return now - duration_seconds(value)
    return epoch_seconds(value)
