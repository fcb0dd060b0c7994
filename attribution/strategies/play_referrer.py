"""The Play install referrer: a click id we put into the store link (matched back to our
click), else the campaign the referrer names through `c` or utm_campaign, else its utm source.

Placeholder referrers are organic by referrer and produce nothing, leaving device-id and IP
matching free to decide (case C01). A click id we cannot find yet is waited for (ClickPending)
while the install is young: the click's task may simply be queued behind others.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone

from attribution import campaigns, clickstore
from attribution.clicks import stored
from attribution.models import Click
from attribution.strategies.base import (
    TIER_REFERRER,
    Candidate,
    ClickPending,
    InstallContext,
    Outcome,
    stale_referrer,
)

# The ids our links mint (uuid4 hex); another tracker's click_id in a referrer is not waited for.
_OURS = re.compile(r"[0-9a-f]{32}")


class PlayReferrerStrategy:
    name = "play_referrer"
    external = False

    def can_handle(self, context: InstallContext) -> bool:
        return bool(context.referrer.raw)

    def run(self, context: InstallContext) -> Outcome:
        referrer = context.referrer
        if referrer.is_organic:
            return Outcome(note="organic or placeholder referrer")
        if (stale := stale_referrer(context)) is not None:
            return stale
        touched = referrer.click_time.timestamp() if referrer.click_time else None
        details: dict[str, object] = {"utm": referrer.utm}
        click = self._our_click(context)
        if click is not None:
            details["row_id"] = click.row_id
            candidate = Candidate(
                strategy=self.name,
                tier=TIER_REFERRER,
                matched_by="install_referrer_click_id",
                network=click.network,
                campaign_id=click.campaign_id,
                touched_at=touched or click.clicked_at,
                click_id=click.click_id,
                details=details,
            )
            return Outcome([candidate], note="referrer carries our click id")
        if referrer.click_id and _OURS.fullmatch(referrer.click_id):
            waited = (timezone.now() - context.at).total_seconds()
            if waited < settings.HAZELNUT_REFERRER_CLICK_WAIT_SECONDS:
                raise ClickPending(referrer.click_id)
            # Limit: a click stored after the wait is over never re-decides the install it named.
            details["click_not_found"] = referrer.click_id
        if not referrer.utm:
            return Outcome(note="referrer without utm or click id")
        campaign = campaigns.by_display_id(
            context.project_id, referrer.params.get("c") or referrer.utm.get("utm_campaign")
        )
        network = (campaign.network_code or "") if campaign else ""
        candidate = Candidate(
            strategy=self.name,
            tier=TIER_REFERRER,
            matched_by="install_referrer",
            network=network,
            campaign_id=campaign.id if campaign else None,
            touched_at=touched,
            details=details,
        )
        return Outcome([candidate], note="utm referrer")

    @staticmethod
    def lookup(context: InstallContext) -> clickstore.Lookup | None:
        """What `run` asks the click store, if anything (a batch prefetches it)."""
        click_id = context.referrer.click_id
        if not click_id or context.referrer.is_organic:
            return None
        return clickstore.Lookup(context.project_id, context.at, None, None, None, click_id, 0, 0)

    def _our_click(self, context: InstallContext) -> clickstore.StoredClick | None:
        lookup = self.lookup(context)
        if lookup is None or lookup.click_id is None:
            return None
        found = clickstore.find(lookup).by_click_id
        return found or _from_database(context.project_id, lookup.click_id)


def _from_database(project_id: int, click_id: str) -> clickstore.StoredClick | None:
    """The click when the store no longer has it (expired, or Redis was emptied)."""
    click = (
        Click.objects.select_related("campaign__network")
        .filter(project_id=project_id, click_id=click_id)
        .first()
    )
    return stored(click, click.campaign) if click else None
