"""``graphpivot config``: where the settings come from and what they are (secrets masked)."""

from __future__ import annotations

import json

import typer

from graphpivot.cli.context import state
from graphpivot.config import CONFIG_ENV, ENVIRONMENT, config_path, masked

app = typer.Typer(help="Show the settings: config file, profile, environment.", no_args_is_help=True)


@app.command("show")
def show(ctx: typer.Context) -> None:
    """The settings in force (profile, then GRAPHPIVOT_* variables, then flags), the password masked."""
    settings = state(ctx).settings
    typer.echo(json.dumps({"config_file": str(config_path()), **masked(settings)}, indent=2, sort_keys=True))


@app.command("path")
def path() -> None:
    """The config file read (GRAPHPIVOT_CONFIG, else config.toml in the user config folder)."""
    typer.echo(str(config_path()))


@app.command("variables")
def variables() -> None:
    """Every GRAPHPIVOT_* variable and the setting it fills."""
    for var, name in {CONFIG_ENV: "config file", **ENVIRONMENT}.items():
        typer.echo(f"{var}\t{name}")
