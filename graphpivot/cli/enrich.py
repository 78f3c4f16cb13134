"""``graphpivot enrich dns|rdap|tls``: batch enrichment from live services, passive unless --active."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from graphpivot.canonical import InvalidValue
from graphpivot.catalog import QueryError
from graphpivot.cli.context import fail, state
from graphpivot.cli.options import option_block
from graphpivot.enrich.base import DEFAULT_RDAP_URL, Enricher
from graphpivot.enrich.joblog import JobLog
from graphpivot.enrich.prepare import JobRequest, prepare, show_plan
from graphpivot.enrich.runner import EXIT_FAILED, Job, JobSummary, Limits
from graphpivot.enrich.selection import BUILTIN
from graphpivot.maintenance import refresh
from graphpivot.times import duration_seconds

if TYPE_CHECKING:
    import dns.resolver

app = typer.Typer(
    help="Enrich the graph from live services (DNS, RDAP, TLS, passive DNS). Passive unless --active.",
    no_args_is_help=True,
)

Targets = Annotated[
    list[str] | None,
    typer.Option(
        "--targets", help=f"Built-in selection ({', '.join(BUILTIN)}); repeatable (default: indicators, frontier)."
    ),
]
Select = Annotated[
    str | None, typer.Option("--select", help="Stored query (cypher/enrich, pivot or hunt) giving the targets.")
]
Params = Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for --select; repeatable.")]
Column = Annotated[
    str | None, typer.Option("--column", help="Column of --select holding the domain or IP (default: first).")
]
Explicit = Annotated[list[str] | None, typer.Option("--target", help="A domain or IP to enrich; repeatable.")]
Active = Annotated[
    bool, typer.Option("--active", help="Also touch indicator infrastructure (their name servers, hosts).")
]
AllowPrivate = Annotated[bool, typer.Option("--allow-private", help="Allow private, loopback and reserved targets.")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation in a terminal.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what the job would touch, then stop.")]
MaxAge = Annotated[
    str, typer.Option("--max-age", help="Skip targets answered within this age (30m, 12h, 7d; 0 = none).")
]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Enrich at most this many targets.")]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, max=256, help="Lookups in flight at once.")]
Timeout = Annotated[float, typer.Option("--timeout", min=0.05, help="Seconds per request.")]
Retries = Annotated[int, typer.Option("--retries", min=0, max=10, help="Extra attempts after a transient failure.")]
Backoff = Annotated[float, typer.Option("--backoff", min=0.0, help="First retry delay in seconds; doubles each retry.")]
Rate = Annotated[float | None, typer.Option("--rate", min=0.01, help="At most this many requests per second.")]
LogJson = Annotated[bool, typer.Option("--log-json", help="One JSON object per event on stderr (for schedulers).")]
SummaryJson = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
Resolvers = Annotated[
    list[str] | None,
    typer.Option(
        "--resolver", envvar="GRAPHPIVOT_RESOLVERS", help="Resolver IP[:PORT]; repeatable (env GRAPHPIVOT_RESOLVERS)."
    ),
]
SystemResolver = Annotated[bool, typer.Option("--system-resolver", help="Use the machine's resolv.conf resolvers.")]


@dataclass
class JobFlags:
    """Options every enrichment job takes (defaults: the DNS job's)."""

    targets: Targets = None
    select: Select = None
    params: Params = None
    column: Column = None
    explicit: Explicit = None
    active: Active = False
    allow_private: AllowPrivate = False
    yes: Yes = False
    dry_run: DryRun = False
    max_age: MaxAge = "1d"
    limit: Limit = None
    concurrency: Concurrency = 8
    timeout: Timeout = 5.0
    retries: Retries = 2
    backoff: Backoff = 0.5
    rate: Rate = None
    log_json: LogJson = False
    summary_json: SummaryJson = False


@dataclass
class RdapJobFlags(JobFlags):
    """RDAP registries ask for gentle clients: fewer lookups in flight, a rate limit, a week's cache."""

    max_age: MaxAge = "7d"
    concurrency: Concurrency = 4
    timeout: Timeout = 10.0
    backoff: Backoff = 1.0
    rate: Rate = 5.0


@dataclass
class TlsJobFlags(JobFlags):
    """A handshake is costly to the target: one retry."""

    retries: Retries = 1


def parse_age(text: str) -> int:
    """``90``, ``30m``, ``12h``, ``7d``, ``2w`` to seconds."""
    try:
        return duration_seconds(text)
    except InvalidValue as exc:
        raise typer.BadParameter(str(exc)) from None


@dataclass
class JobOptions:
    """A command's shared options: the request, the limits and how to talk to the analyst."""

    request: JobRequest
    limits: Limits
    timeout: float
    yes: bool
    dry_run: bool
    log_json: bool
    summary_json: bool


def _params(items: list[str]) -> dict[str, str]:
    raw = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--param {item!r}: expected NAME=VALUE")
        raw[name.strip()] = value
    return raw


def _options(flags: JobFlags, ports: tuple[int, ...] = ()) -> JobOptions:
    """The request, limits and manners of a job, from its flags."""
    targets = flags.targets or []
    unknown = sorted(set(targets) - set(BUILTIN))
    if unknown:
        fail(f"--targets {unknown[0]!r}: choose from {', '.join(BUILTIN)}")
    default = [] if (flags.select or flags.explicit) else ["indicators", "frontier"]
    request = JobRequest(
        targets=list(targets or default),
        select=flags.select,
        params=_params(flags.params or []),
        column=flags.column,
        explicit=list(flags.explicit or []),
        active=flags.active,
        allow_private=flags.allow_private,
        max_age=parse_age(flags.max_age),
        limit=flags.limit,
        ports=ports,
    )
    limits = Limits(concurrency=flags.concurrency, retries=flags.retries, backoff=flags.backoff, rate=flags.rate)
    return JobOptions(
        request=request,
        limits=limits,
        timeout=flags.timeout,
        yes=flags.yes,
        dry_run=flags.dry_run,
        log_json=flags.log_json,
        summary_json=flags.summary_json,
    )


def _resolver(values: list[str] | None, use_system: bool, timeout: float) -> dns.resolver.Resolver | None:
    from graphpivot.enrich.resolver import make_resolver, parse_resolver, system_resolver

    if use_system:
        return system_resolver(timeout=timeout)
    if not values:
        return None
    try:
        servers = [parse_resolver(v) for item in values for v in item.replace(",", " ").split()]
    except InvalidValue as exc:
        fail(f"--resolver: {exc} (expected IP[:PORT])")
    return make_resolver(servers, timeout=timeout)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (and SIGINT) ask the job to stop: finished lookups are recorded, the run can be resumed."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _print_summary(summary: JobSummary, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
        return
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "none"
    edges = ", ".join(f"{k} {v}" for k, v in sorted(summary.edges.items())) or "none"
    state_text = "interrupted (run again to resume)" if summary.interrupted else "done"
    typer.echo(
        f"enrich {summary.job}: {state_text}; {summary.answered + summary.failed}/{summary.planned} targets, "
        f"{summary.failed} failed, in {summary.seconds:.2f} s "
        f"(run {summary.run}{', resumed' if summary.resumed else ''})"
    )
    typer.echo(f"  outcomes: {outcomes}")
    typer.echo(f"  edges written: {edges}; rejected records: {summary.rejected}")


def run_job(ctx: typer.Context, enricher: Enricher, opts: JobOptions) -> None:
    """Select, show the plan, confirm, run, record; exit 0 success, 1 partial, 2 failure, 3 interrupted."""
    st = state(ctx)
    log = JobLog(enricher.job, as_json=opts.log_json)
    with st.store(on_note=lambda note: log.event("reference", note)) as store:
        store.init_schema()
        try:
            run, the_plan = prepare(
                store, enricher, opts.request, now=int(time.time()), timeout=st.settings.query_timeout
            )
        except (InvalidValue, QueryError) as exc:
            fail(str(exc))
        show_plan(log, enricher, the_plan, run, active=opts.request.active)
        if opts.dry_run:
            return
        if the_plan.targets and sys.stdin.isatty() and not opts.yes and not typer.confirm("Proceed?", err=True):
            log.event("aborted", "aborted: nothing was sent")
            raise typer.Exit(EXIT_FAILED)
        stop = threading.Event()
        job = Job(store, enricher, run, limits=opts.limits, log=log, stop=stop, batch_size=st.settings.batch_size)
        with _stop_on_signals(stop):
            summary = job.run(the_plan.targets)
        refresh(store)
    log.event("summary", **summary.as_dict())
    _print_summary(summary, opts.summary_json)
    raise typer.Exit(summary.exit_code)


@app.command("dns")
@option_block(JobFlags, into="flags")
def dns_job(
    ctx: typer.Context,
    resolvers: Resolvers = None,
    use_system: SystemResolver = False,
    *,
    flags: JobFlags,
) -> None:
    """A, AAAA, CNAME, NS, MX, TXT, SOA for names, PTR for IPs. Indicator names only with --active."""
    from graphpivot.enrich.dns_enricher import DnsEnricher

    opts = _options(flags)
    resolver = _resolver(resolvers, use_system, flags.timeout)
    if resolver is None:
        fail("give --resolver IP[:PORT] (or --system-resolver to use this machine's resolv.conf)")
    run_job(ctx, DnsEnricher(resolver), opts)


@app.command("rdap")
@option_block(RdapJobFlags, into="flags")
def rdap_job(
    ctx: typer.Context,
    rdap_url: Annotated[
        str,
        typer.Option("--rdap-url", envvar="GRAPHPIVOT_RDAP_URL", help="RDAP base URL; requests go to BASE/ip/ADDRESS."),
    ] = DEFAULT_RDAP_URL,
    resolvers: Resolvers = None,
    use_system: SystemResolver = False,
    no_asn: Annotated[bool, typer.Option("--no-asn", help="Skip the origin-ASN DNS lookups.")] = False,
    *,
    flags: RdapJobFlags,
) -> None:
    """Netblock, organisation, country, registry (RDAP) and origin ASN for IPs; cached by netblock."""
    from graphpivot.enrich.rdap_enricher import RdapEnricher

    opts = _options(flags)
    resolver = None if no_asn else _resolver(resolvers, use_system, flags.timeout)
    if resolver is None and not no_asn:
        fail("give --resolver IP[:PORT] for the origin-ASN lookups, or --no-asn")
    try:
        enricher = RdapEnricher(rdap_url, timeout=flags.timeout, resolver=resolver)
    except ValueError as exc:
        fail(str(exc))
    run_job(ctx, enricher, opts)


@app.command("tls")
@option_block(TlsJobFlags, into="flags")
def tls_job(
    ctx: typer.Context,
    ports: Annotated[
        list[int] | None, typer.Option("--port", min=1, max=65535, help="Port to connect to; repeatable.")
    ] = None,
    resolvers: Resolvers = None,
    use_system: SystemResolver = False,
    *,
    flags: TlsJobFlags,
) -> None:
    """Certificates served on host:port (SNI for names): Certificate, SERVES_CERT, SAN. Needs --active."""
    from graphpivot.enrich.tls_enricher import TlsEnricher

    if not flags.active:
        fail("a TLS handshake touches the target itself: 'enrich tls' runs only with --active")
    opts = _options(flags, ports=tuple(sorted(set(ports or [443]))))
    resolver = _resolver(resolvers, use_system, flags.timeout)
    run_job(ctx, TlsEnricher(timeout=flags.timeout, resolver=resolver, allow_private=flags.allow_private), opts)


@dataclass
class PdnsJobFlags(JobFlags):
    """A paid API with a quota: a few lookups in flight, a day's cache."""

    max_age: MaxAge = "1d"
    concurrency: Concurrency = 4


@app.command("pdns")
@option_block(PdnsJobFlags, into="flags")
def pdns_job(
    ctx: typer.Context,
    pdns_url: Annotated[str, typer.Option(
        "--pdns-url", envvar="GRAPHPIVOT_PDNS_URL", help="Base URL of the passive DNS API, e.g. https://api.dnsdb.info.")],
    api: Annotated[str, typer.Option("--api", help="dnsdb (Farsight API v1), dnsdb2 (API v2) or circl.")] = "dnsdb",
    per_target: Annotated[int, typer.Option(
        "--per-target", min=1, help="At most this many records per lookup.")] = 1000,
    *,
    flags: PdnsJobFlags,
) -> None:
    """Resolution history of names and addresses from a passive DNS service (COF). Passive by nature.

    Credentials from the environment only: GRAPHPIVOT_PDNS_KEY (DNSDB), GRAPHPIVOT_PDNS_USER and
    GRAPHPIVOT_PDNS_PASSWORD (CIRCL).
    """
    import os

    from graphpivot.enrich.pdns_enricher import PdnsEnricher

    try:
        enricher = PdnsEnricher(
            pdns_url, api=api, timeout=flags.timeout, limit=per_target, key=os.environ.get("GRAPHPIVOT_PDNS_KEY"),
            user=os.environ.get("GRAPHPIVOT_PDNS_USER"), password=os.environ.get("GRAPHPIVOT_PDNS_PASSWORD"))
    except ValueError as exc:
        fail(str(exc))
    run_job(ctx, enricher, _options(flags))
