"""The traffic mix of a simulated day: which kind of journey each device takes, and what it does
in the app after installing.

Kinds and their shares follow a typical paid-plus-organic app: a third organic, paid installs
split between link clicks matched by IP (iOS), link clicks carried back in the Play referrer
(Android), Meta's encrypted referrer and Apple Search Ads, some reinstalls, and link clicks that
never install. The plan is drawn from a seeded generator, so the same seed gives the same day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ingest.simulation.devices import Device, new_device

ORGANIC = "organic"
LINK_IP_MATCH = "link_ip_match"
LINK_PLAY_REFERRER = "link_play_referrer"
META_REFERRER = "meta_referrer"
APPLE_SEARCH_ADS = "apple_search_ads"
REINSTALL = "reinstall"
CLICK_ONLY = "click_only"

# kind: (share of journeys, platform or None for either)
MIX: dict[str, tuple[float, str | None]] = {
    ORGANIC: (0.30, None),
    LINK_IP_MATCH: (0.16, "IOS"),
    LINK_PLAY_REFERRER: (0.18, "ANDROID"),
    META_REFERRER: (0.09, "ANDROID"),
    APPLE_SEARCH_ADS: (0.08, "IOS"),
    REINSTALL: (0.07, "ANDROID"),
    CLICK_ONLY: (0.12, None),
}
PAID_KINDS = frozenset({LINK_IP_MATCH, LINK_PLAY_REFERRER, META_REFERRER, APPLE_SEARCH_ADS})

# The share of each kind's installs that must end where planned (its campaign, or organic) for
# a run to pass. Referrers, Apple's answer and organic installs are deterministic. An IP match
# is too, since every simulated phone has an address of its own, but its click and its install
# travel different queues: with waits compressed (`--pace` well below 1) a few installs may be
# decided before their click is stored.
MIN_MATCH_RATE: dict[str, float] = {
    ORGANIC: 1.0,
    LINK_IP_MATCH: 0.9,
    LINK_PLAY_REFERRER: 1.0,
    META_REFERRER: 1.0,
    APPLE_SEARCH_ADS: 1.0,
    REINSTALL: 1.0,
}


@dataclass(frozen=True)
class Activity:
    """What the user does after installing."""

    signs_up: bool
    payments: int
    server_side_payment: bool  # the customer's backend reports one payment via /api/v1
    custom_events: int


@dataclass(frozen=True)
class Journey:
    kind: str
    device: Device
    link_index: int  # which link campaign is clicked (modulo the campaigns there are)
    activity: Activity

    @property
    def installs(self) -> int:
        return {CLICK_ONLY: 0, REINSTALL: 2}.get(self.kind, 1)


NO_ACTIVITY = Activity(signs_up=False, payments=0, server_side_payment=False, custom_events=0)


def draw(
    rng: random.Random, installs: int, address_offset: int, *, activity: bool = True
) -> list[Journey]:
    """Journeys until `installs` installs are planned (a reinstall journey counts two).
    Without `activity` the users never sign up, pay or send events (installs only)."""
    kinds = list(MIX)
    weights = [MIX[k][0] for k in kinds]
    journeys: list[Journey] = []
    planned = 0
    while planned < installs:
        kind = rng.choices(kinds, weights=weights, k=1)[0]
        if kind == REINSTALL and installs - planned < 2:
            kind = ORGANIC
        platform = MIX[kind][1] or rng.choice(("IOS", "ANDROID"))
        device = new_device(rng, len(journeys), platform, address_offset)
        after = _activity(rng) if activity else NO_ACTIVITY
        journeys.append(Journey(kind, device, rng.randrange(1000), after))
        planned += journeys[-1].installs
    return journeys


def _activity(rng: random.Random) -> Activity:
    signs_up = rng.random() < 0.55
    payments = rng.choice((0, 0, 0, 1, 1, 2)) if signs_up else 0
    return Activity(
        signs_up=signs_up,
        payments=payments,
        server_side_payment=payments > 0 and rng.random() < 0.25,
        custom_events=rng.choice((0, 1, 2, 3)),
    )
