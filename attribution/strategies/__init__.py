"""Attribution strategies, one module each, behind the protocol in `base`.

`LOCAL` run together inside the attribution task (no network calls); `EXTERNAL` call an outside
API and run in their own task so a slow API never holds up the local ones.
"""

from __future__ import annotations

from attribution.strategies.apple_adservices import AppleAdServices
from attribution.strategies.base import Strategy
from attribution.strategies.click_match import ClickMatch
from attribution.strategies.google_ads import GoogleAdsApi, GoogleAdsReferrer
from attribution.strategies.meta_referrer import MetaReferrer
from attribution.strategies.play_referrer import PlayReferrerStrategy

__all__ = ["BY_NAME", "CLICK_MATCH", "EXTERNAL", "LOCAL", "PLAY_REFERRER", "Strategy"]

# The two that read the click store; a batch prefetches their lookups in one round trip.
CLICK_MATCH = ClickMatch()
PLAY_REFERRER = PlayReferrerStrategy()
LOCAL: tuple[Strategy, ...] = (
    MetaReferrer(),
    GoogleAdsReferrer(),
    PLAY_REFERRER,
    CLICK_MATCH,
)
EXTERNAL: tuple[Strategy, ...] = (AppleAdServices(), GoogleAdsApi())
BY_NAME: dict[str, Strategy] = {s.name: s for s in (*LOCAL, *EXTERNAL)}
