"""A small self-made scenario for ``graphpivot demo``: adversary infrastructure, hubs, IP reuse, internal hosts.

All names use reserved documentation ranges (RFC 5737 / RFC 2606-style) or
invented names; nothing here is real intel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from graphpivot.model import Edge, Record, entity

SOURCE = "demo"
SEED = "evil-update.com"


def t(day: str) -> int:
    """Epoch seconds of an ISO date in the scenario."""
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def _resolves(domain: str, ip: str, first: str, last: str) -> Iterator[Record]:
    yield entity("Domain", domain)
    yield entity("IP", ip)
    yield Edge("RESOLVES_TO", "Domain", domain, "IP", ip, {"first_seen": t(first), "last_seen": t(last)})


def _queried(host: str, domain: str, first: str, last: str, count: int) -> Iterator[Record]:
    yield entity("Host", host)
    yield Edge(
        "QUERIED", "Host", host, "Domain", domain, {"first_seen": t(first), "last_seen": t(last), "count": count}
    )


def scenario() -> Iterator[Record]:
    """Every record of the demo graph."""
    report = entity("Report", "demo:apt-report-1", name="Demo actor report", source=SOURCE, published=t("2026-10-25"))
    yield report
    for indicator in (SEED, "cdn-sync.net"):
        yield entity("Domain", indicator, indicator=True)
        yield Edge("MENTIONS", "Report", report.key, "Domain", indicator, {"first_seen": t("2026-10-25")})
    # The adversary's estate shares an IP and a name server with the seed while it is live.
    yield from _resolves(SEED, "203.0.113.10", "2026-10-01", "2026-10-20")
    yield from _resolves("login-verify.net", "203.0.113.10", "2026-10-03", "2026-10-18")
    yield from _resolves("mail-sync.org", "203.0.113.10", "2026-10-10", "2026-10-19")
    yield from _resolves("cdn-sync.net", "203.0.113.22", "2026-10-02", "2026-10-21")
    yield from _resolves("login-verify.net", "203.0.113.22", "2026-10-04", "2026-10-21")
    for domain in (SEED, "login-verify.net"):
        yield Edge("NS", "Domain", domain, "Domain", "ns1.evil-dns.net", {"first_seen": t("2026-10-01")})
    # IP reuse: a bakery moved onto the adversary's IP a month after it left.
    yield from _resolves("benign-bakery.com", "203.0.113.10", "2026-11-15", "2026-11-27")
    # A shared-hosting hub: the seed once sat beside 300 unrelated sites.
    yield from _resolves(SEED, "198.51.100.7", "2026-09-01", "2026-09-30")
    for n in range(300):
        yield from _resolves(f"shop-{n:03d}.example", "198.51.100.7", "2026-08-01", "2026-11-27")
    # Internal hosts.
    yield from _queried("10.0.0.5", "login-verify.net", "2026-10-05", "2026-10-06", 12)
    yield from _queried("10.0.0.9", SEED, "2026-10-07", "2026-10-07", 3)
    yield from _queried("10.0.0.8", "benign-bakery.com", "2026-11-20", "2026-11-25", 40)
    yield from _queried("10.0.0.7", "shop-042.example", "2026-10-05", "2026-10-05", 2)
