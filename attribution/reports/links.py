"""Campaign links as the API shows them: https://<the campaign's or project's domain>/<id>."""

from __future__ import annotations

from attribution.models import Campaign, Domain


def campaign_link(campaign: Campaign, default_domain: Domain | None) -> str | None:
    domain = campaign.domain or default_domain
    if domain is None:
        return None
    return f"https://{domain.host}/{campaign.display_id}"
