"""Shell completion of what the command line names: stored query ids, their parameters, output formats.

Typer calls these while the shell waits, so they read only the catalogue (no database, no loaders)
and never fail: a catalogue that does not parse completes nothing.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

import typer

from graphpivot.output import FORMATS


def _catalog() -> Any:
    from graphpivot.catalog import Catalog, QueryError

    try:
        return Catalog()
    except QueryError:
        return None


def query_ids(incomplete: str) -> list[tuple[str, str]]:
    """Stored query ids (the analyst's own included) starting with what was typed, with their titles."""
    catalog = _catalog()
    if catalog is None:
        return []
    return sorted((q.id, q.header.title) for q in catalog if q.id.startswith(incomplete))


def query_params(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """``name=`` for each parameter of the query already on the line, with its type and description."""
    catalog = _catalog()
    params = ctx.params or {}
    query_id = params.get("query_id") or params.get("pivot") or _query_on_line(ctx)
    if catalog is None or not query_id:
        return []
    try:
        query = catalog.get(query_id)
    except Exception:  # an unknown id completes nothing
        return []
    given = {p.partition("=")[0] for p in (params.get("param") or [])}
    return [(f"{name}=", f"{spec.type}{' (required)' if spec.required else ''} {spec.description}".strip())
            for name, spec in sorted(query.header.params.items())
            if name not in given and f"{name}=".startswith(incomplete)]


def _query_on_line(ctx: typer.Context) -> str | None:
    """The query id as typed: the value of ``--pivot``, else the command's first argument.

    While an option still lacks its value (``-p <TAB>``) click parses nothing, so the words the shell
    passed are read instead.
    """
    try:
        words = shlex.split(os.environ.get("_TYPER_COMPLETE_ARGS") or os.environ.get("COMP_WORDS") or "")
    except ValueError:
        return None
    if ctx.info_name not in words:
        return None
    takes_value = {opt for p in ctx.command.params if getattr(p, "is_flag", True) is False
                   for opt in [*p.opts, *p.secondary_opts]}
    rest = words[words.index(ctx.info_name) + 1:]
    if "--pivot" in rest[:-1]:
        return rest[rest.index("--pivot") + 1]
    for i, word in enumerate(rest):
        if not word.startswith("-") and (i == 0 or rest[i - 1] not in takes_value):
            return word
    return None


def formats(incomplete: str) -> list[str]:
    """Output formats starting with what was typed."""
    return [f for f in FORMATS if f.startswith(incomplete)]
