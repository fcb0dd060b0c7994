"""Web page views from the web collector: one warehouse `page_views` row each, and a web click
when the page was reached through a campaign (utm parameters, an ad click id or a link id), so
a later install can be matched to it like any other click.

The message (ingest, `attribution.clicks.page_view`) is the web collector's flat event plus
project_id, referrer, ip, user_agent and occurred_at (ISO-8601); `params` is optional. Only the
page URL's own query (and `params`) makes a click: the collector's top-level utm_* and click-id
keys are last-touch values remembered for a day or more, which would turn every later page of
the visit into another click. They do feed the warehouse row, with the collector's own traffic
source classification when it sent one. Custom and identify events, and bots, are stored but
never count as clicks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from attribution import sink
from attribution.clicks import AD_CLICK_KEYS, UTM_KEYS, query_params, record_click
from attribution.contracts import ClickMessage
from hazelnut.net import normalize_ip

_CAMPAIGN_MARKERS = (*UTM_KEYS, *AD_CLICK_KEYS, "c", "lr_ia_id")


def record_page_view(message: Mapping[str, Any]) -> bool:
    """Store the page view; returns True when it also counted as a web click."""
    url = str(message.get("page_url") or "")
    params = {**query_params(url), **(message.get("params") or {})}
    sink.write("page_views", [_row(message, params)])
    if str(message.get("event_type") or "page_view") != "page_view" or _truthy(
        message.get("is_bot")
    ):
        return False
    if not any(params.get(key) for key in _CAMPAIGN_MARKERS):
        return False
    click: ClickMessage = {
        "project_id": int(message["project_id"]),
        "campaign_id": None,
        "click_id": str(params.get("lr_ia_id") or f"pv_{message['event_id']}")[:64],
        "clicked_at": str(message["occurred_at"]),
        "ip": message.get("ip"),
        "user_agent": str(message.get("user_agent") or ""),
        "url": url,
        "host": urlsplit(url).netloc,
        "params": params,
    }
    record_click(click, campaign_from_path=False)
    return True


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes"}


def _row(message: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    referrer = str(message.get("referrer") or "")
    source_type, source_name = _traffic_source(params, referrer)
    if message.get("traffic_source_type"):
        source_type = str(message["traffic_source_type"])
        source_name = str(message.get("traffic_source_name") or "")
    return {
        "project_id": int(message["project_id"]),
        "event_id": str(message.get("event_id") or ""),
        "visitor_id": str(message.get("visitor_id") or ""),
        "session_id": str(message.get("session_id") or ""),
        "event_type": str(message.get("event_type") or "page_view"),
        "event_name": str(message.get("event_name") or ""),
        "page_url": str(message.get("page_url") or ""),
        "referring_domain": urlsplit(referrer).netloc,
        "traffic_source_type": source_type,
        "traffic_source_name": source_name,
        "utm_source": params.get("utm_source") or str(message.get("utm_source") or ""),
        "utm_medium": params.get("utm_medium") or str(message.get("utm_medium") or ""),
        "utm_campaign": params.get("utm_campaign") or str(message.get("utm_campaign") or ""),
        "ip": normalize_ip(message.get("ip")) or "",
        "user_agent": str(message.get("user_agent") or ""),
        "occurred_at": datetime.fromisoformat(str(message["occurred_at"])),
    }


def _traffic_source(params: Mapping[str, str], referrer: str) -> tuple[str, str]:
    if any(params.get(k) for k in AD_CLICK_KEYS):
        return "paid", next(k for k in AD_CLICK_KEYS if params.get(k))
    if params.get("utm_source"):
        return "campaign", params["utm_source"]
    if referrer:
        return "referral", urlsplit(referrer).netloc
    return "direct", ""
