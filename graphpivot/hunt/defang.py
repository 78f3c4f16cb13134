"""Defanged indicators for reports people forward: ``evil[.]com``, ``hxxps://evil[.]com/x``.

A report is read in mail clients and ticket systems that turn ``evil.com`` into a link; a
defanged value cannot be clicked or resolved by accident and ``ioc-fanger``'s ``fang`` (or
any analyst) turns it back. Only indicator values are defanged: the internal hosts stay as
the inventory spells them. ``hunt --no-defang`` keeps every value live.
"""

from __future__ import annotations

import re
from typing import Any

import ioc_fanger

_SCHEME = re.compile(r"\bhXX(ps?)(?=\[?:)", re.IGNORECASE)
_URL_IN_TEXT = re.compile(r"\b(?:https?|ftp)://[^\s,;'\"<>]+", re.IGNORECASE)


def defang(value: Any) -> Any:
    """A value defanged with ``ioc_fanger.defang`` (``hxxp`` spelt lower-case); non-strings unchanged."""
    if not isinstance(value, str):
        return value
    return _SCHEME.sub(lambda m: "hxx" + m.group(1).lower(), ioc_fanger.defang(value))


def defang_text(text: Any) -> Any:
    """Free text with only its URLs defanged (counts like ``3.5`` stay as they are)."""
    if not isinstance(text, str):
        return text
    return _URL_IN_TEXT.sub(lambda m: defang(m.group(0)), text)


def defang_step(step: Any) -> Any:
    """One evidence-path element: ``Domain:evil.com`` -> ``Domain:evil[.]com``; hosts and edge names unchanged."""
    if not isinstance(step, str):
        return step
    if step.startswith("-["):  # the attributes a pivot crossed: -[IP 203.0.113.10]-, -[via one of: ...]-
        return defang(step)
    if step.startswith(("-", "<-")) or ":" not in step:
        return step
    label, _, key = step.partition(":")
    return step if label == "Host" else f"{label}:{defang(key)}"
