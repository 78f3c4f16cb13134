"""Traffic Light Protocol levels: their order, and the most restrictive of several.

Intel carries a TLP marking on its Report nodes (``tlp``: STIX marking-definitions, MISP
``tlp:`` tags). A report built from several pieces of intel may be shared no wider than the
strictest of them: CLEAR (TLP 1.0's WHITE) < GREEN < AMBER < AMBER+STRICT < RED.
"""

from __future__ import annotations

from collections.abc import Iterable

ORDER = ("clear", "white", "green", "amber", "amber+strict", "red")
RANK = {"clear": 0, "white": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}


def level(value: object) -> str | None:
    """A TLP level from ``TLP:AMBER``, ``amber``, ``tlp:amber+strict``; None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    text = text.removeprefix("tlp:").strip()
    return text if text in RANK else None


def strictest(values: Iterable[object]) -> str | None:
    """The most restrictive known level among ``values`` (None when none is a TLP level)."""
    known = [lvl for v in values if (lvl := level(v)) is not None]
    return max(known, key=lambda lvl: (RANK[lvl], lvl == "clear")) if known else None


def label(value: str | None) -> str:
    """``TLP:AMBER+STRICT`` for display; empty for no marking."""
    return f"TLP:{value.upper()}" if value else ""
