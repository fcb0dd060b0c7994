"""Campaign links as the API shows them: https://<the campaign's or project's domain>/<id>."""

from __future__ import annotations

from attribution.models import Campaign, Domain


def campaign_link(campaign: Campaign, default_domain: Domain | None) -> str | None:
    domain = campaign.domain or default_domain
    # A campaign registered from a network's answer lives on the network, not on a link of ours.
    if domain is None or campaign.reported_by_network:
        return None
    return f"https://{domain.host}/{campaign.display_id}"
