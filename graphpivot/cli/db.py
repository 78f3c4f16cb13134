"""``graphpivot db``: create, inspect and empty the graph."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from graphpivot.cli.context import fail, state
from graphpivot.output import SafeConsole, iso
from graphpivot.reference.install import install_all, installed, stale
from graphpivot.store import writers

app = typer.Typer(help="Create, inspect and empty the graph.", no_args_is_help=True)
out = SafeConsole(soft_wrap=True)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create constraints, indexes and tables; (re)install the noise list, web-service catalogue and warninglists.

    Idempotent. Every other command installs missing or outdated reference data by itself, so this is
    never required; it reinstalls everything (after editing a list, say) and prints what it did.
    """
    with state(ctx).store(reference=False) as store:
        store.init_schema()
        out.print(f"schema ready on {store.engine} at {store.location}")
        for done in install_all(store):
            detail = f" ({done.detail})" if done.detail else ""
            what = {"noise-list": "rules loaded", "webservices": "services"}.get(done.component, "entries")
            out.print(f"{done.component} {done.version}: {done.entries} {what} from {done.origin}{detail}",
                      markup=False)


@app.command()
def status(ctx: typer.Context) -> None:
    """Engine, location, installed reference data and versions, and node and edge counts per label and type."""
    with state(ctx).store() as store:
        nodes, edges = store.counts()
        reference, outdated = installed(store), stale(store)
    out.print("reference data:", markup=False)
    for name, row in sorted(reference.items()):
        out.print(f"  {name}: {row['version']}, {row['entries']} entries, installed {iso(row['installed_at'])} "
                  f"from {row['origin']} ({outdated.get(name, 'current')})", markup=False)
    for name, why in sorted(outdated.items()):
        if name not in reference:
            out.print(f"  {name}: {why}", markup=False)
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
    with state(ctx).store(reference=False) as store:
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
