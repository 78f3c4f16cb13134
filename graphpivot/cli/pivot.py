"""``graphpivot pivot``: list, show and run stored queries."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from graphpivot.catalog import Catalog, QueryError
from graphpivot.cli.context import err, fail, state
from graphpivot.output import FORMATS, render
from graphpivot.store import QueryTimeout

app = typer.Typer(help="Stored pivot and hunt queries.", no_args_is_help=True)
out = Console(highlight=False)


def _catalog() -> Catalog:
    try:
        return Catalog()
    except QueryError as exc:
        fail(str(exc))


@app.command("list")
def list_queries(
    search: Annotated[str | None, typer.Option("--search", "-s", help="Filter by text in id, title, ATT&CK ids.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """List the stored queries."""
    queries = _catalog().search(search)
    rows = [
        {"id": q.id, "group": q.group, "title": q.header.title, "attack": q.header.attack, "maturity": q.header.maturity}
        for q in queries
    ]
    render(rows, "json" if fmt == "json" else "table", ["id", "group", "title", "attack", "maturity"])


@app.command()
def show(query_id: Annotated[str, typer.Argument(help="Stored query id")]) -> None:
    """Show a stored query's metadata, parameters and Cypher."""
    try:
        query = _catalog().get(query_id)
    except QueryError as exc:
        fail(str(exc))
    h = query.header
    out.print(f"[bold]{h.id}[/]: {h.title}\n{h.description.strip()}", markup=True)
    out.print(f"ATT&CK: {', '.join(h.attack) or '-'}   maturity: {h.maturity}   file: {query.path.name}")
    table = Table("param", "type", "required", "default", "description")
    for name, spec in h.params.items():
        table.add_row(name, spec.type, "yes" if spec.required else "", str(spec.default or ""), spec.description)
    out.print(table)
    out.print(Syntax(query.cypher, "cypher", word_wrap=True))
    for engine in sorted(query.overrides):
        out.print(f"override for {engine}:")
        out.print(Syntax(query.overrides[engine], "cypher", word_wrap=True))


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``k=v`` pairs from the command line."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"--param takes name=value, got {pair!r}")
        params[name.strip()] = value
    return params


@app.command()
def run(
    ctx: typer.Context,
    query_id: Annotated[str, typer.Argument(help="Stored query id")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value, repeatable")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows (sets the limit parameter).")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Print the Cypher and parameters to stderr.")] = False,
    timeout: Annotated[float | None, typer.Option(help="Seconds before the query is stopped.")] = None,
) -> None:
    """Run a stored query in a read transaction and print its rows."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    raw = parse_params(param or [])
    if limit is not None:
        raw["limit"] = str(limit)
    try:
        query = _catalog().get(query_id)
        params = query.bind(raw)
    except QueryError as exc:
        fail(str(exc))
    st = state(ctx)
    with st.store() as store:
        cypher = query.cypher_for(store.engine)
        if explain:
            err.print(f"// engine: {store.engine}\n{cypher}\n// params: {json.dumps(params)}", markup=False)
        try:
            rows = store.read(cypher, params, timeout=timeout)
        except QueryTimeout as exc:
            fail(f"{query_id}: {exc}; narrow it with since/until or max_fanout, or raise --timeout", code=3)
    render(rows, fmt, query.header.columns or None)
