"""The one address classifier the safety guards use: is this address really public?

``ipaddress``'s ``is_global`` looks at an address alone, but several IPv6 forms
carry an IPv4 address inside and reach it: IPv4-mapped (``::ffff:10.0.0.1``),
IPv4-compatible (``::10.0.0.1``), NAT64 (``64:ff9b::/96`` and the local-use
``64:ff9b:1::/48``, RFC 6052/8215), 6to4 (``2002::/16``, RFC 3056) and Teredo
(``2001::/32``, RFC 4380: server and obfuscated client). :func:`is_public`
judges those by the IPv4 address they reach, so ``64:ff9b::a00:1`` (NAT64 to
10.0.0.1) is as private as 10.0.0.1. Multicast is never public.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and reaches (none for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if any(address in net for net in _NAT64):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        server, client = address.teredo
        return [server, client]
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def is_public(address: str | IPAddress) -> bool:
    """True only for a publicly routable unicast address, judging embedded IPv4 by what it reaches."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner:
            return all(is_public(v4) for v4 in inner)
    return bool(ip.is_global)
