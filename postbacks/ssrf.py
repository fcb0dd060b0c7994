"""The guard for URLs customers configure (webhooks, affiliate templates).

A customer URL must not let them reach our own network: the host is resolved and every address
it resolves to must be public. Loopback, private, link-local (which holds the cloud metadata
service at 169.254.169.254), shared, multicast and reserved ranges are refused, unless
HAZELNUT_ALLOW_PRIVATE_DESTINATIONS is on (tests with loopback receivers, closed deployments).

Checking a name and then letting an HTTP client resolve it again would leave a gap a DNS
rebinding attack fits through, so the request itself resolves through `public_addresses` and
connects only to what it returned (`postbacks.guarded`); `check_target` is the part of the check
that needs no DNS, done before a request is even started.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services that are not inside a range the checks below refuse.
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254")})
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class DestinationRefused(ValueError):
    """The URL points somewhere a customer-configured request may not go."""


def _is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA_ADDRESSES:
        return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
    )


def _allowing_private(allow_private: bool | None) -> bool:
    if allow_private is None:
        return bool(settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS)
    return allow_private


def resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DestinationRefused(f"host does not resolve: {exc.strerror}") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def public_addresses(host: str, port: int, *, allow_private: bool | None = None) -> list[Address]:
    """The addresses `host` resolves to now, refused unless every one of them is public."""
    addresses = resolve(host, port)
    if not _allowing_private(allow_private) and not all(map(_is_public, addresses)):
        raise DestinationRefused("address is not public")
    return addresses


def check_target(url: str, *, allow_private: bool | None = None) -> tuple[str, int]:
    """The (host, port) of `url` after every check that needs no DNS; raises DestinationRefused.

    Refused here: other schemes, no host, metadata host names and addresses written in the URL
    that are not public. A name is resolved and checked when the connection is made.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("only http and https URLs with a host are allowed")
    host = parts.hostname.rstrip(".").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _allowing_private(allow_private):
        return host, port
    if host in _METADATA_HOSTS:
        raise DestinationRefused("cloud metadata host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return host, port
    if not _is_public(literal):
        raise DestinationRefused("address is not public")
    return host, port


def check_url(url: str, *, allow_private: bool | None = None) -> list[Address]:
    """The whole check, DNS included: the public addresses `url`'s host resolves to now.

    Only for a look before sending (admin forms, tests); a request must still connect through
    `postbacks.guarded`, which checks the addresses it actually connects to.
    """
    host, port = check_target(url, allow_private=allow_private)
    if _allowing_private(allow_private):
        return []
    return public_addresses(host, port, allow_private=False)
