"""RDAP for IP addresses: netblock, organisation, country and registry; the origin ASN (ipwhois).

ipwhois fetches from the registries' fixed HTTPS endpoints itself, so this
loader fetches the RDAP JSON from a configurable base URL (``{base}/ip/{ip}``,
ipwhois's bootstrap service by default) and hands it to ipwhois's parser
(``RDAP.lookup(response=...)``). The origin ASN and announced prefix come from
the origin TXT records ipwhois reads (``<reversed ip>.origin.asn.cymru.com``),
queried through the job's resolvers and parsed by ipwhois. One lookup serves
every address inside the returned netblocks: the job caches by netblock.
"""

from __future__ import annotations

import ipaddress
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import dns.resolver
from ipwhois.asn import IPASN
from ipwhois.exceptions import IPDefinedError
from ipwhois.net import Net
from ipwhois.rdap import RDAP

from graphpivot.canonical import InvalidValue
from graphpivot.enrich.base import Lookup, Target
from graphpivot.enrich.resolver import describe, query
from graphpivot.loaders.textio import loads_limited
from graphpivot.model import Edge, Node, Record, Reject, entity

MAX_RDAP_BYTES = 1 << 20  # an RDAP ip-network answer is a few KiB; more is refused
MAX_RDAP_DEPTH = 32


def check_base_url(base_url: str, service: str = "RDAP") -> str:
    """A service's base URL: https, or http only to a loopback address (a local test server); else ValueError."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return base_url
    if parts.scheme == "http" and parts.hostname:
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return base_url
        except ValueError:
            if parts.hostname == "localhost":
                return base_url
    raise ValueError(f"{service} base URL must be https:// (http:// only to a loopback test server): {base_url!r}")


class SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to the scheme of the request (never https to http, never to file: or ftp:)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        old, new = urllib.parse.urlsplit(req.full_url).scheme, urllib.parse.urlsplit(newurl).scheme
        if new != old or new not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, f"redirect from {old} to {new or 'a relative'} refused",
                                         headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
_REGISTRIES = {"arin": "arin", "ripe": "ripencc", "apnic": "apnic", "lacnic": "lacnic", "afrinic": "afrinic"}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Registration:
    """The parts of an RDAP ip-network object the graph keeps."""

    cidrs: tuple[str, ...]
    name: str | None
    org: str | None
    country: str | None
    registry: str | None


@dataclass(frozen=True)
class Origin:
    """The announced prefix of an address and its origin AS."""

    asn: str
    prefix: str
    country: str | None
    registry: str | None


class LookupFailedError(Exception):
    """A lookup ended without data: ``outcome`` and a reason for the Enrichment record."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _registry(port43: Any) -> str | None:
    host = str(port43 or "").lower()
    return next((name for key, name in _REGISTRIES.items() if key in host), None)


def _org(objects: dict[str, Any]) -> str | None:
    """The registrant's name, else the first organisation among the entities."""
    entities = [o for o in objects.values() if isinstance(o, dict)]
    registrants = [o for o in entities if "registrant" in (o.get("roles") or [])]
    orgs = [o for o in entities if (o.get("contact") or {}).get("kind") == "org"]
    for obj in (*registrants, *orgs):
        name = (obj.get("contact") or {}).get("name")
        if name:
            return str(name).strip()
    return None


def parse_registration(address: str, body: bytes) -> Registration:
    """An RDAP ip-network response to a :class:`Registration`; raises LookupFailedError("malformed")."""
    if len(body) > MAX_RDAP_BYTES:
        raise LookupFailedError("malformed", f"RDAP body larger than {MAX_RDAP_BYTES} bytes")
    try:
        data = loads_limited(body.decode("utf-8"), max_depth=MAX_RDAP_DEPTH)
    except (UnicodeDecodeError, ValueError) as exc:
        raise LookupFailedError("malformed", f"RDAP body is not acceptable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LookupFailedError("malformed", f"RDAP body is a JSON {type(data).__name__}, not an object")
    try:
        parsed = RDAP(Net(address)).lookup(response=data, bootstrap=True, root_ent_check=False)
    except IPDefinedError as exc:
        raise LookupFailedError("reserved", str(exc)) from None
    except Exception as exc:  # ipwhois raises plain KeyError/TypeError/ValueError on odd objects
        raise LookupFailedError("malformed", f"not an RDAP ip network: {type(exc).__name__}: {exc}") from None
    network = parsed.get("network") or {}
    cidrs = tuple(c.strip() for c in str(network.get("cidr") or "").split(",") if c.strip())
    if not cidrs:
        raise LookupFailedError("malformed", "RDAP network has no address range")
    return Registration(
        cidrs=cidrs,
        name=network.get("name"),
        org=_org(parsed.get("objects") or {}),
        country=(network.get("country") or None),
        registry=_registry(data.get("port43")),
    )


def registration_records(address: str, reg: Registration, observed_at: int) -> list[Record]:
    """The address's Netblock (the registered range holding it) with name, org, country and registry."""
    ip = ipaddress.ip_address(address)
    holder = next((c for c in reg.cidrs if ip in ipaddress.ip_network(c, strict=False)), reg.cidrs[0])
    seen = {"first_seen": observed_at, "last_seen": observed_at}
    props = {"name": reg.name, "org": reg.org, "country": reg.country, "registry": reg.registry}
    block = entity("Netblock", holder, **{k: v for k, v in props.items() if v}, **seen)
    return [block, Edge("IN_NETBLOCK", "IP", address, "Netblock", block.key)]


def origin_records(address: str, origin: Origin, observed_at: int) -> list[Record]:
    """``(IP)-[:IN_NETBLOCK]->(prefix)-[:ANNOUNCED_BY]->(ASN)``."""
    seen = {"first_seen": observed_at, "last_seen": observed_at}
    props = {k: v for k, v in (("country", origin.country), ("registry", origin.registry)) if v}
    asn = entity("ASN", origin.asn, **props, **seen)
    prefix = entity("Netblock", origin.prefix, **seen)
    return [
        asn,
        prefix,
        Edge("IN_NETBLOCK", "IP", address, "Netblock", prefix.key),
        Edge("ANNOUNCED_BY", "Netblock", prefix.key, "ASN", asn.key),
    ]


class _NetblockCache:
    """Answers already fetched, by the networks they cover."""

    def __init__(self) -> None:
        self._entries: list[tuple[tuple[Network, ...], Any]] = []
        self._lock = threading.Lock()

    def get(self, address: str) -> Any:
        ip = ipaddress.ip_address(address)
        with self._lock:
            return next((value for nets, value in self._entries if any(ip in n for n in nets)), None)

    def put(self, cidrs: tuple[str, ...], value: Any) -> None:
        with self._lock:
            self._entries.append((tuple(ipaddress.ip_network(c, strict=False) for c in cidrs), value))


class RdapEnricher:
    """Registration data for IPs from an RDAP service, plus origin ASN from DNS; cached by netblock."""

    job: str = "rdap"
    labels: tuple[str, ...] = ("IP",)
    touches_targets = True
    history = False

    def __init__(self, base_url: str, *, timeout: float, resolver: dns.resolver.Resolver | None) -> None:
        self.base_url = check_base_url(base_url).rstrip("/")
        self.timeout = timeout
        self.resolver = resolver
        self._registrations = _NetblockCache()
        self._origins = _NetblockCache()
        self._opener = urllib.request.build_opener(SameSchemeRedirects)

    def describe(self) -> str:
        asn = f"; origin ASN from DNS via {describe(self.resolver)}" if self.resolver else "; no ASN lookups"
        return f"RDAP requests to {self.base_url}/ip/<address>{asn}"

    def _fetch(self, address: str) -> bytes:
        request = urllib.request.Request(
            f"{self.base_url}/ip/{address}",
            headers={"Accept": "application/rdap+json, application/json", "User-Agent": "graphpivot-enrich"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body: bytes = response.read(MAX_RDAP_BYTES + 1)
                if len(body) > MAX_RDAP_BYTES:
                    raise LookupFailedError("malformed", f"RDAP answer larger than {MAX_RDAP_BYTES} bytes")
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise LookupFailedError("not_found", f"RDAP has no network for {address} (HTTP 404)") from None
            outcome = "http_error" if exc.code == 429 or exc.code >= 500 else "bad_request"
            raise LookupFailedError(outcome, f"RDAP answered HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise self._network_failure(exc.reason) from None
        except OSError as exc:
            raise self._network_failure(exc) from None

    def _network_failure(self, reason: object) -> LookupFailedError:
        if isinstance(reason, ConnectionRefusedError):
            return LookupFailedError("refused", f"connection refused by {self.base_url}")
        if isinstance(reason, TimeoutError):
            return LookupFailedError("timeout", f"no RDAP answer within {self.timeout:g} s")
        return LookupFailedError("unreachable", f"{self.base_url}: {reason}")

    def _registration(self, address: str) -> tuple[Registration, bool]:
        cached = self._registrations.get(address)
        if cached is not None:
            return cached, True
        reg = parse_registration(address, self._fetch(address))
        self._registrations.put(reg.cidrs, reg)
        return reg, False

    def _origin(self, address: str) -> Origin | None:
        """The announced prefix and AS, or None when the address is not announced."""
        assert self.resolver is not None
        cached = self._origins.get(address)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        answer = query(self.resolver, Net(address).dns_zone, "TXT")
        if answer.status in ("nxdomain", "nodata"):
            return None
        if answer.response is None:
            raise LookupFailedError(answer.status, f"origin ASN: {answer.reason}")
        texts = [str(rdata) for rrset in answer.response.answer for rdata in rrset if rrset.rdtype == 16]
        try:
            fields = IPASN(Net(address)).parse_fields_dns(texts[0])
        except Exception as exc:  # ipwhois raises its own ASNParseError / ASNRegistryError
            raise LookupFailedError("malformed", f"origin ASN record {texts[:1]}: {exc}") from None
        if not str(fields.get("asn", "")).isdigit():
            return None
        origin = Origin(
            str(fields["asn"]), fields["asn_cidr"], fields.get("asn_country_code") or None, fields.get("asn_registry")
        )
        self._origins.put((origin.prefix,), origin)
        return origin

    def lookup(self, target: Target, observed_at: int) -> Lookup:
        address = target.key
        records: list[Record] = [Node("IP", address, {"first_seen": observed_at, "last_seen": observed_at})]
        try:
            reg, cached = self._registration(address)
        except LookupFailedError as exc:
            return Lookup(target, exc.outcome, exc.reason, records)
        try:
            records += registration_records(address, reg, observed_at)
        except InvalidValue as exc:
            records.append(Reject(f"rdap:{address}", None, f"netblock {reg.cidrs}: {exc}"))
        reason = f"{', '.join(reg.cidrs)} {reg.name or '-'} ({reg.org or 'no org'}, {reg.country or '-'})"
        if cached:
            reason += " [cached]"
        if self.resolver is None:
            return Lookup(target, "ok", reason, records)
        try:
            origin = self._origin(address)
        except LookupFailedError as exc:
            return Lookup(target, "partial", f"{reason}; {exc.reason}", records)
        if origin is None:
            return Lookup(target, "ok", f"{reason}; not announced", records)
        try:
            records += origin_records(address, origin, observed_at)
        except InvalidValue as exc:
            records.append(Reject(f"rdap:{address}", None, f"origin {origin}: {exc}"))
        return Lookup(target, "ok", f"{reason}; AS{origin.asn} via {origin.prefix}", records)
