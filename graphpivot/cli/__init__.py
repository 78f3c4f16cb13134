"""The ``graphpivot`` command: a thin face over loaders, the store and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphpivot import __version__
from graphpivot.cli.lazy import LazyGroup

app = typer.Typer(
    name="graphpivot",
    help="Pivot from threat-intel seeds over shared infrastructure to the enterprise's own exposure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graphpivot {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    engine: Annotated[
        str | None,
        typer.Option(help="ladybug (embedded) or neo4j; default: neo4j when GRAPHPIVOT_NEO4J_URI is set."),
    ] = None,
    db_path: Annotated[
        Path | None,
        typer.Option("--db", help="Embedded database folder (env GRAPHPIVOT_DB).", show_default=False),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Config-file profile to use (env GRAPHPIVOT_PROFILE; see 'config show')."),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    """Pick the profile and engine once for every sub-command."""
    from graphpivot.cli.context import State

    ctx.obj = State.from_options(engine=engine, db_path=db_path, profile=profile)


def main() -> None:
    """Console-script entry point."""
    app()
