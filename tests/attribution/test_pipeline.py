"""Click dedup, web page views, deep-link re-engagement, the public facade and the decision
trace route."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from attribution import api
from attribution.api import InstallAttribution, get_install_attribution
from attribution.contracts import ATTRIBUTE_INSTALL, HANDLE_DEEPLINK, RECORD_CLICK, RECORD_PAGE_VIEW
from attribution.models import Campaign, Click, Domain, Install, Project, Reengagement
from hazelnut.warehouse.rows import normalize, table_named
from ingest.views.decisions import decision_trace
from postbacks.api import FAN_OUT_EVENT
from tests.attribution.conftest import Sent, click_message, install_message, iso

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
Rows = dict[str, list[dict[str, Any]]]
GAID = "cccc0000-0000-4000-8000-00000000000c"


def test_duplicate_click_id_is_stored_once(
    project: Project, run: Run, warehouse_rows: Rows, click_store: redis.Redis
) -> None:
    message = click_message(project, "clk-dup", at="2024-05-01T10:00:00Z", params={"gaid": GAID})
    run(RECORD_CLICK, message)
    run(RECORD_CLICK, message)

    assert Click.objects.filter(click_id="clk-dup").count() == 1
    assert len(warehouse_rows["clicks"]) == 1
    members = click_store.zrange(f"hz:clicks:{project.pk}:gaid:{GAID}", 0, -1)
    assert members == [b"clk-dup"]
    assert 0 < click_store.ttl(f"hz:clicks:{project.pk}:gaid:{GAID}") <= 30 * 86400


def test_click_store_ttl_is_configurable(
    project: Project, run: Run, click_store: redis.Redis, settings: Any
) -> None:
    settings.HAZELNUT_CLICK_STORE_TTL_DAYS = 2
    run(RECORD_CLICK, click_message(project, "clk-ttl", at="2024-05-01T10:00:00Z", ip="192.0.2.1"))
    assert 86400 < click_store.ttl("hz:click:clk-ttl") <= 2 * 86400


def _page_view(project: Project, event_id: str, url: str) -> dict[str, Any]:
    return {
        "project_id": project.pk,
        "event_id": event_id,
        "visitor_id": "v1",
        "session_id": "s1",
        "event_type": "page_view",
        "page_url": url,
        "referrer": "https://news.example.org/article",
        "ip": "::ffff:192.0.2.80",
        "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
        "occurred_at": iso("2024-05-01T10:00:00Z"),
    }


def test_page_view_with_campaign_params_counts_as_a_web_click(
    project: Project, run: Run, warehouse_rows: Rows
) -> None:
    run(
        RECORD_PAGE_VIEW, _page_view(project, "pv-1", "https://shop.test/?utm_source=news&gclid=G1")
    )
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-2", "https://shop.test/about"))

    rows = warehouse_rows["page_views"]
    assert [r["event_id"] for r in rows] == ["pv-1", "pv-2"]
    assert rows[0]["utm_source"] == "news"
    assert rows[0]["traffic_source_type"] == "paid"
    assert rows[1]["traffic_source_type"] == "referral"
    assert rows[0]["ip"] == "192.0.2.80"
    click = Click.objects.get(project=project)
    assert click.click_id == "pv_pv-1"
    assert click.ad_click_ids == {"gclid": "G1"}
    assert click.platform == "IOS"


def test_deeplink_after_inactivity_creates_one_reengagement(
    project: Project,
    run: Run,
    sent: Sent,
    make_campaign: Callable[..., Campaign],
    warehouse_rows: dict[str, list[dict[str, Any]]],
) -> None:
    project.reengagement_inactivity_days = 7
    project.save()
    campaign = make_campaign("winback")
    run(ATTRIBUTE_INSTALL, install_message(project, "inst-re", at="2024-05-01T10:00:00Z"))
    soon = {
        "project_id": project.pk,
        "install_instance_id": "inst-re",
        "deeplink_url": "https://go.example.test/winback?screen=offer",
        "device_data": {},
        "ip": None,
        "user_agent": "",
        "received_at": iso("2024-05-03T10:00:00Z"),
    }
    run(HANDLE_DEEPLINK, soon)
    assert not Reengagement.objects.exists()

    later = {**soon, "received_at": iso("2024-05-20T10:00:00Z")}
    run(HANDLE_DEEPLINK, later)
    run(HANDLE_DEEPLINK, later)  # redelivered

    (row,) = Reengagement.objects.all()
    assert (row.trigger, row.campaign) == ("deeplink", campaign)
    assert sent.named(FAN_OUT_EVENT) == [{"kind": "reengagement", "object_id": row.id}]
    # The reports count it from the warehouse, once, on the day it happened.
    (counted,) = [r for r in warehouse_rows["installs"] if r["is_reengagement"]]
    assert (counted["campaign_id"], counted["installed_at"]) == (campaign.pk, row.occurred_at)


def test_paid_reinstall_after_inactivity_is_a_reengagement(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("reinstall_promo")
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "first", at="2024-05-01T10:00:00Z", device_data={"gaid": GAID}),
    )
    run(
        RECORD_CLICK,
        click_message(
            project, "clk-back", at="2024-06-01T09:00:00Z", campaign=campaign, params={"gaid": GAID}
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "second", at="2024-06-01T10:00:00Z", device_data={"gaid": GAID}),
    )

    second = Install.objects.get(install_instance_id="second")
    assert second.is_reinstall is True
    assert second.campaign == campaign
    (row,) = Reengagement.objects.all()
    assert (row.trigger, row.install) == ("reinstall", second)


@pytest.fixture
def attributed() -> Iterator[list[InstallAttribution]]:
    seen: list[InstallAttribution] = []

    def receiver(sender: Any, attribution: InstallAttribution, **_: Any) -> None:
        seen.append(attribution)

    api.install_attributed.connect(receiver)
    yield seen
    api.install_attributed.disconnect(receiver)


def test_facade_reports_attribution_and_signals_once(
    project: Project,
    run: Run,
    make_campaign: Callable[..., Campaign],
    attributed: list[InstallAttribution],
) -> None:
    campaign = make_campaign("facade", network="META")
    run(
        RECORD_CLICK,
        click_message(
            project, "clk-f", at="2024-05-01T09:00:00Z", campaign=campaign, params={"gaid": GAID}
        ),
    )
    message = install_message(
        project, "inst-f", at="2024-05-01T10:00:00Z", device_data={"gaid": GAID}
    )
    assert get_install_attribution(project.pk, "inst-f") is None
    run(ATTRIBUTE_INSTALL, message)
    run(ATTRIBUTE_INSTALL, message)

    found = get_install_attribution(project.pk, "inst-f")
    assert found is not None
    assert (found.status, found.attribution_type) == ("ATTRIBUTED", "INORGANIC")
    assert (found.campaign_display_id, found.network, found.source) == (
        "facade",
        "META",
        "click_match",
    )
    assert found.is_final
    assert attributed == [found]


def _get(project_key: str | None, **query: str) -> HttpResponse:
    headers = {"Linkrunner-Key": project_key} if project_key else None
    request = RequestFactory().get("/api/v1/attribution-decision", query, headers=headers)
    return decision_trace(request)


def test_decision_trace_route(project_with_key: tuple[Project, str], run: Run) -> None:
    project, key = project_with_key
    run(ATTRIBUTE_INSTALL, install_message(project, "inst-trace", at="2024-05-01T10:00:00Z"))

    assert _get(None, install_instance_id="inst-trace").status_code == 401
    assert _get("hz_sk_wrong", install_instance_id="inst-trace").status_code == 401
    assert _get(key).status_code == 400
    assert _get(key, install_instance_id="nope").status_code == 404
    response = _get(key, install_instance_id="inst-trace")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["data"]["attribution_type"] == "ORGANIC"
    assert body["data"]["decision"]["rule"] == "no candidate: organic"
    assert [s["name"] for s in body["data"]["decision"]["strategies"]] == [
        "meta_referrer",
        "google_ads_referrer",
        "play_referrer",
        "click_match",
    ]


def test_warehouse_rows_fit_the_warehouse_tables(
    project: Project, run: Run, warehouse_rows: Rows, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("rows")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-rows",
            at="2024-05-01T09:00:00Z",
            campaign=campaign,
            params={"gaid": GAID},
            url="https://go.example.test/rows?utm_source=a&utm_campaign=b",
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project, "inst-rows", at="2024-05-01T10:00:00Z", device_data={"gaid": GAID}
        ),
    )
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-rows", "https://shop.test/?utm_source=x"))

    assert set(warehouse_rows) == {"clicks", "installs", "page_views"}
    for table, rows in warehouse_rows.items():
        normalized = normalize(table_named(table), rows)
        assert len(normalized) == len(rows)
    (install_row,) = warehouse_rows["installs"]
    assert install_row["campaign_display_id"] == "rows"
    assert install_row["click_to_install_seconds"] == 3600
    assert install_row["attribution_type"] == "INORGANIC"


def test_page_view_path_is_not_taken_for_a_link_id(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    make_campaign("about")
    promo = make_campaign("promo")
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-a", "https://shop.test/about?utm_source=x"))
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-b", "https://shop.test/about?c=promo"))

    assert Click.objects.get(click_id="pv_pv-a").campaign is None
    assert Click.objects.get(click_id="pv_pv-b").campaign == promo


def _ios_install(project: Project, instance: str, at: str) -> dict[str, Any]:
    return install_message(
        project,
        instance,
        at=at,
        platform="IOS",
        device_data={"system_version": "17.4"},
        ip="192.0.2.80",
        user_agent="ExampleApp/1.0.0 iOS/17.4",
    )


def test_landing_view_before_the_link_tap_leaves_the_install_to_the_links_campaign(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    """The page view names no campaign, so it is no candidate even though it is the oldest
    touch; it is kept in the decision as a click without a campaign (the demo's fault)."""
    campaign = make_campaign("spring", network="TIKTOK")
    landing = "https://shop.test/app?utm_source=tiktok&utm_campaign=spring"
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-landing", landing))
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-tap",
            at="2024-05-01T10:00:20Z",
            campaign=campaign,
            ip="192.0.2.80",
            user_agent=_page_view(project, "x", landing)["user_agent"],
        ),
    )
    run(ATTRIBUTE_INSTALL, _ios_install(project, "inst-landing", "2024-05-01T10:05:00Z"))

    install = Install.objects.get(install_instance_id="inst-landing")
    assert (install.attribution_type, install.source) == ("INORGANIC", "click_match")
    assert install.campaign == campaign
    assert install.network_code == "TIKTOK"
    assert install.click is not None
    assert install.click.click_id == "clk-tap"
    assert [c["click_id"] for c in install.decision["ranking"]] == ["clk-tap"]
    click_match = next(s for s in install.decision["strategies"] if s["name"] == "click_match")
    assert click_match["details"]["clicks_without_campaign"] == ["pv_pv-landing"]
    assert Click.objects.get(click_id="pv_pv-landing").claimed_by_install_id is None


def test_a_page_view_alone_names_no_campaign_and_credits_nothing(
    project: Project, run: Run
) -> None:
    landing = "https://shop.test/app?utm_source=news&gclid=G7"
    run(RECORD_PAGE_VIEW, _page_view(project, "pv-only", landing))
    run(ATTRIBUTE_INSTALL, _ios_install(project, "inst-view-only", "2024-05-01T10:05:00Z"))

    install = Install.objects.get(install_instance_id="inst-view-only")
    assert install.attribution_type == "ORGANIC"
    assert install.campaign is None
    assert install.source == ""
    assert install.click is None


def test_link_path_resolves_only_on_the_projects_link_domains(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("lnk-dom")
    Domain.objects.create(project=project, host="go.example.test", is_default=True)
    run(
        RECORD_CLICK,
        {
            **click_message(
                project, "clk-ok", at="2024-05-01T10:00:00Z", url="https://go.example.test/lnk-dom"
            )
        },
    )
    other = click_message(
        project, "clk-other", at="2024-05-01T10:00:00Z", url="https://elsewhere.test/lnk-dom"
    )
    run(RECORD_CLICK, {**other, "host": "elsewhere.test"})

    assert Click.objects.get(click_id="clk-ok").campaign == campaign
    assert Click.objects.get(click_id="clk-other").campaign is None


def test_attributing_an_install_costs_nine_statements(
    project: Project,
    run: Run,
    make_campaign: Callable[..., Campaign],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hot path's exact statement count (transaction control excluded, other apps'
    receivers of install_attributed disconnected): project, existing installs, reinstall check,
    insert, Google account check, click claim, campaign, final update, fan-out mark. A batch
    pays the same few statements (tests/attribution/test_batch.py)."""
    campaign = make_campaign("count")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-count",
            at="2024-05-01T09:00:00Z",
            campaign=campaign,
            params={"gaid": GAID},
        ),
    )
    monkeypatch.setattr(api.install_attributed, "receivers", [])
    monkeypatch.setattr(api.install_attributed, "sender_receivers_cache", {})
    message = install_message(
        project, "inst-count", at="2024-05-01T10:00:00Z", device_data={"gaid": GAID}
    )
    with CaptureQueriesContext(connection) as captured:
        run(ATTRIBUTE_INSTALL, message)

    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == 9, statements
    assert Install.objects.get(install_instance_id="inst-count").campaign == campaign

    # A later app open of the same install: project, existing installs, session count.
    later = {**message, "received_at": iso("2024-05-02T10:00:00Z")}
    with CaptureQueriesContext(connection) as captured:
        run(ATTRIBUTE_INSTALL, later)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == 3, statements
    assert Install.objects.get(install_instance_id="inst-count").session_count == 2


def test_collector_last_touch_keys_feed_the_row_but_make_no_click(
    project: Project, run: Run, warehouse_rows: Rows
) -> None:
    later_page = {
        **_page_view(project, "pv-later", "https://shop.test/pricing"),
        "utm_source": "newsletter",
        "utm_medium": "email",
        "gclid": "OLD-GCLID",
        "traffic_source_type": "email",
        "traffic_source_name": "newsletter",
    }
    bot = {**_page_view(project, "pv-bot", "https://shop.test/?utm_source=x"), "is_bot": 1}
    custom = {
        **_page_view(project, "pv-custom", "https://shop.test/?utm_source=x"),
        "event_type": "custom",
        "event_name": "signup_click",
    }
    for message in (later_page, bot, custom):
        run(RECORD_PAGE_VIEW, message)

    rows = {row["event_id"]: row for row in warehouse_rows["page_views"]}
    assert (rows["pv-later"]["utm_source"], rows["pv-later"]["traffic_source_type"]) == (
        "newsletter",
        "email",
    )
    assert rows["pv-custom"]["event_type"] == "custom"
    assert not Click.objects.filter(project=project).exists()
