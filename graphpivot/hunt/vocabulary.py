"""The hunt's vocabulary: evidence kinds, their strength, and which stored hunt yields which."""

from __future__ import annotations

from enum import IntEnum

from graphpivot.canonical import FINGERPRINT_TYPES


class Strength(IntEnum):
    """How directly the evidence ties the host to the indicator."""

    WEAK = 1
    LOW = 2
    MEDIUM = 3
    STRONG = 4
    VERY_STRONG = 5

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> Strength:
        """``weak``, ``low``, ``medium``, ``strong`` or ``very strong`` (also ``very-strong``)."""
        name = text.strip().upper().replace("-", "_").replace(" ", "_")
        try:
            return cls[name]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown strength {text!r}; choose one of {choices}") from None


EVIDENCE_STRENGTH: dict[str, Strength] = {
    "exact-url": Strength.VERY_STRONG,
    "client-fingerprint": Strength.VERY_STRONG,
    "exact-domain": Strength.STRONG,
    "exact-ip": Strength.STRONG,
    "subdomain": Strength.MEDIUM,
    "url-host": Strength.MEDIUM,
    "infrastructure": Strength.LOW,
    "web-service": Strength.WEAK,
}
# Which evidence each stored hunt yields, and which hunts check which indicator kind.
HUNT_EVIDENCE = {
    "exposure-url": "exact-url",
    "exposure-fingerprint": "client-fingerprint",
    "exposure-domain": "exact-domain",
    "exposure-ip": "exact-ip",
    "exposure-subdomain": "subdomain",
    "exposure-url-host": "url-host",
}
KIND_HUNTS: dict[str, tuple[str, ...]] = {
    "URL": ("exposure-url", "exposure-url-host"),
    "Fingerprint": ("exposure-fingerprint",),
    "Domain": ("exposure-domain", "exposure-subdomain"),
    "IP": ("exposure-ip",),
}
REACHED_HUNTS = {"Domain": "exposure-domain", "IP": "exposure-ip"}
EXPAND_QUERY = "expand"
EXPAND_LIMIT = 100_000  # rows per chunk of seeds: expansion is hub-capped, so this only guards runaway graphs
# Evidence about a site (not a URL or a client): a web-service site makes it the weakest kind.
SITE_EVIDENCE = frozenset({"exact-domain", "exact-ip", "subdomain", "url-host", "infrastructure"})
BASE_CONFIDENCE = {
    Strength.VERY_STRONG: 0.95,
    Strength.STRONG: 0.85,
    Strength.MEDIUM: 0.65,
    Strength.LOW: 0.45,
    Strength.WEAK: 0.2,
}
# Intel that calls an indicator "suspicious" (a report tag, or a mention context) rather than malicious.
SUSPICIOUS_MARKERS = frozenset({"suspicious", "category: suspicious", "severity: low", "severity: info"})
SEED_SOURCE = "seed"
FINGERPRINT_PREFIXES = tuple(f"{kind}:" for kind in FINGERPRINT_TYPES)  # seeds such as ``ja3:<md5>``
