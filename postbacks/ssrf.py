"""The guard for URLs customers configure (webhooks, affiliate templates).

A customer URL must not let them reach our own network: the host is resolved and every address
it resolves to must be public. Loopback, private, link-local (which holds the cloud metadata
service at 169.254.169.254), shared, multicast and reserved ranges are refused, unless
HAZELNUT_ALLOW_PRIVATE_DESTINATIONS is on (tests with loopback receivers, closed deployments).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Metadata services that are not inside a range the checks below refuse.
_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_METADATA_ADDRESSES = frozenset({ipaddress.ip_address("fd00:ec2::254")})


class DestinationRefused(ValueError):
    """The URL points somewhere a customer-configured request may not go."""


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
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


_SHARED = ipaddress.ip_network("100.64.0.0/10")


def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DestinationRefused(f"host does not resolve: {exc.strerror}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_url(url: str, *, allow_private: bool | None = None) -> None:
    """Raise DestinationRefused unless `url` is http(s) to public addresses only."""
    if allow_private is None:
        allow_private = bool(settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("only http and https URLs with a host are allowed")
    if allow_private:
        return
    host = parts.hostname.rstrip(".").lower()
    if host in _METADATA_HOSTS:
        raise DestinationRefused("cloud metadata host")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # Limit: checked, then resolved again by the HTTP client, so DNS rebinding is not caught.
    for address in resolve(host, port):
        if not _is_public(address):
            raise DestinationRefused("address is not public")
