"""The ``graphpivot`` command: a thin face over loaders, the store and the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphpivot import __version__
from graphpivot.cli import (
    browser,
    config,
    db,
    demo,
    detections,
    enrich,
    export,
    export_taxii,
    exposure,
    hunt,
    load,
    pivot,
    triage,
)
from graphpivot.cli.context import State

app = typer.Typer(
    name="graphpivot",
    help="Pivot from threat-intel seeds over shared infrastructure to the enterprise's own exposure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(load.app, name="load")
app.add_typer(pivot.app, name="pivot")
app.add_typer(enrich.app, name="enrich")
app.add_typer(config.app, name="config")
app.add_typer(triage.app, name="triage")
export.app.command("zeek-intel")(detections.export_zeek_intel)
export.app.command("suricata")(detections.export_suricata)
export.app.command("rpz")(detections.export_rpz)
export.app.command("taxii")(export_taxii.taxii_push)
app.add_typer(export.app, name="export")
app.add_typer(browser.app, name="browser")
app.command("demo")(demo.demo)
app.command("exposure")(exposure.exposure)
app.command("hunt")(hunt.hunt)
app.command("query")(pivot.query_command)


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
    ctx.obj = State.from_options(engine=engine, db_path=db_path, profile=profile)


def main() -> None:
    """Console-script entry point."""
    app()
