"""Which addresses are the enterprise's own, and what each internal host is called.

Telemetry loaders turn the internal side of a connection into a ``Host`` and
the external side into an ``IP``/``Domain``. An address is internal when it is
in the configured internal ranges (RFC 1918, RFC 4193, loopback and link-local
by default) or in the asset inventory. A Host is keyed by its asset id when the
inventory knows the address (longest prefix wins), else by the address itself.
The inventory comes from a file given to the load (loaders never read the graph).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphpivot.canonical import InvalidValue, canonical_ip

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_INTERNAL = (
    "10.0.0.0/8",  # RFC 1918
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",  # RFC 4193 unique local
    "127.0.0.0/8",  # loopback
    "::1/128",
    "169.254.0.0/16",  # link-local
    "fe80::/10",
)
_CACHE_LIMIT = 100_000


@dataclass
class Asset:
    """One inventory entry: a single address or a range, with what is known about it."""

    network: IPNetwork
    asset_id: str | None = None  # canonical Host key; None for a range that only marks internal space
    hostname: str | None = None
    owner: str | None = None
    criticality: str | None = None
    line: int | None = None

    def host_props(self, address: str) -> dict[str, Any]:
        """Host node properties for ``address`` seen in telemetry."""
        props = {"ip": address, "hostname": self.hostname, "owner": self.owner, "criticality": self.criticality}
        return {k: v for k, v in props.items() if v is not None}


@dataclass
class AssetInventory:
    """Assets by address; lookups take the most specific entry."""

    assets: list[Asset] = field(default_factory=list)

    def add(self, asset: Asset) -> None:
        self.assets.append(asset)
        self.assets.sort(key=lambda a: a.network.prefixlen, reverse=True)

    def lookup(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Asset | None:
        for asset in self.assets:
            if address.version == asset.network.version and address in asset.network:
                return asset
        return None


class Network:
    """Classifies addresses and names internal hosts; results are cached per address."""

    def __init__(self, internal: Iterable[str] = DEFAULT_INTERNAL, inventory: AssetInventory | None = None) -> None:
        self.internal = [ipaddress.ip_network(cidr, strict=False) for cidr in internal]
        self.inventory = inventory or AssetInventory()
        self._hosts: dict[str, tuple[str, dict[str, Any]] | None] = {}

    def host(self, address: str, *, always: bool = False) -> tuple[str, dict[str, Any]] | None:
        """``(Host key, Host properties)`` for an internal address, else ``None``.

        ``always`` names the host even outside the internal ranges (a proxy's
        clients are internal by definition). Raises :class:`InvalidValue` for
        text that is not an address.
        """
        cache_key = f"!{address}" if always else address
        try:
            return self._hosts[cache_key]
        except KeyError:
            pass
        if len(self._hosts) > _CACHE_LIMIT:
            self._hosts.clear()
        found = self._classify(address, always)
        self._hosts[cache_key] = found
        return found

    def _classify(self, address: str, always: bool) -> tuple[str, dict[str, Any]] | None:
        key = canonical_ip(address)
        addr = ipaddress.ip_address(key)
        asset = self.inventory.lookup(addr)
        if asset is not None:
            return (asset.asset_id or key), asset.host_props(key)
        if always or any(addr.version == net.version and addr in net for net in self.internal):
            return key, {"ip": key}
        return None

    def is_internal(self, address: str) -> bool:
        """True for an internal address (ranges or inventory); False for anything else, junk included."""
        try:
            return self.host(address) is not None
        except InvalidValue:
            return False


@lru_cache(maxsize=65_536)
def is_peer_address(address: str) -> bool:
    """False for addresses that are no one's infrastructure: multicast, broadcast, unspecified, loopback."""
    addr = ipaddress.ip_address(address)
    return not (addr.is_multicast or addr.is_unspecified or addr.is_loopback or address == "255.255.255.255")
