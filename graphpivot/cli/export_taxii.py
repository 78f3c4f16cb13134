"""``graphpivot export taxii``: push a STIX 2.1 bundle file (e.g. from ``export stix``) to a TAXII 2.1 collection.

Credentials from the environment only (``GRAPHPIVOT_TAXII_USER``, ``GRAPHPIVOT_TAXII_PASSWORD``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from graphpivot.cli.context import fail


def taxii_push(
    bundle: Annotated[Path, typer.Argument(help="STIX 2.1 bundle file to push (e.g. the output of 'export stix').")],
    taxii: Annotated[str, typer.Option("--taxii", help="TAXII 2.1 API root URL, e.g. https://taxii.example/api1/.")],
    collection: Annotated[str, typer.Option("--collection", help="Collection id under the API root.")],
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per request.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the server's status as JSON.")] = False,
) -> None:
    """POST the bundle's objects to the collection and wait for the server's status."""
    if not bundle.is_file():
        fail(f"{bundle}: no such file")
    try:
        doc = json.loads(bundle.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{bundle}: not JSON: {exc}")
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        fail(f"{bundle}: not a STIX bundle (no \"type\": \"bundle\")")
    push_bundle(doc, taxii, collection, timeout=timeout, as_json=as_json)


def push_bundle(doc: dict[str, Any], taxii: str, collection: str, *, timeout: float = 30.0,
                as_json: bool = False) -> None:
    """Push a bundle to a TAXII collection, print the server's status; exit 1 when any object failed."""
    from graphpivot.feeds.taxii import TaxiiError, collection_url, push

    target = collection_url(taxii, collection)
    try:
        status = push(target, doc, timeout=timeout)
    except TaxiiError as exc:
        fail(f"TAXII: {exc}")
    if as_json:
        typer.echo(json.dumps(status))
    else:
        typer.echo(f"pushed {status['success']}/{status['total']} object(s) to {target} "
                   f"({status['failure']} failed, {status['pending']} pending; status {status['status']})")
    if status["failure"]:
        raise typer.Exit(1)
