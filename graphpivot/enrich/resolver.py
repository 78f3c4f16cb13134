"""DNS through an explicit resolver list (dnspython); never the system resolver unless asked for.

Every job that needs DNS (names to enrich, names to connect to, ASN origin
records) queries through :func:`query`, which turns each way a query can end
into an outcome with a reason instead of an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.message
import dns.nameserver
import dns.rcode
import dns.resolver

from graphpivot import canonical as c

DEFAULT_PORT = 53


def parse_resolver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` to (address, port); raises InvalidValue."""
    host, port = c.split_host_port(text.strip())
    return c.canonical_ip(host), port or DEFAULT_PORT


def make_resolver(servers: list[tuple[str, int]], *, timeout: float) -> dns.resolver.Resolver:
    """A stub resolver that asks only ``servers``, without cache, search list or SERVFAIL retries."""
    if not servers:
        raise ValueError("no resolver given")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port) for address, port in servers]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.retry_servfail = False
    return resolver


def system_resolver(*, timeout: float) -> dns.resolver.Resolver:
    """The machine's own resolver (``/etc/resolv.conf``): only when the analyst asks for it."""
    resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.retry_servfail = False
    return resolver


def describe(resolver: dns.resolver.Resolver) -> str:
    """``127.0.0.1:5300, [2001:db8::53]:53`` for plans and logs."""
    names = []
    for ns in resolver.nameservers:
        if isinstance(ns, dns.nameserver.Do53Nameserver):
            host = f"[{ns.address}]" if ":" in ns.address else ns.address
            names.append(f"{host}:{ns.port}")
        else:
            names.append(str(ns))
    return ", ".join(names)


@dataclass
class Answer:
    """How one query ended: ``status`` ok, nodata, nxdomain, servfail, refused, timeout or error."""

    status: str
    reason: str
    response: dns.message.Message | None = None


def _rcode_failure(exc: dns.resolver.NoNameservers) -> Answer:
    """Every server failed: report the rcode they answered (SERVFAIL, REFUSED) or the first error."""
    errors = exc.kwargs.get("errors") or []
    rcodes = []
    for error in errors:
        response = error[4] if len(error) > 4 else None
        if isinstance(response, dns.message.Message):
            rcodes.append(dns.rcode.to_text(response.rcode()))
    if rcodes:
        rcode = rcodes[0]
        status = rcode.lower() if rcode in ("SERVFAIL", "REFUSED") else "error"
        return Answer(status, f"{rcode} from every resolver")
    detail = str(errors[0][3]) if errors else str(exc)
    return Answer("error", f"no resolver answered: {detail}")


def query(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> Answer:
    """One query; never raises for DNS or network trouble."""
    try:
        answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return Answer("nxdomain", f"{name}: no such name (NXDOMAIN)")
    except dns.resolver.LifetimeTimeout:
        return Answer("timeout", f"no answer to {rdtype} {name} within {resolver.lifetime:g} s")
    except dns.resolver.NoNameservers as exc:
        return _rcode_failure(exc)
    except dns.exception.DNSException as exc:
        return Answer("error", f"{rdtype} {name}: {exc}")
    status = "ok" if answer.rrset is not None else "nodata"
    return Answer(status, "", answer.response)
