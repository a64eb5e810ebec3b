"""Who is on the other end of a request: the address that limits and logs are keyed on.

Usage::

    address = client_address(request)   # "203.0.113.7", or "2001:db8:1:2::/64" for IPv6
    is_loopback_request(request)        # straight from this machine, through no proxy

``request.remote`` is the last hop. Behind a reverse proxy that is the proxy itself, so
every person would share one bucket; ``Settings.trusted_proxies`` (``GEM_TRUSTED_PROXIES``)
lists the proxies whose ``X-Forwarded-For`` is believed. The address used is the
right-most one in that header that is not itself a trusted proxy: what a client writes at
the left of the header proves nothing. IPv6 addresses are grouped by /64, the block one
subscriber usually gets, so that one person cannot take a new bucket per address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from bot.appkeys import SETTINGS

__all__ = ["client_address", "is_loopback_request", "limit_key"]

_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:1234"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:1234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    return any(address.version == network.version and address in network for network in proxies)


def limit_key(address: str) -> str:
    """The key rate limits use for an address: itself for IPv4, its /64 for IPv6."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else (address or "unknown")


def client_address(request: web.Request) -> str:
    """The person's address (IPv6 as its /64), seen through the trusted proxies only."""
    proxies = request.app[SETTINGS].trusted_proxy_networks
    peer = _address(request.remote or "")
    if peer is None:
        return request.remote or "unknown"
    if proxies and _trusted(peer, proxies):
        hops = [hop for value in request.headers.getall("X-Forwarded-For", []) for hop in value.split(",")]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # a garbled hop: trust nothing to its left
            peer = address
            if not _trusted(address, proxies):
                break
    return limit_key(str(peer))


def is_loopback_request(request: web.Request) -> bool:
    """Sent from this machine directly: a loopback peer and no proxy's forwarding headers."""
    peer = _address(request.remote or "")
    if peer is None or not peer.is_loopback:
        return False
    return not any(header in request.headers for header in _FORWARDING_HEADERS)
