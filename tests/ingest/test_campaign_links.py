"""Campaign links: lookup forms, redirect priorities per platform, click contents."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from attribution.contracts import RECORD_CLICK
from attribution.models import App, Campaign, Platform
from ingest import links
from tests.ingest.conftest import Api, Published

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
INSTAGRAM_IOS = IPHONE + " Instagram 330.0.0.0 (iPhone15,2; iOS 17_4)"


@pytest.fixture
def campaign(api: Api) -> Campaign:
    ios = App.objects.create(
        project=api.project, platform=Platform.IOS, name="App", bundle_id="com.ex", store_id="123"
    )
    created = Campaign.objects.create(
        project=api.project,
        display_id="spring",
        name="Spring",
        deeplink="exapp://promo",
        website="https://example.test/spring",
        android_web_redirect="https://example.test/android",
    )
    created.store_listings.add(ios)
    return created


def _get(path: str, user_agent: str) -> Any:
    return Client(REMOTE_ADDR="203.0.113.9").get(path, headers={"user-agent": user_agent})


def test_desktop_goes_to_the_campaign_site(campaign: Campaign, published: Published) -> None:
    response = _get("/spring?gclid=abc", DESKTOP)

    assert response.status_code == 302
    assert response["Location"] == "https://example.test/spring"
    (click,) = published.of(RECORD_CLICK)
    assert click["params"] == {"gclid": "abc"}
    assert len(click["click_id"]) == 32


def test_ios_browser_goes_to_the_app_store(campaign: Campaign, published: Published) -> None:
    response = _get("/?c=spring", IPHONE)

    assert response["Location"] == "https://apps.apple.com/app/id123"
    assert published.of(RECORD_CLICK)[0]["params"] == {}


def test_android_platform_redirect_wins_over_store(
    campaign: Campaign, published: Published
) -> None:
    assert _get("/c/spring/", ANDROID)["Location"] == "https://example.test/android"


def test_in_app_browser_tries_the_deep_link_first(campaign: Campaign, published: Published) -> None:
    response = _get("/spring?ref=ada", INSTAGRAM_IOS)

    assert response.status_code == 200
    page = response.content.decode()
    assert '"exapp://promo?ref=ada"' in page
    assert '"https://apps.apple.com/app/id123"' in page
    assert ",300)" in page


def test_inactive_campaign_redirects_without_a_click(
    campaign: Campaign, published: Published
) -> None:
    campaign.active = False
    campaign.save()

    response = _get("/spring", DESKTOP)

    assert response.status_code == 302
    assert published.messages == []


def test_unknown_link_is_a_404(api: Api, published: Published) -> None:
    assert _get("/nope", DESKTOP).status_code == 404
    assert _get("/?c=nope", DESKTOP).status_code == 404
    assert published.messages == []


def test_catch_all_leaves_other_routes_alone(api: Api) -> None:
    assert Client().get("/healthz").status_code == 200
    assert Client().get("/admin").status_code == 301
    assert Client().get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("user_agent", "platform", "in_app"),
    [
        (IPHONE, "IOS", ""),
        (ANDROID, "ANDROID", ""),
        (DESKTOP, "DESKTOP", ""),
        (INSTAGRAM_IOS, "IOS", "instagram"),
        (
            ANDROID.replace("Pixel 8)", "Pixel 8; wv)") + " [FBAN/FB4A;FBAV/450.0]",
            "ANDROID",
            "facebook",
        ),
    ],
)
def test_detect(user_agent: str, platform: str, in_app: str) -> None:
    assert links.detect(user_agent) == links.Visitor(platform, in_app)


def test_script_schemes_never_reach_the_page(api: Api, published: Published) -> None:
    Campaign.objects.create(
        project=api.project, display_id="bad", name="Bad", deeplink="javascript:alert(1)"
    )

    page = _get("/bad", INSTAGRAM_IOS).content.decode()

    assert "alert" not in page


def test_nul_in_click_parameters_is_dropped_not_stored(
    campaign: Campaign, published: Published
) -> None:
    # PostgreSQL jsonb cannot hold NUL: a click carrying it would fail in the worker, lost.
    response = _get("/spring?utm_source=fb%00ads&x%00y=1", DESKTOP)

    assert response.status_code == 302
    assert published.of(RECORD_CLICK)[0]["params"] == {"utm_source": "fbads", "xy": "1"}


def test_nul_in_campaign_query_id_is_not_found(campaign: Campaign, published: Published) -> None:
    response = _get("/?c=spring%00", DESKTOP)

    assert response.status_code == 404
    assert published.messages == []
