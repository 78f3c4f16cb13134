"""``graphpivot pivot``: list, show and run stored queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from graphpivot.browser import browser_link
from graphpivot.catalog import Catalog, QueryError, StoredQuery, cypher_root, parse_query
from graphpivot.cli import complete
from graphpivot.cli.context import err, fail, state
from graphpivot.cli.export import RenderOption, check_render, write_render
from graphpivot.export.result_graph import pivot_graph
from graphpivot.output import FORMATS, SafeConsole, markup_value, render
from graphpivot.presence import explain_empty
from graphpivot.querylint import WRITES, code_only, lint
from graphpivot.store import QueryTimeout

app = typer.Typer(help="Stored pivot and hunt queries.", no_args_is_help=True)
QueryId = Annotated[str, typer.Argument(help="Stored query id", autocompletion=complete.query_ids)]
out = SafeConsole()
EXIT_TIMEOUT = 3


def _catalog() -> Catalog:
    try:
        return Catalog()
    except QueryError as exc:
        fail(str(exc))


def _query(query_id: str) -> StoredQuery:
    try:
        return _catalog().get(query_id)
    except QueryError as exc:
        fail(str(exc))


@app.command("list")
def list_queries(
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Filter by text in id, title, description, tags, ATT&CK ids.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "table",
) -> None:
    """List the stored queries."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = [
        {
            "id": q.id,
            "group": q.group,
            "title": q.header.title,
            "attack": q.header.attack,
            "maturity": q.header.maturity,
            "params": [f"{name}{'' if spec.required else '?'}" for name, spec in q.header.params.items()],
        }
        for q in _catalog().search(search)
    ]
    render(rows, fmt, ["id", "group", "title", "attack", "maturity", "params"])


@app.command()
def show(query_id: QueryId) -> None:
    """Show a stored query's metadata, parameters, columns and Cypher (with any per-engine override)."""
    query = _query(query_id)
    h = query.header
    out.print(f"[bold]{markup_value(h.id)}[/] ({markup_value(query.group)}): {markup_value(h.title)}", markup=True)
    out.print(h.description.strip())
    out.print(f"ATT&CK: {', '.join(h.attack) or '-'}   maturity: {h.maturity}   file: {query.path.name}")
    table = Table("param", "type", "required", "default", "description")
    for name, spec in h.params.items():
        default = "" if spec.default is None else str(spec.default)
        table.add_row(name, spec.type, "yes" if spec.required else "", default, spec.description)
    out.print(table)
    out.print(f"columns: {', '.join(h.columns) or '-'}")
    for ref in h.references:
        out.print(f"reference: {ref}")
    from rich.syntax import Syntax

    out.print(Syntax(query.cypher, "cypher", word_wrap=True))
    for engine in sorted(query.overrides):
        out.print(f"override for {engine} ({query.path.stem}.{engine}.cypher):")
        out.print(Syntax(query.overrides[engine], "cypher", word_wrap=True))


@app.command()
def style() -> None:
    """Print the Neo4j Browser style (GraSS); save it and drag the file onto Neo4j Browser."""
    typer.echo((cypher_root() / "browser" / "graphpivot.grass").read_text(encoding="utf-8"), nl=False)


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``k=v`` pairs from the command line."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--param takes name=value, got {pair!r}")
        params[name.strip()] = value
    return params


@app.command()
def run(
    ctx: typer.Context,
    query_id: QueryId,
    param: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="name=value, repeatable", autocompletion=complete.query_params)] = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help=f"one of {', '.join(FORMATS)}", autocompletion=complete.formats)] = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many rows (sets the limit parameter).")] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Print the exact Cypher and parameters (to stderr) before running.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(help="Seconds before the query is stopped (default GRAPHPIVOT_QUERY_TIMEOUT).")
    ] = None,
    browser: Annotated[
        bool, typer.Option("--browser", help="Also print a Neo4j Browser link opening this query and its parameters.")
    ] = False,
    render_html: RenderOption = None,
) -> None:
    """Run a stored query in a read transaction, with a timeout, and print its rows."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if timeout is not None and timeout <= 0:
        fail("--timeout must be a positive number of seconds")
    query = _query(query_id)
    raw = parse_params(param or [])
    if limit is not None:
        if "limit" not in query.header.params:
            fail(f"{query_id} takes no limit parameter")
        raw["limit"] = str(limit)
    try:
        params = query.bind(raw)
    except QueryError as exc:
        fail(str(exc))
    check_render(render_html)
    st = state(ctx)
    with st.store(existing=True) as store:
        cypher = query.cypher_for(store.engine)
        if explain:
            explained = f"// {query_id} on {store.engine}\n{cypher}\n// params: {json.dumps(params, sort_keys=True)}"
            typer.echo(explained, err=True)
        try:
            rows = store.read(cypher, params, timeout=timeout)
        except QueryTimeout as exc:
            fail(f"{query_id}: {exc}; narrow it (seeds, since/until, max_fanout) or raise --timeout", EXIT_TIMEOUT)
        empty = explain_empty(store, query, params) if not rows else None
        if render_html is not None:
            write_render(render_html, pivot_graph(store, query.id, query.header.title, params, rows,
                                                  query.header.columns))
    render(rows, fmt, query.header.columns or None)
    if browser:
        try:
            typer.echo(f"Neo4j Browser: {browser_link(query.cypher_for('neo4j'), params)}", err=True)
        except ValueError as exc:
            err.print(f"no Neo4j Browser link: {exc}", markup=False)
    if empty is not None:
        err.print(f"{query_id}: {empty[0]}", markup=False)
        raise typer.Exit(empty[1])


@app.command("lint")
def lint_queries(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Query files to check (default: the whole catalogue, yours included).")
    ] = None,
) -> None:
    """Check stored queries: header, declared vs used parameters, read-only text, the portable core."""
    try:
        queries = [parse_query(p) for p in paths] if paths else list(_catalog())
    except (QueryError, OSError) as exc:
        fail(str(exc))
    problems = [p for q in queries for p in lint(q)]
    for problem in problems:
        typer.echo(str(problem))
    errors = sum(1 for p in problems if p.level == "error")
    typer.echo(f"{len(queries)} queries, {errors} errors, {len(problems) - errors} warnings", err=True)
    if errors:
        raise typer.Exit(1)


def query_command(
    ctx: typer.Context,
    cypher: Annotated[str, typer.Argument(help="Cypher to run read-only (a read transaction; writes are refused).")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value (JSON values are parsed), repeatable")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "table",
    timeout: Annotated[
        float | None, typer.Option(help="Seconds before the query is stopped (default GRAPHPIVOT_QUERY_TIMEOUT).")
    ] = None,
) -> None:
    """Run ad-hoc Cypher read-only on either engine, with the same output formats and timeout as stored queries."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    write = WRITES.search(code_only(cypher))
    if write:
        fail(f"graphpivot query only reads; the text holds {write.group(1)}")
    params = {name: _json_or_text(value) for name, value in parse_params(param or []).items()}
    with state(ctx).store(existing=True) as store:
        try:
            rows = store.read(cypher, params, timeout=timeout)
        except QueryTimeout as exc:
            fail(f"query: {exc}; narrow it or raise --timeout", EXIT_TIMEOUT)
        except Exception as exc:  # the engine's own error (syntax, unknown label, refused write)
            fail(f"query failed on {store.engine}: {exc}")
    render(rows, fmt)


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
