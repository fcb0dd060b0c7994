"""Matching an install to our own clicks in the Redis click store: by advertising id (GAID,
IDFA) or by the click id the referrer carried back (deterministic, tier 2); else by IP with the
same platform and OS version inside the probabilistic window (tier 3).

A browser click and an app install never share a user agent, so the probabilistic rule compares
only what both sides can state: platform and OS version (case C11). Impressions (view-through)
only count inside the view-through window, and only on device ids.

An install with no deterministic match whose IP has clicks announced by the link redirect but
not stored yet (their task lags behind the install's) waits for them like a referrer's click
(ClickPending, up to HAZELNUT_REFERRER_CLICK_WAIT_SECONDS after the install), so a lagging
click worker does not turn a matched install organic.

A click that names none of the project's campaigns (a landing-page view whose utm parameters
match no link) is kept as a touch but never offered as a candidate: there is nothing to credit,
and a view after the link tap would otherwise take the install away from the link's campaign.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from attribution import clickstore
from attribution.strategies.base import (
    TIER_DETERMINISTIC,
    TIER_PROBABILISTIC,
    Candidate,
    ClickPending,
    InstallContext,
    Outcome,
)
from attribution.useragent import same_os_version


class ClickMatch:
    name = "click_match"
    external = False

    def can_handle(self, context: InstallContext) -> bool:
        return bool(context.gaid or context.idfa or context.ip or context.referrer.click_id)

    @staticmethod
    def lookup(context: InstallContext) -> clickstore.Lookup:
        """What `run` asks the click store (a batch prefetches it)."""
        return clickstore.Lookup(
            project_id=context.project_id,
            at=context.at,
            gaid=context.gaid,
            idfa=context.idfa,
            ip=context.ip,
            click_id=context.referrer.click_id,
            device_window_seconds=context.windows.click_lookback,
            ip_window_seconds=context.windows.probabilistic,
        )

    def run(self, context: InstallContext) -> Outcome:
        windows = context.windows
        found = clickstore.find(self.lookup(context))
        uncredited = _without_campaign(found)
        now = context.at.timestamp()
        candidates = [
            self._candidate(c, TIER_DETERMINISTIC, "device_id")
            for c in found.by_device
            if c.campaign_id is not None
            and (not c.is_view or now - c.clicked_at <= windows.view_through)
        ]
        by_id = found.by_click_id
        if (
            by_id
            and by_id.campaign_id is not None
            and not by_id.is_view
            and 0 <= now - by_id.clicked_at <= windows.click_lookback
        ):
            candidates.append(self._candidate(by_id, TIER_DETERMINISTIC, "click_id"))
        details: dict[str, Any] = {}
        if found.unstored and not candidates:
            waited = (timezone.now() - context.at).total_seconds()
            if waited < settings.HAZELNUT_REFERRER_CLICK_WAIT_SECONDS:
                raise ClickPending(found.unstored[0])
            # Limit: a click stored after the wait is over never re-decides the install.
            details["clicks_not_stored"] = list(found.unstored)
        rejected = []
        for click in found.by_ip:
            if click.is_view or click.campaign_id is None:
                continue
            if self._fits(context, click):
                candidates.append(self._candidate(click, TIER_PROBABILISTIC, "ip_ua_probabilistic"))
            else:
                rejected.append(
                    {
                        "click_id": click.click_id,
                        "platform": click.platform,
                        "os_version": click.os_version,
                    }
                )
        if rejected:
            details["rejected_ip_clicks"] = rejected
        if uncredited:
            details["clicks_without_campaign"] = uncredited
        return Outcome(candidates, note=f"{len(candidates)} candidate clicks", details=details)

    @staticmethod
    def _fits(context: InstallContext, click: clickstore.StoredClick) -> bool:
        return click.platform == context.platform.upper() and same_os_version(
            click.os_version, context.os_version
        )

    def _candidate(self, click: clickstore.StoredClick, tier: int, matched_by: str) -> Candidate:
        return Candidate(
            strategy=self.name,
            tier=tier,
            matched_by=matched_by,
            network=click.network,
            campaign_id=click.campaign_id,
            touched_at=click.clicked_at,
            click_id=click.click_id,
            details={"is_view": click.is_view, "row_id": click.row_id},
        )


def _without_campaign(found: clickstore.Found) -> list[str]:
    """Ids of the clicks found that name no campaign, for the decision trace."""
    clicks = [*found.by_device, *found.by_ip]
    if found.by_click_id is not None:
        clicks.append(found.by_click_id)
    return sorted({c.click_id for c in clicks if c.campaign_id is None})
