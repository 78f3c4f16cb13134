"""``graphpivot db``: create, inspect and empty the graph."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from graphpivot.cli.context import err, fail, state
from graphpivot.cli.load_intel import install_catalogue
from graphpivot.output import SafeConsole
from graphpivot.reference.noise_flags import configured_noise_file, install
from graphpivot.store import writers

app = typer.Typer(help="Create, inspect and empty the graph.", no_args_is_help=True)
out = SafeConsole(soft_wrap=True)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create constraints, indexes and tables, load the noise list and the web-service catalogue; idempotent."""
    with state(ctx).store() as store:
        store.init_schema()
        out.print(f"schema ready on {store.engine} at {store.location}")
        path = configured_noise_file()
        rules, rejects = install(store, path)
        out.print(f"noise list {path}: {rules} rules loaded" + (f", {len(rejects)} bad lines" if rejects else ""))
        for reject in rejects:
            err.print(f"rejected {reject}", markup=False)
        summary = install_catalogue(store)
        out.print(
            f"web-service catalogue: {summary.nodes['WebService']} services, "
            f"{summary.edges['OPERATED_BY']} OPERATED_BY links, {summary.rejected} rejected rows"
        )


@app.command()
def status(ctx: typer.Context) -> None:
    """Engine, location, and node and edge counts per label and type."""
    with state(ctx).store(existing=True) as store:
        nodes, edges = store.counts()
    table = Table(title=f"{store.engine} at {store.location}")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, count in nodes.items():
        table.add_row("node", label, str(count))
    for rel, count in edges.items():
        table.add_row("edge", rel, str(count))
    out.print(table)
    out.print(f"{sum(nodes.values())} nodes, {sum(edges.values())} edges")


@app.command()
def clear(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm deleting every node and edge.")] = False,
) -> None:
    """Delete every node and edge (the schema stays)."""
    if not yes:
        fail("db clear deletes the whole graph; run it again with --yes")
    with state(ctx).store() as store:
        store.clear()
        out.print(f"cleared {store.engine} at {store.location}")


@app.command()
def schema(
    engine: Annotated[str, typer.Option(help="neo4j or ladybug")] = "neo4j",
) -> None:
    """Print the DDL generated from the schema for one engine."""
    statements = {"neo4j": writers.neo4j_ddl, "ladybug": writers.ladybug_ddl}.get(engine)
    if statements is None:
        fail(f"unknown engine {engine!r}; choose neo4j or ladybug")
    for stmt in statements():
        typer.echo(stmt + ";")
