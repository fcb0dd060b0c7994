"""The arbiter: from every strategy's candidates, rank the winners and name the rule that chose.

Tier 1 (install-referrer signals) beats tier 2 (deterministic) beats tier 3 (probabilistic).
Inside every tier the last touch wins, as the contract's last-click rule says; earlier touches
become assists. At equal times a candidate that names one of our campaigns comes before one that
does not (a Play referrer carrying both a gclid and our click id credits our click's campaign),
then the more specific signal. Candidates outside their network's window
(HAZELNUT_NETWORK_WINDOWS, hours, optional) are dropped, and so is a click of ours made after
Google Play says the install began: nobody taps an ad for an app already downloading, but an app
already on the device can fire one (click injection). The ranking is returned whole: a
click-based winner must still be claimed, and if another install claimed it first the next
candidate takes its place. Up to three other networks are kept as contributors (assists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from attribution.strategies.base import Candidate

MAX_CONTRIBUTORS = 3
# Play's install-begin stamp has whole seconds; ours have fractions.
INJECTION_SLACK_SECONDS = 2.0
# Equal times: the more specific signal first.
_PRIORITY = {
    "meta_referrer": 0,
    "google_ads_referrer": 1,
    "play_referrer": 2,
    "apple_adservices": 3,
    "google_ads_api": 4,
    "click_match": 5,
}
_RULES = {
    1: "tier 1: install referrer signal, last touch",
    2: "tier 2: deterministic match, last touch",
    3: "tier 3: probabilistic match (IP + platform + OS version), last touch",
}


@dataclass(frozen=True)
class Ranking:
    ordered: list[Candidate]
    dropped: list[dict[str, Any]]

    def rule_for(self, candidate: Candidate) -> str:
        return _RULES[candidate.tier]


def _network_window_hours(network: str, is_view: bool) -> int | None:
    windows: dict[str, dict[str, int]] = getattr(settings, "HAZELNUT_NETWORK_WINDOWS", {})
    per_network = windows.get(network, {})
    key = "view_through_hours" if is_view else "click_lookback_hours"
    return per_network.get(key)


def _in_network_window(candidate: Candidate, install_at: float) -> bool:
    hours = _network_window_hours(candidate.network, bool(candidate.details.get("is_view")))
    if hours is None or candidate.touched_at is None:
        return True
    return install_at - candidate.touched_at <= hours * 3600


def _sort_key(candidate: Candidate) -> tuple[int, float, bool, int]:
    newest_first = -(candidate.touched_at or 0.0)
    no_campaign = candidate.campaign_id is None
    return candidate.tier, newest_first, no_campaign, _PRIORITY.get(candidate.strategy, 99)


def _injected(candidate: Candidate, install_begin: float | None) -> bool:
    return (
        install_begin is not None
        and candidate.strategy == "click_match"
        and candidate.touched_at is not None
        and candidate.touched_at > install_begin + INJECTION_SLACK_SECONDS
    )


def rank(
    candidates: list[Candidate], install_at: float, install_begin: float | None = None
) -> Ranking:
    """`install_begin`: when Google Play says the download began (epoch seconds), if known."""
    kept: list[Candidate] = []
    dropped: list[dict[str, Any]] = []
    for candidate in candidates:
        if not _in_network_window(candidate, install_at):
            reason = "outside network window"
        elif _injected(candidate, install_begin):
            reason = "click after the install began (click injection)"
        else:
            kept.append(candidate)
            continue
        dropped.append(
            {"strategy": candidate.strategy, "click_id": candidate.click_id, "reason": reason}
        )
    return Ranking(sorted(kept, key=_sort_key), dropped)


def contributors(ranking: Ranking, winner: Candidate | None) -> list[dict[str, Any]]:
    """Other networks that touched this install, newest first, at most three."""
    seen: set[str] = {winner.network} if winner else set()
    assists: list[dict[str, Any]] = []
    by_time = sorted(ranking.ordered, key=lambda c: -(c.touched_at or 0.0))
    for candidate in by_time:
        if candidate is winner or not candidate.network or candidate.network in seen:
            continue
        seen.add(candidate.network)
        assists.append(
            {
                "network": candidate.network,
                "campaign_id": candidate.campaign_id,
                "matched_by": candidate.matched_by,
                "touched_at": candidate.touched_at,
            }
        )
        if len(assists) == MAX_CONTRIBUTORS:
            break
    return assists
