"""Landing-page views as the web collector sends them: one flat JSON event per page load in the
shape of section 5.1 of the SDK contract, from the phone's own browser (its address and user
agent), before the visitor taps the campaign link on that page."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ingest.simulation.devices import Device

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_id", "utm_term", "utm_content")
CLICK_ID_KEYS = ("gclid", "gbraid", "wbraid", "fbclid", "fbc", "fbp", "ttclid", "twclid",
                 "msclkid", "li_fat_id", "dclid", "irclickid")  # fmt: skip
LANDING = "https://demo.hazelnut.test/app"


def page_view(device: Device, web_token: str, url: str, rng: random.Random) -> dict[str, Any]:
    params = dict(parse_qsl(urlsplit(url).query))
    utm = {key: params.get(key, "") for key in UTM_KEYS}
    ios = device.platform == "IOS"
    event: dict[str, Any] = {
        "token": web_token,
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event_type": "page_view",
        "event_name": "",
        "event_data": "",
        "visitor_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "session_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "user_id": "",
        "is_new_visitor": 0,
        "page_url": url,
        "page_path": urlsplit(url).path,
        "page_title": "The Hazelnut demo app",
        "page_hash": "",
        "page_search": "?" + urlsplit(url).query if urlsplit(url).query else "",
        "document_referrer": "",
        "referring_domain": "",
        "canonical_url": LANDING,
        "screen_width": 390 if ios else 412,
        "screen_height": 844 if ios else 915,
        "screen_color_depth": 24,
        "viewport_width": 390 if ios else 412,
        "viewport_height": 664 if ios else 780,
        "device_pixel_ratio": 3,
        "language": "en-US",
        "languages": '["en-US","en"]',
        "platform": "iPhone" if ios else "Linux armv8l",
        "timezone": "America/New_York",
        "timezone_offset": 300,
        "connection_type": "4g",
        "cookies_enabled": 1,
        "do_not_track": "",
        "touch_support": 1,
        "hardware_concurrency": 6 if ios else 8,
        "device_memory": 0 if ios else 8,
        "user_agent": device.browser_agent,
        "session_page_count": 1,
        "entry_page": url,
        "traffic_source_type": "campaign" if utm["utm_source"] else "direct",
        "traffic_source_name": utm["utm_source"] or "direct",
        "ft_traffic_source_type": "campaign" if utm["utm_source"] else "direct",
        "ft_traffic_source_name": utm["utm_source"] or "direct",
        "is_bot": 0,
        "client_timestamp": datetime.now(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "page_load_time": rng.randrange(400, 2500),
        "dom_content_loaded": rng.randrange(200, 1200),
        "dns_lookup_time": rng.randrange(0, 60),
        "tcp_connection_time": rng.randrange(0, 80),
        "ttfb": rng.randrange(40, 400),
        "dom_interactive": rng.randrange(150, 1100),
    }
    for key in UTM_KEYS:
        event[key] = utm[key]
        event[f"ft_{key}"] = utm[key]
    for key in CLICK_ID_KEYS:
        event[key] = params.get(key, "")
        event[f"ft_{key}"] = params.get(key, "")
    return event
