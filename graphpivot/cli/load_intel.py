"""``graphpivot load ioc|stix|misp|feed|fingerprints|certs|webservices``: threat-intel loaders.

:mod:`graphpivot.cli.load` registers these commands. Every command takes the
:class:`~graphpivot.cli.options.LoadFlags` (``--dry-run``, ``--strict``, ``--rejects``,
``--json``) and loads through :func:`graphpivot.cli.loading.run_load`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from graphpivot.canonical import FINGERPRINT_TYPES
from graphpivot.cli.context import fail, state
from graphpivot.cli.loading import check_paths, load_files, run_load
from graphpivot.cli.options import LoadFlags, Paths, option_block
from graphpivot.loaders.intel.csvfeed import PRESETS, FeedColumns, read_csv_feed
from graphpivot.loaders.intel.fingerprints import read_fingerprint_table
from graphpivot.loaders.intel.indicators import KINDS
from graphpivot.loaders.intel.ioclist import read_ioc_list
from graphpivot.loaders.intel.stix import read_stix
from graphpivot.loaders.intel.zeek_intel import read_zeek_intel
from graphpivot.loaders.reference.webservice_catalogue import read_web_services
from graphpivot.model import Note, Progress, Record, Reject, Skipped
from graphpivot.reference.install import catalogue_index
from graphpivot.reference.service_match import CATALOGUE_SOURCE, link_existing

Source = Annotated[str, typer.Option("--source", help="Name of the intel source, recorded on every node and edge.")]
Threat = Annotated[str | None, typer.Option(help="Threat (malware, actor, tool) every value in the files is about.")]


@option_block(LoadFlags, into="flags")
def ioc(
    ctx: typer.Context,
    paths: Paths,
    source: Annotated[str, typer.Option("--source", help="Name of the intel source, recorded on every node and edge.")],
    threat: Annotated[str | None, typer.Option(help="Threat (malware, actor, tool) the list is about.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Tag for the list's Report, repeatable; 'suspicious' = services, not malicious infra."),
    ] = None,
    *,
    flags: LoadFlags,
) -> None:
    """Plain indicator lists: domains, IPs, ip:port, URLs, defanged forms, # comments."""
    load_files(state(ctx), source, paths,
               lambda path, now: read_ioc_list(path, source, threat=threat, tags=tag, observed_at=now), flags)


@option_block(LoadFlags, into="flags")
def zeek_intel(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "zeek-intel",
    flags: LoadFlags,
) -> None:
    """Zeek Intel framework files: ADDR, DOMAIN, URL and EMAIL indicators (hashes and subnets counted, skipped)."""
    load_files(state(ctx), source, paths, lambda p, now: read_zeek_intel(p, source, observed_at=now), flags)


@option_block(LoadFlags, into="flags")
def stix(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "stix",
    flags: LoadFlags,
) -> None:
    """STIX 2.0/2.1 bundles: observables, indicator patterns, threats, reports, relationships."""
    load_files(state(ctx), source, paths, lambda p, now: read_stix(p, source, observed_at=now), flags)


@option_block(LoadFlags, into="flags")
def misp(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "misp",
    flags: LoadFlags,
) -> None:
    """MISP events (REST 'Event'/'response' wrappers, feed event files): attributes, objects, galaxies."""
    from graphpivot.loaders.intel.misp import read_misp  # pymisp takes most of the CLI's start-up: load it here only

    load_files(state(ctx), source, paths, lambda p, now: read_misp(p, source, observed_at=now), flags)


@option_block(LoadFlags, into="flags")
def feed(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Annotated[str, typer.Option("--source", help="Name of the feed, recorded on every node and edge.")],
    columns: Annotated[str | None, typer.Option(
        help="Column mapping ROLE=COLUMN,... (COLUMN a header name or 1-based number); roles: value, type, threat, "
        "first_seen, last_seen, confidence, tags, reference, port. Overrides the preset's entries.")] = None,
    preset: Annotated[str | None, typer.Option(help=f"Known export layout: {', '.join(PRESETS)}.")] = None,
    kind: Annotated[str | None, typer.Option(help=f"Read every value as this kind: {', '.join(KINDS)}.")] = None,
    threat: Threat = None,
    delimiter: Annotated[str, typer.Option(help="Field separator.")] = ",",
    flags: LoadFlags,
) -> None:
    """CSV indicator feeds (ThreatFox, URLhaus, Feodo Tracker exports or any CSV with --columns)."""
    if preset is not None and preset not in PRESETS:
        fail(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if kind is not None and kind not in KINDS:
        fail(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    if columns is None and preset is None:
        fail("say which column holds what: --columns value=COLUMN,... or --preset NAME")
    try:
        mapping = FeedColumns.parse(columns or "", PRESETS.get(preset or ""))
    except ValueError as exc:
        fail(str(exc))
    load_files(state(ctx), source, paths, lambda p, now: read_csv_feed(p, source, columns=mapping, observed_at=now,
                                                                kind=kind, threat=threat, delimiter=delimiter), flags)


@option_block(LoadFlags, into="flags")
def fingerprints(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "fingerprints",
    fp_type: Annotated[str | None, typer.Option("--type", help=f"Fingerprint type when the table has no header "
                                                  f"naming it: {', '.join(FINGERPRINT_TYPES)}.")] = None,
    verdict: Annotated[str | None, typer.Option(
        help="benign or malicious, for rows whose table has no verdict column.")] = None,
    flags: LoadFlags,
) -> None:
    """JA3/JA3S/JA4/JARM/HASSH tables: fingerprints linked to the threats or software behind them."""
    if fp_type is not None and fp_type not in FINGERPRINT_TYPES:
        fail(f"unknown fingerprint type {fp_type!r}; choose from {', '.join(FINGERPRINT_TYPES)}")
    if verdict not in (None, "benign", "malicious"):
        fail("--verdict must be benign or malicious")
    load_files(state(ctx), source, paths, lambda p, now: read_fingerprint_table(p, source, observed_at=now,
                                                                         fp_type=fp_type, verdict=verdict), flags)


@option_block(LoadFlags, into="flags")
def certs(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "certs",
    threat: Threat = None,
    flags: LoadFlags,
) -> None:
    """X.509 certificate files (PEM or DER) from intel: Certificates keyed by SHA-256, with SAN names."""
    from graphpivot.loaders.intel.certfile import read_certificates

    load_files(state(ctx), source, paths,
               lambda p, now: read_certificates(p, source, threat=threat, observed_at=now), flags)


@option_block(LoadFlags, into="flags")
def webservices(
    ctx: typer.Context,
    *,
    path: Annotated[Path | None, typer.Argument(help="Catalogue CSV (default: the one shipped with graphpivot).")] = (
        None
    ),
    flags: LoadFlags,
) -> None:
    """The catalogue of abused web services; links every Domain and URL in the graph it matches."""
    if path is not None:
        check_paths([path])
    now = int(time.time())
    catalogue = list(read_web_services(path, observed_at=now))
    backfill: list[Record] = []
    if not flags.dry_run:
        with state(ctx).store() as store:
            store.init_schema()
            backfill = list(link_existing(store, catalogue_index(catalogue), now))
    run_load(state(ctx), CATALOGUE_SOURCE, itertools.chain(catalogue, backfill), flags, observed_at=now)

@option_block(LoadFlags, into="flags")
def pdns(
    ctx: typer.Context,
    *,
    paths: Paths,
    source: Source = "pdns",
    flags: LoadFlags,
) -> None:
    """Passive DNS, Common Output Format JSON lines (DNSDB, CIRCL): RESOLVES_TO, CNAME, NS, MX, PTR history."""
    from graphpivot.loaders.intel.pdns import read_pdns

    load_files(state(ctx), source, paths, lambda p, now: read_pdns(p, source), flags)


@option_block(LoadFlags, into="flags")
def taxii(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="TAXII 2.1 API root URL, e.g. https://taxii.example/api1/.")],
    *,
    collection: Annotated[str, typer.Option("--collection", help="Collection id under the API root.")],
    added_after: Annotated[str | None, typer.Option(
        "--added-after", help="Fetch objects added after this time (ISO 8601) instead of the saved position.")] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=0, help="Objects per request (0: the server's).")] = 0,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds per request.")] = 30.0,
    source: Source = "taxii",
    flags: LoadFlags,
) -> None:
    """TAXII 2.1 collection: only what was added since the last pull (position kept in the graph), via the STIX loader.

    Credentials from the environment: GRAPHPIVOT_TAXII_USER, GRAPHPIVOT_TAXII_PASSWORD.
    """
    import tempfile

    from graphpivot.feeds.taxii import TaxiiError, collection_url, position_node, pull, saved_position
    from graphpivot.loaders.intel.indicators import epoch

    st = state(ctx)
    target = collection_url(url, collection)
    if added_after is not None:
        try:
            epoch(added_after)
        except ValueError:
            fail(f"--added-after {added_after!r} is not a time (ISO 8601, e.g. 2024-01-31T00:00:00Z)")
    position = added_after
    if position is None:
        with st.store() as store:
            store.init_schema()
            position = saved_position(store, target)
    try:
        fetched = pull(target, added_after=position, per_request=page_size, timeout=timeout)
    except TaxiiError as exc:
        fail(f"TAXII: {exc}")
    now = int(time.time())
    note = Note(f"TAXII {target}: {len(fetched.objects)} new object(s) in {fetched.pages} page(s) added after "
                f"{position or 'the start'}; position now {fetched.position or 'the start'}")
    with tempfile.TemporaryDirectory(prefix="graphpivot-taxii-") as tmp:
        records: Iterable[Record] = [note, position_node(target, fetched.position, len(fetched.objects), now)]
        if fetched.objects:
            bundle = fetched.write_bundle(Path(tmp) / "bundle.json")
            records = itertools.chain(_from_collection(read_stix(bundle, source, observed_at=now), bundle, target),
                                      records)
        run_load(st, source, records, flags, observed_at=now)


def _from_collection(records: Iterable[Record], bundle: Path, url: str) -> Iterator[Record]:
    """The STIX loader's records, with the collection URL (not the temporary bundle) as where rejects came from."""
    for record in records:
        if isinstance(record, Reject | Skipped | Progress) and record.file == str(bundle):
            record.file = url
        yield record
