"""Building blocks of the synthetic enterprise week: time, addresses, names, certificates, sites, sessions.

Everything is drawn from one seeded ``random.Random`` so a seed always gives the
same bytes. Certificates are real DER (Ed25519 keys derived from the seed, whose
signatures are deterministic), so Zeek's SHA-256 fingerprints and the digests a
Suricata loader computes from the base64 DER agree.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

WEEK_START = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp())  # a Monday, 00:00 UTC
DAY = 86_400
DAYS = 7
LOCAL_OFFSET = 3_600  # the offices keep UTC+1

ADJECTIVES = (
    "amber", "bright", "calm", "clever", "coastal", "cosy", "crisp", "daily", "eager", "early", "golden", "green",
    "happy", "honest", "little", "lucky", "lunar", "modern", "noble", "northern", "open", "quiet", "rapid", "royal",
    "rustic", "silver", "simple", "smart", "solid", "sunny", "swift", "tidy", "true", "urban", "vivid", "wild",
)
NOUNS = (
    "anchor", "bakery", "barrel", "bloom", "bridge", "cabin", "candle", "canvas", "cedar", "garden", "harbor", "hive",
    "kettle", "lantern", "maple", "market", "meadow", "mill", "orchard", "otter", "pantry", "pebble", "pine", "quill",
    "river", "saddle", "studio", "summit", "thread", "timber", "trail", "valley", "willow", "workshop", "yard", "zest",
)
ACTOR_WORDS = (
    "update", "secure", "cloud", "sync", "docview", "invoice", "portal", "verify", "office", "drive", "login",
    "telemetry", "cdn", "assets", "static", "msupdate", "wsus", "helpdesk", "onedrive", "share", "mailbox", "vault",
)
ACTOR_NAMES = ("Heron", "Kite", "Lynx", "Marten", "Osprey", "Plover", "Shrike", "Tern", "Vole", "Wren")
ACTOR_ADJ = ("Silent", "Copper", "Hollow", "Iron", "Pale", "Rusty", "Velvet", "Winter", "Amber", "Cobalt")
COMPANIES = ("nordwerk", "halvorsen", "brightlane", "keystoneag", "meridia", "oakfield", "pellucid", "tessaro")


def iso(ts: float) -> str:
    """ISO 8601 UTC with microseconds, as intel files write times."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_of(ts: float) -> int:
    """Day number inside the week (0 = Monday)."""
    return int((ts - WEEK_START) // DAY)


class Ids:
    """Zeek-style connection and file ids, UUIDs and hex digests from the seeded generator."""

    ALPHABET = string.ascii_letters + string.digits

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def zeek(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice(self.ALPHABET) for _ in range(17))

    def uuid(self) -> str:
        value = self.rng.getrandbits(128)
        text = f"{value:032x}"
        return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[value % 4]}{text[17:20]}-{text[20:32]}"

    def hexdigest(self, chars: int) -> str:
        return f"{self.rng.getrandbits(chars * 4):0{chars}x}"


class Addresses:
    """Public and internal address allocation without collisions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def take(self, address: str) -> str:
        self.used.add(address)
        return address

    def public(self, prefixes: tuple[str, ...]) -> str:
        """A free global address inside one of ``prefixes`` (CIDR texts)."""
        for _ in range(10_000):
            net = ipaddress.ip_network(self.rng.choice(prefixes))
            address = str(net[self.rng.randrange(1, net.num_addresses - 1)])
            if address not in self.used and ipaddress.ip_address(address).is_global and not address.endswith(".0"):
                return self.take(address)
        raise RuntimeError(f"address pools exhausted: {prefixes}")


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class Issuer:
    """A CA (or a self-signed subject) that signs leaf certificates."""

    parts: tuple[tuple[str, str], ...]  # (attribute, value), most significant first: C, O, CN
    key_seed: str

    @property
    def key(self) -> ed25519.Ed25519PrivateKey:
        return _key(self.key_seed)

    @property
    def cn(self) -> str:
        return dict(self.parts)["CN"]


_OIDS = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "CN": NameOID.COMMON_NAME,
         "L": NameOID.LOCALITY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME}


def _key(seed: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def _name(parts: tuple[tuple[str, str], ...]) -> x509.Name:
    return x509.Name([x509.NameAttribute(_OIDS[attr], value) for attr, value in parts])


def zeek_dn(parts: tuple[tuple[str, str], ...]) -> str:
    """Zeek's rendering: least significant first, commas escaped."""
    return ",".join(f"{attr}={value.replace(',', chr(92) + ',')}" for attr, value in reversed(parts))


def suricata_dn(parts: tuple[tuple[str, str], ...]) -> str:
    """Suricata's rendering: most significant first, ', ' between parts."""
    return ", ".join(f"{attr}={value}" for attr, value in parts)


@dataclass
class Cert:
    """A leaf certificate: real DER, so every digest of it agrees across sensors."""

    subject: tuple[tuple[str, str], ...]
    issuer: Issuer
    sans: tuple[str, ...]
    serial: int
    not_before: int
    not_after: int
    key_seed: str
    is_ca: bool = False

    @cached_property
    def der(self) -> bytes:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(self.subject))
            .issuer_name(_name(self.issuer.parts))
            .public_key(_key(self.key_seed).public_key())
            .serial_number(self.serial)
            .not_valid_before(datetime.fromtimestamp(self.not_before, UTC))
            .not_valid_after(datetime.fromtimestamp(self.not_after, UTC))
        )
        if self.is_ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        if self.sans:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in self.sans]), critical=False
            )
        return builder.sign(self.issuer.key, None).public_bytes(serialization.Encoding.DER)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.der).hexdigest()  # a certificate fingerprint, not a security use

    @property
    def serial_hex(self) -> str:
        return f"{self.serial:X}"

    @property
    def self_signed(self) -> bool:
        return self.issuer.parts == self.subject


# ------------------------------------------------------------------ sites and sessions


@dataclass
class Site:
    """A server name as the enterprise sees it: where it resolves, how it answers TLS, who uses it."""

    name: str
    zone: str
    ips: list[str]
    category: str  # web (browser, proxied in the east office) or system (OS and app services, direct)
    cname: list[str] = field(default_factory=list)
    port: int = 443
    scheme: str = "https"
    cert: Cert | None = None
    chain: list[Cert] = field(default_factory=list)  # intermediates after the leaf
    tls13: float = 0.7  # share of sessions negotiated as TLS 1.3 (certificate not visible)
    ja3s: str = ""
    paths: tuple[str, ...] = ("/",)
    ttl: int = 300
    tags: tuple[str, ...] = ()  # trap kinds a visit exercises
    weight: float = 1.0
    prevalence: float = 0.0  # share of hosts that use it (0: only when picked as tail)
    audience: str = "all"  # all, windows, mac, linux, developer, server


@dataclass
class Host:
    """An internal host: address, segment (which sensor sees it), OS, role and the sites it uses."""

    ip: str
    name: str
    segment: str  # hq (Zeek TSV), branch (Zeek JSON), east (Suricata EVE + Squid)
    os: str
    role: str
    browser_ja3: str
    system_ja3: str
    user: str
    sites: list[Site] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


@dataclass
class Session:
    """One thing a host did: a DNS lookup and/or a connection, TLS handshake or HTTP request."""

    ts: float
    host: Host
    name: str | None
    ip: str
    port: int = 443
    client: str = "browser"  # browser, system, implant
    proto: str = "tcp"
    service: str = "ssl"
    resolve: bool = True  # the host asked its resolver for ``name`` first
    connect: bool = True
    sni: str | None = None
    ja3: str = ""
    ja3s: str = ""
    tls_version: str | None = None  # None: not TLS
    cert: Cert | None = None  # visible leaf (TLS 1.2 only)
    chain: list[Cert] = field(default_factory=list)
    method: str | None = None  # HTTP request line, when there is one in clear (or through a bumping proxy)
    scheme: str = "http"
    uri: str = "/"
    user_agent: str = ""
    status: int = 200
    bytes_out: int = 600
    bytes_in: int = 4_000
    duration: float = 1.0
    answers: list[str] | None = None  # override the world's DNS answer (None: use the site's)
    rcode: str = "NOERROR"
    qtype: str = "A"
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Client:
    """A TLS client stack: its JA3 string (the hash is its MD5) and the user agent it sends."""

    label: str
    ja3_text: str
    user_agent: str

    @property
    def ja3(self) -> str:
        return hashlib.md5(self.ja3_text.encode()).hexdigest()  # JA3 is defined as an MD5


CLIENTS = {
    "chromium-win": Client(
        "chromium-win",
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
        "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
        "Safari/537.36 Edg/130.0.0.0",
    ),
    "firefox": Client(
        "firefox",
        "771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-49171-49172-156-157-47-53,"
        "0-23-65281-10-11-35-16-5-34-51-43-13-45-28-27-65037,29-23-24-25-256-257,0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    "safari": Client(
        "safari",
        "771,4865-4866-4867-49196-49195-52393-49200-49199-52392-49162-49161-49172-49171-157-156-53-47-49160-49170-10,"
        "0-23-65281-10-11-16-5-13-18-51-45-43-27-21,29-23-24-25,0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
        "Safari/605.1.15",
    ),
    "schannel-win": Client(
        "schannel-win",
        "771,49196-49195-49200-49199-159-158-49188-49187-49192-49191-49162-49161-49172-49171-157-156-61-60-53-47-10,"
        "0-10-11-13-35-23-65281,29-23-24,0",
        "Microsoft-CryptoAPI/10.0",
    ),
    "nsurlsession": Client(
        "nsurlsession",
        "771,4865-4866-4867-49196-49195-52393-49200-49199-52392-49188-49187-49162-49161-49192-49191-49172-49171,"
        "0-23-65281-10-11-16-5-13-18-51-45-43-21,29-23-24-25,0",
        "com.apple.trustd/3.0",
    ),
    "openssl": Client(
        "openssl",
        "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-49199-158-49188-49192-107-49187-49191-103-49162,"
        "0-11-10-35-22-23-13-43-45-51,29-23-30-25-24,0-1-2",
        "curl/8.5.0",
    ),
}
