"""Campaign links: lookup forms, redirect priorities per platform, click contents."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from attribution import clickstore
from attribution.contracts import RECORD_CLICK
from attribution.models import App, Campaign, Domain, Platform, Project
from hazelnut import metrics, ratelimit
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


def _get(path: str, user_agent: str, ip: str = "203.0.113.9", host: str = "testserver") -> Any:
    return Client(REMOTE_ADDR=ip).get(path, headers={"user-agent": user_agent, "host": host})


def _unrecorded(reason: str) -> float:
    return float(metrics.LINK_CLICKS_UNRECORDED.labels(reason)._value.get())


def test_desktop_goes_to_the_campaign_site(campaign: Campaign, published: Published) -> None:
    response = _get("/spring?gclid=abc", DESKTOP)

    assert response.status_code == 302
    assert response["Location"] == "https://example.test/spring"
    (click,) = published.of(RECORD_CLICK)
    assert click["params"] == {"gclid": "abc"}
    assert len(click["click_id"]) == 32


def test_a_recorded_click_is_announced_under_its_ip_until_it_is_stored(
    campaign: Campaign, published: Published
) -> None:
    _get("/spring", ANDROID, ip="::ffff:198.51.100.77")
    (click,) = published.of(RECORD_CLICK)

    def unstored(ip: str) -> tuple[str, ...]:
        at = timezone.now()
        return clickstore.find(
            clickstore.Lookup(campaign.project_id, at, None, None, ip, None, 0, 60)
        ).unstored

    assert unstored("198.51.100.77") == (click["click_id"],)
    assert unstored("198.51.100.78") == ()
    stored = clickstore.StoredClick(
        click["click_id"], campaign.project_id, campaign.pk, "", 0.0, "ANDROID", "14",
        "198.51.100.77", None, None, False,
    )  # fmt: skip
    clickstore.save(stored)
    assert unstored("198.51.100.77") == ()


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


def test_a_link_answers_other_methods_with_405_and_records_nothing(
    campaign: Campaign, published: Published
) -> None:
    strict = Client(enforce_csrf_checks=True)
    for method in (strict.post, strict.put, strict.delete):
        response = method("/spring", data="{}", content_type="application/json")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
    assert strict.head("/spring", headers={"user-agent": DESKTOP}).status_code == 302
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


@override_settings(HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND=2)
def test_clicks_over_the_per_ip_limit_are_sent_on_but_not_recorded(
    campaign: Campaign, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_000_000.5)  # one window throughout
    before = _unrecorded("rate_limited")

    responses = [_get(f"/spring?n={n}", DESKTOP) for n in range(4)]
    elsewhere = _get("/spring?n=other-ip", DESKTOP, ip="198.51.100.7")

    assert [r.status_code for r in responses] == [302, 302, 302, 302]
    assert {r["Location"] for r in responses} == {"https://example.test/spring"}
    assert elsewhere.status_code == 302
    recorded = [click["params"]["n"] for click in published.of(RECORD_CLICK)]
    assert recorded == ["0", "1", "other-ip"]
    assert _unrecorded("rate_limited") - before == 2


@override_settings(HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND=1)
def test_the_click_limit_opens_again_in_the_next_window(
    campaign: Campaign, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [1_000_000.5]
    monkeypatch.setattr(ratelimit, "clock", lambda: moment[0])

    _get("/spring?n=1", DESKTOP)
    _get("/spring?n=2", DESKTOP)
    moment[0] += 1
    _get("/spring?n=3", DESKTOP)

    assert [click["params"]["n"] for click in published.of(RECORD_CLICK)] == ["1", "3"]


def _domain(project: Project, host: str, *, default: bool = False) -> Domain:
    return Domain.objects.create(project=project, host=host, is_default=default)


def test_a_click_on_the_campaigns_domain_is_recorded(
    campaign: Campaign, published: Published
) -> None:
    campaign.domain = _domain(campaign.project, "go.example.test")
    campaign.save()

    response = _get("/spring", DESKTOP, host="Go.Example.Test:8443")

    assert response.status_code == 302
    assert published.of(RECORD_CLICK)[0]["host"] == "Go.Example.Test:8443"


def test_a_click_on_a_host_that_is_not_the_projects_is_a_404(
    campaign: Campaign, published: Published
) -> None:
    campaign.domain = _domain(campaign.project, "go.example.test")
    campaign.save()
    stranger, _ = Project.new("Someone else", website="https://elsewhere.test")
    stranger.save()
    _domain(stranger, "links.elsewhere.test", default=True)
    before = _unrecorded("foreign_host")

    on_stranger = _get("/spring", DESKTOP, host="links.elsewhere.test")
    on_api_host = _get("/?c=spring", IPHONE, host="api.hazelnut.test")

    assert (on_stranger.status_code, on_api_host.status_code) == (404, 404)
    assert b"This link does not exist." in on_stranger.content
    assert published.messages == []
    assert _unrecorded("foreign_host") - before == 2


def test_the_projects_other_domains_serve_its_links(
    campaign: Campaign, published: Published
) -> None:
    # Links handed out on the default domain keep working after the campaign moves to another.
    _domain(campaign.project, "old.example.test", default=True)
    campaign.domain = _domain(campaign.project, "go.example.test")
    campaign.save()

    assert _get("/spring", DESKTOP, host="old.example.test").status_code == 302
    assert _get("/spring", DESKTOP, host="elsewhere.test").status_code == 404
    assert len(published.of(RECORD_CLICK)) == 1


def test_the_default_domain_is_the_link_domain_of_a_campaign_without_one(
    campaign: Campaign, published: Published
) -> None:
    _domain(campaign.project, "go.example.test", default=True)

    assert _get("/spring", DESKTOP, host="go.example.test").status_code == 302
    assert _get("/spring", DESKTOP, host="testserver").status_code == 404
    assert len(published.of(RECORD_CLICK)) == 1


def test_without_a_link_domain_any_host_serves_the_link(
    campaign: Campaign, published: Published
) -> None:
    # No default and none on the campaign: its link was given out on the API's own host.
    _domain(campaign.project, "spare.example.test")

    assert _get("/spring", DESKTOP, host="api.hazelnut.test").status_code == 302
    assert len(published.of(RECORD_CLICK)) == 1
