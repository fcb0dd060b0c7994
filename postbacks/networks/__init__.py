"""One client per ad network: each turns event facts into that network's frozen request and
reads that network's answers. `CLIENTS` maps AdNetwork.code to its client."""

from __future__ import annotations

from postbacks.networks import google_ads, meta, snapchat, tiktok
from postbacks.networks.base import NetworkClient

CLIENTS: dict[str, NetworkClient] = {
    "GOOGLE": google_ads.CLIENT,
    "META": meta.CLIENT,
    "TIKTOK": tiktok.CLIENT,
    "SNAPCHAT": snapchat.CLIENT,
}

__all__ = ["CLIENTS", "NetworkClient"]
