"""``graphpivot browser guide``: a Neo4j Browser guide with every stored pivot and hunt, one click each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphpivot.browser_guide import GUIDE_PATH, guide_html, make_server
from graphpivot.cli.context import err, fail

app = typer.Typer(help="Neo4j Browser helpers.", no_args_is_help=True)


@app.command()
def guide(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the guide to this HTML file.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve it on 127.0.0.1 for ':play' until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8001,
) -> None:
    """Write or serve the guide; in Neo4j Browser run ':play http://localhost:PORT/graphpivot.html'."""
    text = guide_html()
    if output is None and not serve:
        typer.echo(text, nl=False)
        return
    if output is not None:
        if not output.parent.is_dir():
            fail(f"folder {output.parent} does not exist")
        output.write_text(text, encoding="utf-8")
        err.print(f"guide written to {output}", markup=False)
    if serve:
        try:
            server = make_server(text, port=port)
        except OSError as exc:
            fail(f"cannot listen on 127.0.0.1:{port}: {exc}")
        err.print(f"in Neo4j Browser run  :play http://localhost:{server.server_address[1]}{GUIDE_PATH}  "
                  "(Ctrl-C stops)", markup=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
