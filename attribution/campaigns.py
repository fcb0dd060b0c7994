"""Campaign resolution: which Campaign row a click, a referrer or a network answer names."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from attribution.models import Campaign


def display_id_from_url(url: str) -> str | None:
    """The campaign display id of a link: `?c=<id>` or the last path segment."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if query.get("c"):
        return query["c"]
    segments = [s for s in parts.path.split("/") if s]
    return segments[-1] if segments else None


def by_display_id(project_id: int, display_id: str | None) -> Campaign | None:
    if not display_id:
        return None
    return (
        Campaign.objects.select_related("network")
        .filter(project_id=project_id, display_id=display_id)
        .first()
    )


def by_id(project_id: int, campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return None
    return (
        Campaign.objects.select_related("network")
        .filter(project_id=project_id, id=campaign_id)
        .first()
    )


def by_network_id(
    project_id: int, network_code: str, network_campaign_ids: list[str]
) -> Campaign | None:
    """The campaign registered under a network's own id (Meta, Apple, Google campaign ids).

    Several ids may be offered (Meta: ad, ad set, campaign); the first that is registered wins,
    so callers pass the most specific first.
    """
    ids = [i for i in network_campaign_ids if i]
    if not ids:
        return None
    found = {
        c.ad_network_campaign_id: c
        for c in Campaign.objects.select_related("network").filter(
            project_id=project_id, ad_network_campaign_id__in=ids, network__code=network_code
        )
    }
    return next((found[i] for i in ids if i in found), None)
