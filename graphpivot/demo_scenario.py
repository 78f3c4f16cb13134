"""A self-made enterprise for ``graphpivot demo``, with its ground truth.

An actor's report names two domains, an IP, a paste URL, an implant's JA3 client
fingerprint, a certificate and a registrant e-mail, valid in October 2026. Around
them: the actor's other domains (sharing its IP and name server), a shared-hosting
IP with 300 shops, a CDN IP with 250 sites, a bakery that moved onto the actor's IP
after it left, a paste site used by many benign hosts, a file-sharing service used
for one exfiltration upload, an IP-lookup service that a "suspicious" list names,
60 workstations browsing all of it, and two assets with no telemetry at all.
:data:`EXPOSED` says which hosts truly touched the actor, and how.

Names are invented (``.example`` where possible, RFC 5737 addresses); nothing here
is real intel, and nothing resolves them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from graphpivot.model import Edge, Node, Record, entity

SOURCE = "demo"
SEED = "evil-update.com"
REPORT = "demo:apt-report-1"
SUSPICIOUS_REPORT = "demo:ip-lookup-services"
THREAT = "demo actor"
WINDOW = ("2026-10-01", "2026-10-31")
PASTE_C2 = "https://pastebin.com/raw/Xk3dP9Qa"
IMPLANT_JA3 = "ja3:5d3f1c2b9a8e7d6c5b4a39281706f5e4"
BROWSER_JA3 = "ja3:0a1b2c3d4e5f60718293a4b5c6d7e8f9"
C2_IP = "203.0.113.10"
LOOKUP_SERVICE = "ip-check.example"
WORKSTATIONS = [f"10.0.1.{n}" for n in range(1, 61)]
PASTE_USERS = WORKSTATIONS[:25]
LOOKUP_USERS = WORKSTATIONS[30:40]
SILENT_ASSETS = ("fin-db-01", "hr-laptop-17")

# Ground truth: every host that touched the actor's infrastructure while it was the actor's.
EXPOSED: dict[str, str] = {
    "10.0.0.9": "resolved evil-update.com and connected to its C2 IP",
    "10.0.0.5": "resolved login-verify.net, which shares the actor's IP and name server",
    "10.0.0.44": "resolved mail-sync.org, which shares the actor's IP",
    "10.0.0.40": "resolved update.evil-update.com",
    "10.0.0.12": "beacons to the actor's paste-site C2 URL",
    "10.0.0.21": "resolved cdn-sync.net, then uploaded 250 MB to a file-sharing service",
    "10.0.0.33": "runs the implant: its TLS client fingerprint",
}
# Traps: hosts a naive pivot would blame.
NOT_EXPOSED: dict[str, str] = {
    "10.0.0.8": "browses benign-bakery.com, on the actor's old IP a month after the actor left",
    "10.0.0.7": "shops at shop-042.example, on a shared-hosting IP with 300 sites",
    "10.0.0.66": "an analyst looking the seed up after the report, outside its validity window",
}


def t(day: str) -> int:
    """Epoch seconds of an ISO date (or date-time) in the scenario, UTC."""
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def _seen(first: str, last: str, **props: object) -> dict[str, object]:
    return {"first_seen": t(first), "last_seen": t(last), **props}


def _resolves(domain: str, ip: str, first: str, last: str) -> Iterator[Record]:
    yield entity("Domain", domain)
    yield entity("IP", ip)
    yield Edge("RESOLVES_TO", "Domain", domain, "IP", ip, _seen(first, last, sources=["demo-passive-dns"]))


def _queried(host: str, domain: str, first: str, last: str, count: int) -> Iterator[Record]:
    yield entity("Host", host)
    yield Edge("QUERIED", "Host", host, "Domain", domain, _seen(first, last, count=count, sources=["demo-dns"]))


def _requested(
    host: str, url: str, first: str, last: str, count: int, method: str = "GET", sent: int = 0
) -> Iterator[Record]:
    node = entity("URL", url)
    yield node
    props = _seen(first, last, count=count, methods=[method], bytes_out=sent, sources=["demo-proxy"])
    yield Edge("REQUESTED", "Host", host, "URL", node.key, props)
    yield Edge("ON_HOST", "URL", node.key, "Domain", node.props["host"], _seen(first, last))


def _connected(host: str, ip: str, first: str, last: str, sent: int) -> Iterator[Record]:
    props = _seen(first, last, count=3, bytes_out=sent, bytes_in=sent * 4, ports=[443], sources=["demo-flows"])
    yield Edge("CONNECTED_TO", "Host", host, "IP", ip, props)


def _client(host: str, fingerprint: str, first: str, last: str) -> Iterator[Record]:
    yield Edge("USED_CLIENT", "Host", host, "Fingerprint", fingerprint, _seen(first, last, sources=["demo-tls"]))


def _mention(report: Node, indicator: Node, **props: object) -> Iterator[Record]:
    yield indicator
    props = {"first_seen": t("2026-10-25"), **props}
    yield Edge("MENTIONS", "Report", report.key, indicator.label, indicator.key, props)


def intel() -> Iterator[Record]:
    """The actor report (malicious, valid in October) and a 'suspicious' list of IP-lookup services."""
    report = entity("Report", REPORT, name="Demo actor: update-themed C2", source=SOURCE, published=t("2026-10-25"))
    threat = entity("Threat", THREAT, name=THREAT, threat_type="actor")
    yield report
    yield threat
    yield Edge("ABOUT", "Report", report.key, "Threat", threat.key, {"first_seen": t("2026-10-25")})
    window = {"valid_from": t(WINDOW[0]), "valid_until": t(WINDOW[1] + "T23:59:59"), "confidence": 80}
    indicators = [
        entity("Domain", SEED, indicator=True),
        entity("Domain", "cdn-sync.net", indicator=True),
        entity("IP", C2_IP, indicator=True),
        entity("URL", PASTE_C2, indicator=True),
        entity("Fingerprint", IMPLANT_JA3, indicator=True),
        entity("Certificate", "7f" * 32, indicator=True, subject_cn=SEED),
        entity("Email", "ops@evil-dns.net", indicator=True),
    ]
    for node in indicators:
        yield from _mention(report, node, **window)
        yield Edge("ATTRIBUTED_TO", node.label, node.key, "Threat", threat.key, {"first_seen": t("2026-10-25")})
    yield Edge("ON_HOST", "URL", PASTE_C2, "Domain", "pastebin.com", {"first_seen": t("2026-10-25")})
    lookup = entity("Report", SUSPICIOUS_REPORT, name="IP-lookup services", source=SOURCE, tags=["suspicious"])
    yield lookup
    yield from _mention(lookup, entity("Domain", LOOKUP_SERVICE, indicator=True))


def infrastructure() -> Iterator[Record]:
    """The actor's estate, the hubs beside it, and the IP reuse after it left."""
    yield from _resolves(SEED, C2_IP, "2026-10-01", "2026-10-20")
    yield from _resolves("login-verify.net", C2_IP, "2026-10-03", "2026-10-18")
    yield from _resolves("mail-sync.org", C2_IP, "2026-10-10", "2026-10-19")
    yield from _resolves("cdn-sync.net", "203.0.113.22", "2026-10-02", "2026-10-21")
    yield from _resolves("login-verify.net", "203.0.113.22", "2026-10-04", "2026-10-21")
    yield from _resolves("update.evil-update.com", "203.0.113.22", "2026-10-05", "2026-10-20")
    for domain in (SEED, "login-verify.net"):
        yield Edge("NS", "Domain", domain, "Domain", "ns1.evil-dns.net", _seen("2026-10-01", "2026-10-20"))
    # IP reuse: a bakery moved onto the actor's C2 IP a month after the actor left.
    yield from _resolves("benign-bakery.com", C2_IP, "2026-11-15", "2026-11-27")
    # Shared hosting: the seed once sat beside 300 unrelated shops.
    yield from _resolves(SEED, "198.51.100.7", "2026-09-01", "2026-09-30")
    for n in range(300):
        yield from _resolves(f"shop-{n:03d}.example", "198.51.100.7", "2026-08-01", "2026-11-27")
    # A CDN edge address shared by the actor's front domain and 250 popular sites.
    yield from _resolves("cdn-sync.net", "192.0.2.80", "2026-10-02", "2026-10-21")
    for n in range(250):
        yield from _resolves(f"site-{n:03d}.example", "192.0.2.80", "2026-08-01", "2026-11-27")


def web_services() -> Iterator[Record]:
    """Catalogue entries for the paste site and the file-sharing service."""
    yield entity("WebService", "pastebin", name="Pastebin", category="paste", abuse=["c2", "staging"],
                 attack_ids=["T1102.001", "T1102.003"])
    yield Edge("OPERATED_BY", "Domain", "pastebin.com", "WebService", "pastebin", _seen("2026-08-01", "2026-08-01"))
    yield entity("WebService", "dropfile", name="Dropfile", category="file-share", abuse=["exfil", "staging"],
                 attack_ids=["T1567.002"])
    yield Edge("OPERATED_BY", "Domain", "dropfile.example", "WebService", "dropfile", _seen("2026-08-01", "2026-08-01"))


def benign_traffic() -> Iterator[Record]:
    """Sixty workstations: CDN-hosted sites, a shop, paste pages, an IP-lookup service, a browser JA3.

    Proxy logs start on 1 September, flow records on 1 October, TLS client fingerprints on 10 October.
    """
    for n, host in enumerate(WORKSTATIONS):
        for k in range(3):
            yield from _queried(host, f"site-{(n * 7 + k * 31) % 250:03d}.example", "2026-08-03", "2026-11-26", 40)
        yield from _client(host, BROWSER_JA3, "2026-10-10", "2026-11-26")
        yield from _requested(host, f"https://site-{n * 7 % 250:03d}.example/", "2026-09-01", "2026-11-26", 30)
        yield from _connected(host, "192.0.2.80", "2026-10-01", "2026-11-26", 40_000)
    yield from _queried("10.0.1.7", "shop-042.example", "2026-10-05", "2026-10-05", 2)
    for n, host in enumerate(PASTE_USERS):
        yield from _queried(host, "pastebin.com", "2026-08-10", "2026-11-20", 6)
        yield from _requested(host, f"https://pastebin.com/Pa{n:04d}xy", "2026-09-02", "2026-11-20", 2)
    for host in LOOKUP_USERS:
        yield from _queried(host, LOOKUP_SERVICE, "2026-09-01", "2026-11-25", 15)
    for asset in SILENT_ASSETS:
        yield entity("Host", asset, hostname=asset, criticality="high")


def exposed_hosts() -> Iterator[Record]:
    """The hosts in :data:`EXPOSED`, and the traps in :data:`NOT_EXPOSED`."""
    yield from _queried("10.0.0.9", SEED, "2026-10-07", "2026-10-07", 3)
    yield from _connected("10.0.0.9", C2_IP, "2026-10-07", "2026-10-09", 20_000)
    yield from _queried("10.0.0.5", "login-verify.net", "2026-10-05", "2026-10-06", 12)
    yield from _queried("10.0.0.44", "mail-sync.org", "2026-10-12", "2026-10-12", 4)
    yield from _queried("10.0.0.40", "update.evil-update.com", "2026-10-09", "2026-10-11", 9)
    yield from _queried("10.0.0.12", "pastebin.com", "2026-10-08", "2026-10-30", 480)
    yield from _requested("10.0.0.12", PASTE_C2, "2026-10-08", "2026-10-30", 480)
    yield from _queried("10.0.0.21", "cdn-sync.net", "2026-10-15", "2026-10-15", 2)
    yield from _queried("10.0.0.21", "dropfile.example", "2026-10-16", "2026-10-16", 1)
    upload = "https://dropfile.example/upload"
    yield from _requested("10.0.0.21", upload, "2026-10-16", "2026-10-16", 1, "POST", 250_000_000)
    yield from _client("10.0.0.33", IMPLANT_JA3, "2026-10-10", "2026-10-25")
    yield from _client("10.0.0.33", BROWSER_JA3, "2026-10-10", "2026-11-26")
    # Traps.
    yield from _queried("10.0.0.8", "benign-bakery.com", "2026-11-20", "2026-11-25", 40)
    yield from _connected("10.0.0.8", C2_IP, "2026-11-20", "2026-11-25", 9_000)
    yield from _queried("10.0.0.7", "shop-042.example", "2026-10-05", "2026-10-05", 2)
    yield from _queried("10.0.0.66", SEED, "2026-11-26", "2026-11-26", 1)


def scenario() -> Iterator[Record]:
    """Every record of the demo graph."""
    yield from intel()
    yield from infrastructure()
    yield from web_services()
    yield from benign_traffic()
    yield from exposed_hosts()
