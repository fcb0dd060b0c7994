"""A visitor reads our landing page in a real browser, taps a campaign link on a phone, then
opens the app: the page view reaches the web collector, the tap is a click, and the app's first
open is attributed to that campaign by IP + platform + OS version (the probabilistic tier)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK, RECORD_PAGE_VIEW
from attribution.models import Campaign, Install, Project

pytestmark = [pytest.mark.e2e, pytest.mark.urls("tests.e2e.urls")]

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
APP_AGENT = "Linkrunner-iOS/2.3.0 (iPhone; iOS 17.4; Build/230)"
FLAT_KEYS = {
    "token", "event_id", "event_type", "event_name", "visitor_id", "session_id", "page_url",
    "page_path", "document_referrer", "screen_width", "language", "timezone", "user_agent",
    "session_page_count", "traffic_source_type", "is_bot", "client_timestamp",
    "utm_source", "utm_medium", "utm_campaign", "ft_utm_source", "gclid", "ft_fbclid",
}  # fmt: skip


def wait_for(check: Any, seconds: float = 45.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


@pytest.fixture
def landing_project(live_url: str, transactional_db: None) -> tuple[Project, Campaign]:
    project, _ = Project.new("Browser e2e", allowed_origins=live_url)
    project.save()
    campaign = Campaign.objects.create(
        project=project,
        display_id=f"e2e-{uuid.uuid4().hex[:10]}",
        name="Spring newsletter",
        website="https://demo.hazelnut.test/spring",
        ios_web_redirect="https://apps.apple.com/app/id1234567890",
    )
    return project, campaign


def test_page_view_then_link_tap_then_app_open_is_attributed_to_the_campaign(
    live_url: str,
    broker: Any,
    browser: Any,
    landing_project: tuple[Project, Campaign],
    warehouse_rows: dict[str, list[dict[str, Any]]],
) -> None:
    project, campaign = landing_project
    page = (
        f"{live_url}/_sim/landing/{campaign.display_id}"
        "?utm_source=newsletter&utm_medium=email&utm_campaign=spring&follow=1"
    )
    browser.open(page, IPHONE_SAFARI)
    clicks = wait_for(lambda: broker.named(RECORD_CLICK))
    browser.close()

    views = broker.named(RECORD_PAGE_VIEW)
    assert len(views) == 1, "the collector sends exactly one page view on load"
    assert views[0]["ip"] == "127.0.0.1"
    view = views[0]  # flat: the event keys sit beside project_id, ip, user_agent, occurred_at
    assert set(view) | {"token"} >= FLAT_KEYS
    assert view["event_type"] == "page_view"
    assert view["utm_source"] == "newsletter"
    assert view["utm_campaign"] == "spring"
    assert view["user_agent"] == IPHONE_SAFARI
    assert view["page_url"] == page
    assert [c["campaign_id"] for c in clicks] == [campaign.pk]
    assert clicks[0]["user_agent"] == IPHONE_SAFARI
    assert clicks[0]["ip"] == "127.0.0.1"

    instance = uuid.uuid4().hex[:20]
    answer = requests.post(
        f"{live_url}/api/client/init",
        json={
            "token": project.token,
            "package_version": "4.0.1",
            "app_version": "2.3.0",
            "platform": "IOS",
            "source": "GENERAL",
            "install_instance_id": instance,
            "device_data": {
                "system_version": "17.4",
                "device": "iPhone15,2",
                "brand": "Apple",
                "idfv": str(uuid.uuid4()).upper(),
                "bundle_id": "com.example.e2e",
            },
        },
        headers={"User-Agent": APP_AGENT},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert broker.named(ATTRIBUTE_INSTALL), "the init was handed to the attribution queue"

    ran = broker.drain()
    assert ran >= 3  # page view, click, install and whatever they fan out to

    stored_views = warehouse_rows.get("page_views", [])
    assert [(v["page_url"], v["utm_source"]) for v in stored_views] == [(page, "newsletter")]

    install = Install.objects.get(project=project, install_instance_id=instance)
    assert install.status == Install.Status.ATTRIBUTED
    assert install.campaign_id == campaign.pk
    assert install.attribution_type == "INORGANIC"
    assert install.source == "click_match"
    assert install.click is not None
    assert install.click.click_id == clicks[0]["click_id"]
    assert "ip_ua_probabilistic" in str(install.decision)
