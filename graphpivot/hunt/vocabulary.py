"""The hunt's vocabulary: evidence kinds, their strength, and which stored hunt yields which."""

from __future__ import annotations

from enum import IntEnum

from graphpivot.canonical import FINGERPRINT_TYPES


class Strength(IntEnum):
    """How directly the evidence ties the host to the indicator, in the order an analyst reads the words.

    ``weak`` a popular or abusable service, context-only intel, a hub; ``low`` a weak web-service finding
    raised by rare use or a large upload; ``pivot`` infrastructure reached through a dedicated attribute;
    ``medium`` a name under an indicator or the site of an indicator URL; ``strong`` the exact domain, IP or
    server certificate; ``very strong`` the exact URL or the client fingerprint.
    """

    WEAK = 1
    LOW = 2
    PIVOT = 3
    MEDIUM = 4
    STRONG = 5
    VERY_STRONG = 6

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Strength:
        """``weak``, ``low``, ``pivot``, ``medium``, ``strong`` or ``very strong`` (also ``very-strong``)."""
        name = text.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[name]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown strength {text!r}; choose one of {choices}") from None

    def lowered(self) -> Strength:
        """One step down, skipping ``pivot`` (a rank only expansion gives): medium goes to low, low to weak."""
        return {
            Strength.VERY_STRONG: Strength.STRONG,
            Strength.STRONG: Strength.MEDIUM,
            Strength.MEDIUM: Strength.LOW,
        }.get(self, Strength.WEAK)


EVIDENCE_STRENGTH: dict[str, Strength] = {
    "exact-url": Strength.VERY_STRONG,
    "client-fingerprint": Strength.VERY_STRONG,
    "exact-domain": Strength.STRONG,
    "exact-ip": Strength.STRONG,
    "server-certificate": Strength.STRONG,
    "subdomain": Strength.MEDIUM,
    "url-host": Strength.MEDIUM,
    "url-domain": Strength.WEAK,
    "dns-answer": Strength.MEDIUM,
    "server-fingerprint": Strength.MEDIUM,
    "infrastructure": Strength.PIVOT,
    "web-service": Strength.WEAK,
}
# Which evidence each stored hunt yields, and which hunts check which indicator kind.
HUNT_EVIDENCE = {
    "exposure-url": "exact-url",
    "exposure-fingerprint": "client-fingerprint",
    "exposure-domain": "exact-domain",
    "exposure-ip": "exact-ip",
    "exposure-subdomain": "subdomain",
    "exposure-certificate": "server-certificate",
    "exposure-dns-answer": "dns-answer",
    "exposure-server-fingerprint": "server-fingerprint",
}
KIND_HUNTS: dict[str, tuple[str, ...]] = {
    "URL": ("exposure-url",),  # a URL's site and registered domain: Exposure.url_sites
    "Fingerprint": ("exposure-fingerprint", "exposure-server-fingerprint"),
    "Domain": ("exposure-domain", "exposure-subdomain"),
    "IP": ("exposure-ip", "exposure-dns-answer"),
    "Certificate": ("exposure-certificate",),
}
REACHED_HUNTS = {"Domain": "exposure-domain", "IP": "exposure-ip"}
EXPAND_QUERY = "expand"
EXPAND_LIMIT = 100_000  # rows per chunk of seeds: expansion is hub-capped, so this only guards runaway graphs
# Evidence about a site (not a URL or a client): a web-service site makes it the weakest kind.
SITE_EVIDENCE = frozenset({"exact-domain", "exact-ip", "subdomain", "url-host", "infrastructure", "dns-answer"})
# Evidence that rests on a name or an address alone: popularity lists and high internal prevalence lower it.
NAME_EVIDENCE = SITE_EVIDENCE | {"server-fingerprint"}
# Evidence that matches the indicator itself (not a name under it, its site or a pivot).
EXACT_EVIDENCE = frozenset({"exact-url", "client-fingerprint", "exact-domain", "exact-ip", "server-certificate"})
BASE_CONFIDENCE = {
    Strength.VERY_STRONG: 0.95,
    Strength.STRONG: 0.85,
    Strength.MEDIUM: 0.65,
    Strength.PIVOT: 0.5,
    Strength.LOW: 0.4,
    Strength.WEAK: 0.2,
}
# Warninglist (and local list) meanings, and what each does to a finding (docs/hunting.md).
BENIGN_POPULAR = "benign-popular"  # everyone visits it: name/IP evidence is weak
ABUSABLE_SERVICE = "abusable-service"  # a service anyone can use (LOTS, shorteners): like a web service
PROVIDER_HUB = "provider-hub"  # shared front ends (CDN, public DNS, parking): name/IP evidence is weak
SUSPICIOUS_CONTEXT = "suspicious-context"  # worth a note (dynamic DNS, cloud ranges, sinkholes); no lowering
MEANINGS = (BENIGN_POPULAR, ABUSABLE_SERVICE, PROVIDER_HUB, SUSPICIOUS_CONTEXT)
LOWERING_MEANINGS = frozenset({BENIGN_POPULAR, PROVIDER_HUB})
DEDICATED_DEGREE = 5  # an attribute used by at most this many domains (and on no list) is dedicated
# Intel that calls an indicator "suspicious" (a report tag, or a mention context) rather than malicious.
SUSPICIOUS_MARKERS = frozenset({"suspicious", "category: suspicious", "severity: low", "severity: info"})
SEED_SOURCE = "seed"
FINGERPRINT_PREFIXES = tuple(f"{kind}:" for kind in FINGERPRINT_TYPES)  # seeds such as ``ja3:<md5>``
# ATT&CK per piece of evidence (docs/hunting.md, "ATT&CK"). A stored hunt's header lists what its rows *can*
# show; one row shows only what its channel is: a DNS lookup is DNS, an HTTP request web protocols, a TLS
# session (named by SNI, or to a server with the indicator certificate or fingerprint) web protocols over an
# encrypted channel; a flow to an address shows what its ports and protocols say (:func:`flow_attack`). A row
# carries the header ids of the query that produced it that its channel allows, so a DNS-only finding never
# carries the flow hunt's T1095/T1571. Web Service (T1102) needs a web service on the row; an expansion adds
# the expand query's infrastructure techniques (T1583/T1584: the adversary acquired or compromised what was
# reached).
CHANNEL_ATTACK: dict[str, frozenset[str]] = {
    "dns": frozenset({"T1071.004", "T1568"}),
    "http": frozenset({"T1071.001", "T1102", "T1105"}),
    "tls": frozenset({"T1071.001", "T1573.002", "T1102"}),
    "client": frozenset({"T1071.001", "T1573.002", "T1102"}),
}
WEB_SERVICE_ATTACK = "T1102"
TRANSPORTS = frozenset({"tcp", "udp", "icmp", "icmp6", "ipv6-icmp", "sctp"})
# Application protocols a flow sensor names (Zeek service, EVE app_proto), their technique and usual ports.
APP_PROTOCOLS: dict[str, tuple[str, frozenset[int]]] = {
    "http": ("T1071.001", frozenset({80, 8080})),
    "http2": ("T1071.001", frozenset({80, 443})),
    "ssl": ("T1071.001", frozenset({443})),
    "tls": ("T1071.001", frozenset({443})),
    "quic": ("T1071.001", frozenset({443})),
    "dns": ("T1071.004", frozenset({53})),
    "ftp": ("T1071.002", frozenset({21})),
    "smtp": ("T1071.003", frozenset({25, 465, 587})),
}
STANDARD_PORTS = frozenset({53, 80, 443})  # a flow whose protocol is unknown is on a standard port if here


def flow_attack(ports: tuple[int, ...], protocols: tuple[str, ...]) -> frozenset[str]:
    """What a flow shows: its application protocols' T1071 sub-techniques (T1102 with a web service, added
    by the caller), T1095 when the sensor saw only a transport, T1571 on a port its protocol does not use.
    A flow with neither ports nor protocols shows no technique of its own."""
    names = {p.lower() for p in protocols}
    apps = [APP_PROTOCOLS[p] for p in names if p in APP_PROTOCOLS]
    out: set[str] = {WEB_SERVICE_ATTACK} | {technique for technique, _ in apps}
    if names and not (names - TRANSPORTS):
        out.add("T1095")
    usual = frozenset().union(*(known for _, known in apps)) if apps else STANDARD_PORTS
    if any(port not in usual for port in ports):
        out.add("T1571")
    return frozenset(out)
