"""The click pipeline: a click (or a campaign-tagged web page view) is deduplicated by its click
id, enriched (campaign, user agent, IP, advertising ids), stored in PostgreSQL, the warehouse
and the Redis click store where installs look for it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import structlog
from django.db import IntegrityError, transaction

from attribution import campaigns, clickstore, sink
from attribution.contracts import ClickMessage
from attribution.identifiers import clean_device_id
from attribution.models import Campaign, Click, Domain
from attribution.useragent import parse_user_agent
from hazelnut.net import normalize_ip

log = structlog.get_logger(__name__)

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
AD_CLICK_KEYS = (
    "gclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "ttclid",
    "sccid",
    "msclkid",
    "gad_campaignid",
)


def query_params(url: str) -> dict[str, str]:
    """A URL's query decoded exactly once as a form (`+` is a space, `%2B` a plus)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=False))


def record_click(message: ClickMessage, *, campaign_from_path: bool = True) -> Click | None:
    """Store one click; a click id seen before is a no-op (returns None).

    `campaign_from_path` is off for web page views, whose paths are the site's, not link ids.
    """
    params = {**query_params(message.get("url", "")), **(message.get("params") or {})}
    campaign = _campaign(message, params, campaign_from_path)
    click = _build(message, params, campaign)
    try:
        with transaction.atomic():
            click.save()
    except IntegrityError:
        log.info("attribution.click.duplicate", project_id=message["project_id"])
        _index(Click.objects.get(click_id=message["click_id"]), campaign)  # heal the store
        return None
    _index(click, campaign)
    sink.write("clicks", [warehouse_row(click, campaign)])
    log.info("attribution.click.recorded", project_id=click.project_id, is_view=click.is_view)
    return click


def _campaign(message: ClickMessage, params: Mapping[str, str], from_path: bool) -> Campaign | None:
    """The click's campaign: the id ingest resolved, else `?c=`, else the link's path segment
    when the host is one of the project's link domains (or the project has none registered)."""
    project_id = message["project_id"]
    found = campaigns.by_id(project_id, message.get("campaign_id"))
    if found is None and params.get("c"):
        found = campaigns.by_display_id(project_id, params["c"])
    if found is None and from_path and _is_link_host(project_id, message.get("host", "")):
        found = campaigns.by_display_id(
            project_id, campaigns.display_id_from_url(message.get("url", ""))
        )
    return found


def _is_link_host(project_id: int, host: str) -> bool:
    hosts = set(Domain.objects.filter(project_id=project_id).values_list("host", flat=True))
    return not hosts or host.lower().split(":")[0] in hosts


def _build(message: ClickMessage, params: Mapping[str, str], campaign: Campaign | None) -> Click:
    agent = parse_user_agent(message.get("user_agent") or "")
    return Click(
        project_id=message["project_id"],
        campaign=campaign,
        click_id=message["click_id"],
        clicked_at=datetime.fromisoformat(message["clicked_at"]),
        ip=normalize_ip(message.get("ip")),
        user_agent=message.get("user_agent") or "",
        platform=agent.platform,
        os_version=agent.os_version,
        device_type=agent.device_type,
        in_app_browser=agent.in_app_browser,
        gaid=clean_device_id(params.get("gaid")) or "",
        idfa=clean_device_id(params.get("idfa")) or "",
        utm={k: params[k] for k in UTM_KEYS if params.get(k)},
        ad_click_ids={k: params[k] for k in AD_CLICK_KEYS if params.get(k)},
        url=message.get("url", ""),
        is_view=str(params.get("is_view", "")).lower() in {"1", "true", "yes"},
    )


def _index(click: Click, campaign: Campaign | None) -> None:
    clickstore.save(stored(click, campaign))


def stored(click: Click, campaign: Campaign | None) -> clickstore.StoredClick:
    """The click-store form of a Click row."""
    return clickstore.StoredClick(
        click_id=click.click_id,
        project_id=click.project_id,
        campaign_id=click.campaign_id,
        network=(campaign.network_code or "") if campaign else "",
        clicked_at=click.clicked_at.timestamp(),
        platform=click.platform,
        os_version=click.os_version,
        ip=click.ip,
        gaid=click.gaid or None,
        idfa=click.idfa or None,
        is_view=click.is_view,
        row_id=click.pk,
    )


def warehouse_row(click: Click, campaign: Campaign | None) -> dict[str, Any]:
    """The click's `clicks` warehouse row; live writes and the backfill both build it here."""
    return {
        "project_id": click.project_id,
        "click_id": click.click_id,
        "campaign_id": click.campaign_id or 0,
        "campaign_display_id": campaign.display_id if campaign else "",
        "network": (campaign.network_code or "") if campaign else "",
        "clicked_at": click.clicked_at,
        "ip": click.ip or "",
        "platform": click.platform,
        "os_version": click.os_version,
        "device_type": click.device_type,
        "in_app_browser": click.in_app_browser,
        "is_view": int(click.is_view),
        **{key: str(click.utm.get(key, "")) for key in UTM_KEYS},
    }
