"""Options several commands share, and typed option blocks that replace repeated parameter lists.

An option block is a dataclass of CLI options that several commands take
(``--dry-run --strict --rejects --json`` on every load, the lookup limits on every
enrichment job). :func:`option_block` adds the block's options to a command's
signature, so Typer shows and parses them as usual, and hands the command one typed
object instead of a dozen parameters (or its ``locals()``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from graphpivot.config import HUNT_DEFAULTS

# ---------------------------------------------------------------- single options
_TIME_FORMS = "ISO 8601 (UTC if no zone), epoch seconds, or 30d / 12h / 2w for that long ago"
Since = Annotated[str | None, typer.Option("--since", help=f"Only evidence at or after this time: {_TIME_FORMS}.")]
Until = Annotated[str | None, typer.Option("--until", help=f"Only evidence at or before this time: {_TIME_FORMS}.")]
Explain = Annotated[bool, typer.Option("--explain", help="Print each query's Cypher and parameters to stderr.")]
Browser = Annotated[bool, typer.Option("--browser", help="Print a Neo4j Browser link per finding.")]
QueryTimeoutOption = Annotated[
    float | None, typer.Option("--timeout", help="Seconds before a query is stopped (GRAPHPIVOT_QUERY_TIMEOUT).")
]
_FROM_CONFIG = "; default from the config file's [hunt], else"
MaxFanout = Annotated[int | None, typer.Option(
    "--max-fanout", help=f"Expansion skips attributes used by more domains{_FROM_CONFIG} {HUNT_DEFAULTS.max_fanout}.")]
Tolerance = Annotated[int | None, typer.Option(
    "--tolerance", help=f"Seconds of slack when comparing time windows{_FROM_CONFIG} {HUNT_DEFAULTS.tolerance}.")]
RareHosts = Annotated[int | None, typer.Option(
    "--rare-hosts", help=f"A web service this few internal hosts use is rare{_FROM_CONFIG} {HUNT_DEFAULTS.rare_hosts}."
)]
UploadBytes = Annotated[int | None, typer.Option(
    "--upload-bytes", help=f"Bytes out that count as a large upload{_FROM_CONFIG} {HUNT_DEFAULTS.upload_bytes}.")]
Paths = Annotated[list[Path], typer.Argument(help="Files to load", exists=False)]
SummaryJson = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]

T = TypeVar("T")


def option_block(block: type[T], into: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorate a command so that ``block``'s options join its own and arrive built, as keyword ``into``.

    ``block`` is a dataclass whose fields carry ``Annotated[..., typer.Option(...)]`` types and defaults.
    """
    hints = typing.get_type_hints(block, include_extras=True)
    fields = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=field.default, annotation=hints[name])
        for name, field in block.__dataclass_fields__.items()  # type: ignore[attr-defined]
    ]
    return _adding(fields, lambda values: block(**values), into)


def _adding(
    extra: Sequence[inspect.Parameter], build: Callable[[dict[str, Any]], Any], into: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        hints = typing.get_type_hints(command, include_extras=True)
        own = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(command).parameters.values()
            if p.name != into
        ]
        names = [p.name for p in extra]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            kwargs[into] = build({name: kwargs.pop(name) for name in names})
            command(**kwargs)

        params = [*own, *extra]
        wrapper.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__  # Typer must read the new signature
        return wrapper

    return decorate


# ---------------------------------------------------------------- option blocks
@dataclass
class LoadFlags:
    """What every ``graphpivot load ...`` command takes besides its inputs."""

    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and count; write nothing.")] = False
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any line was rejected.")] = False
    rejects: Annotated[
        Path | None, typer.Option("--rejects", help="Write every rejected line here (NDJSON).")
    ] = None
    summary_json: Annotated[bool, typer.Option("--json", help="Print the load summary as JSON.")] = False


@dataclass
class HuntFlags:
    """The knobs ``exposure`` and ``hunt`` share; ``None``: the settings' hunt defaults (config file or built-in)."""

    since: Since = None
    until: Until = None
    explain: Explain = False
    max_fanout: MaxFanout = None
    tolerance: Tolerance = None
    rare_hosts: RareHosts = None
    upload_bytes: UploadBytes = None
    timeout: QueryTimeoutOption = None
