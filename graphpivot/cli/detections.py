"""``graphpivot export zeek-intel|suricata|rpz``: indicators (and confirmed siblings) for the sensors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.cli.context import state
from graphpivot.detections import Exported, exported_indicators, rpz_zone, suricata_rules, zeek_intel

Output = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")]


def _export(ctx: typer.Context, render: Callable[[Iterable[Exported]], str], output: Path | None) -> None:
    with state(ctx).store(existing=True) as store:
        items = exported_indicators(store, int(time.time()))
    text = render(items)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"{len(items)} indicator(s) written to {output}", err=True)


def export_zeek_intel(ctx: typer.Context, output: Output = None) -> None:
    """A Zeek Intel framework file (load it with Intel::read_files)."""
    _export(ctx, zeek_intel, output)


def export_suricata(ctx: typer.Context, output: Output = None) -> None:
    """Suricata rules: DNS and TLS SNI for domains, flows to IPs, HTTP host and URI for URLs."""
    _export(ctx, suricata_rules, output)


def export_rpz(
    ctx: typer.Context,
    output: Output = None,
    origin: Annotated[str, typer.Option(help="The zone's name.")] = "rpz.graphpivot.local",
) -> None:
    """A DNS Response Policy Zone (BIND, Unbound, PowerDNS): NXDOMAIN for indicator names and IPs."""
    _export(ctx, lambda items: rpz_zone(items, origin, serial=int(time.time())), output)
