"""``graphpivot load zeek|eve|proxy|assets``: the enterprise's own telemetry into the graph.

Internal addresses become Hosts. Which addresses are internal, and what each
host is called, comes from ``--internal`` ranges (RFC 1918, RFC 4193, loopback
and link-local unless ``--no-default-internal``) and from the asset inventory
given with ``--assets`` (or ``GRAPHPIVOT_ASSETS``): loaders never read the graph,
so the inventory reaches them as a file, the same file ``load assets`` loads.
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.cli.context import fail, state
from graphpivot.cli.loading import run_load
from graphpivot.cli.options import LoadFlags, option_block
from graphpivot.loaders.telemetry.assets import load_inventory, read_assets
from graphpivot.loaders.telemetry.eve import read_eve
from graphpivot.loaders.telemetry.network import DEFAULT_INTERNAL, Network
from graphpivot.loaders.telemetry.proxy import FORMATS, PRESETS, check_columns, preset, read_proxy
from graphpivot.loaders.telemetry.zeek import read_zeek
from graphpivot.model import Record

Inputs = Annotated[list[Path], typer.Argument(help="Log files, or folders to search for them (plain or gzip).")]
Assets = Annotated[
    list[Path] | None,
    typer.Option(
        "--assets", envvar="GRAPHPIVOT_ASSETS", help="Asset inventory CSV: names hosts, marks internal ranges."
    ),
]
Internal = Annotated[
    list[str] | None, typer.Option("--internal", help="Internal CIDR range (repeatable), added to the defaults.")
]
NoDefaultInternal = Annotated[
    bool,
    typer.Option("--no-default-internal", help="Do not treat RFC 1918/4193, loopback and link-local as internal."),
]
Source = Annotated[str | None, typer.Option("--source", help="Source name recorded on every node and edge.")]

_ZEEK_PATTERNS = ("*.log", "*.log.gz", "*.json", "*.json.gz", "*.ndjson", "*.ndjson.gz")
_EVE_PATTERNS = ("*.json", "*.json.gz", "*.ndjson", "*.ndjson.gz")


def expand(paths: Iterable[Path], patterns: tuple[str, ...] | None) -> list[Path]:
    """Files named directly, plus files under named folders matching ``patterns`` (all files when ``None``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = {p for pattern in patterns or ("*",) for p in path.rglob(pattern) if p.is_file()}
            found += sorted(p for p in inside if not p.name.startswith("."))
        elif path.is_file():
            found.append(path)
        else:
            fail(f"{path}: no such file or folder")
    if not found:
        fail("no input files found")
    return found


def network(assets: list[Path] | None, internal: list[str] | None, no_default: bool) -> tuple[Network, list[Record]]:
    """The internal ranges and inventory for a load, and the inventory rows that were rejected."""
    ranges = [*([] if no_default else DEFAULT_INTERNAL), *(internal or [])]
    for cidr in internal or []:
        try:
            Network([cidr])
        except ValueError:
            fail(f"--internal {cidr!r} is not a CIDR range")
    for path in assets or []:
        if not path.is_file():
            fail(f"--assets {path}: no such file")
    inventory, rejects = load_inventory(assets or [])
    return Network(ranges, inventory), list(rejects)


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Collect cycles less often while loading.

    A load allocates millions of short-lived objects next to large long-lived
    caches; with the default thresholds the collector rescans those caches
    constantly (about half the parse time). Nothing in the load path builds
    reference cycles, so reference counting frees almost everything anyway.
    """
    before = gc.get_threshold()
    gc.set_threshold(200_000, 100, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _load(ctx: typer.Context, source: str, records: Iterator[Record], flags: LoadFlags) -> None:
    with fewer_gc_passes():
        run_load(state(ctx), source, records, flags, observed_at=int(time.time()))


@dataclass
class SensorFlags:
    """What a telemetry load needs besides its files: its source name and which hosts are internal."""

    source: Source = None
    assets: Assets = None
    internal: Internal = None
    no_default_internal: NoDefaultInternal = False


def _load_sensor(
    ctx: typer.Context, default_source: str, sensor: SensorFlags, flags: LoadFlags,
    read: Callable[[Network], Iterator[Record]],
) -> None:
    """Load a sensor's logs with its network view; rejected inventory rows are reported with the load."""
    net, bad_assets = network(sensor.assets, sensor.internal, sensor.no_default_internal)
    _load(ctx, sensor.source or default_source, itertools.chain(bad_assets, read(net)), flags)


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def zeek(
    ctx: typer.Context,
    paths: Inputs,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """Zeek logs, TSV or JSON: dns, conn, http, ssl, x509, files, notice (other logs are skipped with a note)."""
    files = expand(paths, _ZEEK_PATTERNS)
    _load_sensor(ctx, "zeek", sensor, flags, lambda net: read_zeek(files, network=net))


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def eve(
    ctx: typer.Context,
    paths: Inputs,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """Suricata EVE JSON: dns, tls, http, flow, netflow and alert events."""
    files = expand(paths, _EVE_PATTERNS)
    _load_sensor(ctx, "suricata", sensor, flags, lambda net: read_eve(files, network=net))


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def proxy(
    ctx: typer.Context,
    paths: Inputs,
    fmt: Annotated[str | None, typer.Option(
        "--log-format", "--format", help=f"Log format: {', '.join(FORMATS)} (--format is the older spelling).")] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="csv/jsonl: field=column pairs, e.g. 'time=ts,client=src_ip,url=request,bytes_out=sent'.",
        ),
    ] = None,
    preset_name: Annotated[
        str | None,
        typer.Option("--preset", help=f"Secure web gateway layout: {', '.join(PRESETS)} (sets format and columns)."),
    ] = None,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """Web proxy logs: Squid, Blue Coat ProxySG, Zscaler NSS, Netskope, or CSV / JSON lines / W3C with a mapping."""
    mapping: dict[str, str] = {}
    if preset_name is not None:
        if preset_name not in PRESETS:
            fail(f"--preset must be one of {', '.join(PRESETS)}")
        preset_fmt, mapping = preset(preset_name)
        fmt = fmt or preset_fmt
    if fmt is None:
        fail("give --log-format (" + ", ".join(FORMATS) + ") or --preset (" + ", ".join(PRESETS) + ")")
    if fmt not in FORMATS:
        fail(f"--log-format must be one of {', '.join(FORMATS)}")
    mapping.update(parse_columns(columns))
    files = expand(paths, None)
    chosen = fmt
    _load_sensor(ctx, preset_name or "proxy", sensor, flags,
                 lambda net: read_proxy(files, chosen, network=net, columns=mapping))


def parse_columns(text: str | None) -> dict[str, str]:
    """``field=column,field=column`` as a mapping; exits with a message when malformed."""
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            fail(f"--columns: expected field=column, found {pair.strip()!r}")
        mapping[field.strip()] = column.strip()
    try:
        check_columns(mapping)
    except ValueError as exc:
        fail(f"--columns: {exc}")
    return mapping


@option_block(LoadFlags, into="flags")
def assets_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Asset inventory CSV files.")],
    source: Source = None,
    *,
    flags: LoadFlags,
) -> None:
    """Asset inventory CSV (asset_id, hostname, ip, owner, criticality): one Host per asset.

    Give the same file to telemetry loads with --assets (or GRAPHPIVOT_ASSETS) so their hosts take these names.
    """
    files = expand(paths, ("*.csv",))
    name = source or "assets"
    records = itertools.chain.from_iterable(read_assets(path, name) for path in files)
    _load(ctx, name, records, flags)


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def sysmon(
    ctx: typer.Context,
    paths: Inputs,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """Sysmon EID 22 (DNS query) and EID 3 (network connection), EVTX or shipper JSON: the process on each edge."""
    from graphpivot.loaders.telemetry.sysmon import read_sysmon

    files = expand(paths, ("*.evtx", "*.json", "*.json.gz", "*.ndjson", "*.ndjson.gz", "*.jsonl"))
    _load_sensor(ctx, "sysmon", sensor, flags, lambda net: read_sysmon(files, network=net))


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def route53(
    ctx: typer.Context,
    paths: Inputs,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """AWS Route 53 Resolver query logs (JSON lines): QUERIED with the answers; instances named by --assets."""
    from graphpivot.loaders.telemetry.aws import read_route53

    files = expand(paths, ("*.json", "*.json.gz", "*.log", "*.log.gz", "*.jsonl", "*.jsonl.gz"))
    _load_sensor(ctx, "route53-resolver", sensor, flags, lambda net: read_route53(files, network=net))


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def vpcflow(
    ctx: typer.Context,
    paths: Inputs,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """AWS VPC Flow Logs (default v2 format, or custom fields from the header line): CONNECTED_TO with bytes."""
    from graphpivot.loaders.telemetry.aws import read_vpc_flow

    files = expand(paths, ("*.log", "*.log.gz", "*.txt", "*.txt.gz"))
    _load_sensor(ctx, "vpc-flow", sensor, flags, lambda net: read_vpc_flow(files, network=net))


def utc_offset_minutes(text: str) -> int:
    """``+02:00`` / ``-0530`` / ``0`` as minutes east of UTC; exits with a message when malformed."""
    import re

    found = re.fullmatch(r"([+-]?)(\d{1,2})(?::?(\d{2}))?", text.strip())
    if found is None or int(found[2]) > 14 or int(found[3] or 0) > 59:
        fail(f"--utc-offset: expected +HH:MM, found {text!r}")
    assert found is not None
    minutes = int(found[2]) * 60 + int(found[3] or 0)
    return -minutes if found[1] == "-" else minutes


@option_block(LoadFlags, into="flags")
@option_block(SensorFlags, into="sensor")
def windns(
    ctx: typer.Context,
    paths: Inputs,
    utc_offset: Annotated[str, typer.Option(
        "--utc-offset", help="The DNS server's offset from UTC (its log is in local time), e.g. +02:00.")] = "+00:00",
    day_first: Annotated[bool, typer.Option(
        "--day-first", help="Dates are D/M/YYYY (the server's locale), not M/D/YYYY.")] = False,
    *,
    sensor: SensorFlags,
    flags: LoadFlags,
) -> None:
    """Windows DNS Server debug log (dns.log): client queries as QUERIED, response codes from the flags."""
    from graphpivot.loaders.telemetry.windns import read_windns

    files = expand(paths, ("*.log", "*.log.gz", "*.txt", "*.txt.gz"))
    offset = utc_offset_minutes(utc_offset)
    _load_sensor(ctx, "windns", sensor, flags,
                 lambda net: read_windns(files, network=net, day_first=day_first, utc_offset=offset))
