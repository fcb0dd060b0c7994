"""Client addresses: the real client IP behind trusted proxies, normalised once."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping


def normalize_ip(raw: str | None) -> str | None:
    """Canonical text of an IP; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4."""
    if not raw:
        return None
    candidate = raw.strip().strip("[]")
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_ip(meta: Mapping[str, str], trusted_proxies: int) -> str | None:
    """The client's IP from a WSGI/ASGI META mapping.

    With N trusted proxies in front of us, the client is the Nth address from the right of
    X-Forwarded-For (each proxy appends the address it received from); anything further left is
    whatever the client chose to send and is not trusted.
    """
    peer = normalize_ip(meta.get("REMOTE_ADDR"))
    if trusted_proxies <= 0:
        return peer
    forwarded = [
        hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()
    ]
    if len(forwarded) < trusted_proxies:
        return normalize_ip(forwarded[0]) if forwarded else peer
    return normalize_ip(forwarded[-trusted_proxies]) or peer


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address (IPv6 in brackets or not) is this machine's loopback."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
