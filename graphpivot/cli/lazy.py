"""Sub-commands imported only when used, so ``--help`` and shell completion start fast.

The root command lists its sub-commands from :data:`COMMANDS` (name, module, attribute, one-line
help) without importing them; a sub-command's module (and the libraries it needs: polars,
networkx, the drivers, ...) is imported when that sub-command runs, shows its own help, or is
completed. A test holds each listed help line equal to the command's own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A sub-command: a Typer app (a group) or a function (a single command) in ``module``."""

    module: str
    attr: str
    help: str

    def load(self, name: str) -> Any:
        """The real click command, importing its module."""
        obj: Any = getattr(importlib.import_module(self.module), self.attr)
        if isinstance(obj, typer.Typer):
            command: Any = typer.main.get_group(obj)  # a group even with one sub-command (browser guide)
        else:
            single = typer.Typer()
            single.command(name)(obj)
            command = typer.main.get_command(single)
        command.name = name
        return command


COMMANDS: dict[str, Lazy] = {
    "browser": Lazy("graphpivot.cli.browser", "app", "Neo4j Browser helpers."),
    "config": Lazy("graphpivot.cli.config", "app", "Show the settings: config file, profile, environment."),
    "db": Lazy("graphpivot.cli.db", "app", "Create, inspect and empty the graph."),
    "demo": Lazy("graphpivot.cli.demo", "demo", "Build a realistic enterprise in a temporary embedded graph, hunt "
                 "in it, and score the hunt against the truth."),
    "enrich": Lazy("graphpivot.cli.enrich", "app",
                   "Enrich the graph from live services (DNS, RDAP, TLS, passive DNS). Passive unless --active."),
    "export": Lazy("graphpivot.cli.export", "app",
                   "Findings and pivots out of graphpivot: STIX 2.1, MISP, GraphML/CSV."),
    "exposure": Lazy("graphpivot.cli.exposure", "exposure", "Internal hosts that queried, connected to, requested "
                     "or used a client fingerprint of indicator infrastructure."),
    "hunt": Lazy("graphpivot.cli.hunt", "hunt",
                 "Exposure to every indicator, web-service hunts (T1102, T1567) and blind spots, ranked."),
    "load": Lazy("graphpivot.cli.load", "app", "Load intel and telemetry into the graph."),
    "pivot": Lazy("graphpivot.cli.pivot", "app", "Stored pivot and hunt queries."),
    "query": Lazy("graphpivot.cli.pivot", "query_command", "Run ad-hoc Cypher read-only on either engine, with the "
                  "same output formats and timeout as stored queries."),
    "triage": Lazy("graphpivot.cli.triage", "app",
                   "Mark findings, hosts or indicators as false-positive, benign or true-positive."),
}


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands come from :data:`COMMANDS`, imported on first real use."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        lazy = COMMANDS.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # the help page or a completion of the name: the one-line help is enough
            return TyperCommand(cmd_name, help=lazy.help, short_help=lazy.help)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = lazy.load(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        self._listing = True
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing = False
