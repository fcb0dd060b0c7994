"""Cases C03, C04, C06 (click and identifier side) and C09, C11 (probabilistic matching)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK
from attribution.models import Campaign, Click, Install, Project
from attribution.useragent import parse_user_agent
from tests.attribution.conftest import click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
Rows = dict[str, list[dict[str, Any]]]
IOS_SAFARI_174 = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IOS_SAFARI_175 = IOS_SAFARI_174.replace("17_4", "17_5").replace("17.4", "17.5")
CHROME_ANDROID_14 = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
DALVIK_14 = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"
INSTAGRAM_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/21E219 Instagram 320.0.0.30.110 (iPhone15,2; iOS 17_4; en_US; en; "
    "scale=3.00; 1179x2556; 555000111) Safari/604.1"
)
INSTAGRAM_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Instagram "
    "320.0.0.30.110 Android (34/14; 420dpi; 1080x2400; Google/google; Pixel 8; shiba; shiba; "
    "en_US; 555000111)"
)


def test_c03_click_utms_are_stored_decoded_once(
    project: Project, run: Run, warehouse_rows: Rows
) -> None:
    url = (
        "https://go.example.test/c/lnk-c03?utm_source=clevertap&utm_medium=whatsapp"
        "&utm_campaign=user%5Fengagement%5F17%5F02%5F2023&utm_term=spring+sale&utm_content=size%2B1"
    )
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c03",
            at="2024-05-01T10:00:00Z",
            url=url,
            ip="203.0.113.30",
            user_agent=IOS_SAFARI_174,
        ),
    )

    expected = {
        "utm_source": "clevertap",
        "utm_medium": "whatsapp",
        "utm_campaign": "user_engagement_17_02_2023",
        "utm_term": "spring sale",
        "utm_content": "size+1",
    }
    assert Click.objects.get(click_id="clk-c03").utm == expected
    (row,) = warehouse_rows["clicks"]
    assert {key: row[key] for key in expected} == expected
    assert row["platform"] == "IOS"
    assert row["os_version"] == "17.4"


@pytest.mark.parametrize(
    ("user_agent", "os", "os_version"),
    [(INSTAGRAM_IOS, "iOS", "17.4"), (INSTAGRAM_ANDROID, "Android", "14")],
)
def test_c04_instagram_in_app_browser_is_recognised(
    user_agent: str, os: str, os_version: str
) -> None:
    agent = parse_user_agent(user_agent)
    assert agent.in_app_browser == "Instagram"
    assert agent.app_version == "320.0.0.30.110"
    assert agent.os == os
    assert agent.os_version == os_version
    assert agent.device_type == "mobile"
    assert agent.is_bot is False


@pytest.mark.parametrize(
    ("user_agent", "app"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/450.0.0.38.108;FBBV/1;FBDV/iPhone15,2;"
            "FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
            "Facebook",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-A536B; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 trill_320105 "
            "BytedanceWebview/d8a21c6",
            "TikTok",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
            "like Gecko) Mobile/15E148 Snapchat/12.80.0.40 (like Safari/8617.2.4.10.8, panda)",
            "Snapchat",
        ),
        (IOS_SAFARI_174, ""),
    ],
)
def test_c04_other_in_app_browsers(user_agent: str, app: str) -> None:
    assert parse_user_agent(user_agent).in_app_browser == app


def test_c04_click_records_the_in_app_browser(project: Project, run: Run) -> None:
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c04",
            at="2024-05-01T10:00:00Z",
            ip="203.0.113.4",
            user_agent=INSTAGRAM_IOS,
        ),
    )
    click = Click.objects.get(click_id="clk-c04")
    assert (click.in_app_browser, click.platform, click.os_version) == ("Instagram", "IOS", "17.4")


def test_c06_zero_gaid_is_absent_everywhere(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], click_store: redis.Redis
) -> None:
    campaign = make_campaign("promo_a")
    zeros = "00000000-0000-0000-0000-000000000000"
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c06",
            at="2024-05-01T10:00:00Z",
            params={"gaid": zeros},
            campaign=campaign,
            ip="192.0.2.99",
            user_agent=CHROME_ANDROID_14,
        ),
    )
    for iid, ip, at in (
        ("inst-c06a", "198.51.100.61", "2024-05-01T11:00:00Z"),
        ("inst-c06b", "198.51.100.62", "2024-05-01T11:05:00Z"),
    ):
        run(
            ATTRIBUTE_INSTALL,
            install_message(
                project,
                iid,
                at=at,
                device_data={"gaid": zeros, "limit_ad_tracking": True},
                ip=ip,
                user_agent=DALVIK_14,
            ),
        )

    assert Click.objects.get(click_id="clk-c06").gaid == ""
    assert click_store.keys(f"hz:clicks:{project.pk}:gaid:*") == []
    installs = Install.objects.filter(project=project).order_by("install_instance_id")
    assert [i.gaid for i in installs] == ["", ""]
    assert [i.attribution_type for i in installs] == ["ORGANIC", "ORGANIC"]
    assert [i.is_reinstall for i in installs] == [False, False]


def test_c09_ipv4_mapped_install_ip_matches_the_click(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("c09_ios")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c09",
            at="2024-05-03T08:00:00Z",
            campaign=campaign,
            ip="203.0.113.9",
            user_agent=IOS_SAFARI_174,
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c09",
            at="2024-05-03T08:15:00Z",
            platform="IOS",
            device_data={"idfv": "c09b0000-0000-4000-8000-000000000009", "idfa": None},
            ip="::ffff:203.0.113.9",
            user_agent="ExampleApp/3.2.0 (iPhone; iOS 17.4; Scale/3.00)",
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c09")
    assert install.ip == "203.0.113.9"
    assert install.attribution_type == "INORGANIC"
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "ip_ua_probabilistic"
    assert install.decision["rule"].startswith("tier 3")


def test_c09_native_ipv6_is_kept(project: Project, run: Run) -> None:
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c09-v6",
            at="2024-05-03T08:15:00Z",
            platform="IOS",
            ip="2001:db8::9",
        ),
    )
    assert Install.objects.get(install_instance_id="inst-c09-v6").ip == "2001:db8::9"


@pytest.mark.parametrize(
    ("click_agent", "platform", "install_agent", "device_data"),
    [
        (
            IOS_SAFARI_175,
            "IOS",
            "ExampleApp/1.0.0 iOS/17.5",
            {"idfv": "c11b0000-0000-4000-8000-000000000011", "system_version": "17.5"},
        ),
        (CHROME_ANDROID_14, "ANDROID", DALVIK_14, {"system_version": "14"}),
    ],
)
def test_c11_browser_click_matches_sdk_install_on_platform_and_os_version(
    project: Project,
    run: Run,
    make_campaign: Callable[..., Campaign],
    click_agent: str,
    platform: str,
    install_agent: str,
    device_data: dict[str, Any],
) -> None:
    campaign = make_campaign("c11_spring")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c11",
            at="2024-05-04T12:00:00Z",
            campaign=campaign,
            ip="192.0.2.44",
            user_agent=click_agent,
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c11",
            at="2024-05-04T12:20:00Z",
            platform=platform,
            device_data=device_data,
            ip="192.0.2.44",
            user_agent=install_agent,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c11")
    assert install.attribution_type == "INORGANIC"
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "ip_ua_probabilistic"


def test_c11_other_os_version_on_the_same_ip_does_not_match(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("c11_spring")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c11",
            at="2024-05-04T12:00:00Z",
            campaign=campaign,
            ip="192.0.2.44",
            user_agent=IOS_SAFARI_174,
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c11",
            at="2024-05-04T12:20:00Z",
            platform="IOS",
            device_data={"system_version": "17.5"},
            ip="192.0.2.44",
            user_agent="ExampleApp/1.0.0 iOS/17.5",
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c11")
    assert install.attribution_type == "ORGANIC"
    click_match = next(s for s in install.decision["strategies"] if s["name"] == "click_match")
    assert click_match["details"]["rejected_ip_clicks"][0]["os_version"] == "17.4"


def test_probabilistic_window_is_respected(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    project.probabilistic_window_hours = 1
    project.save()
    campaign = make_campaign("late")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-late",
            at="2024-05-04T10:00:00Z",
            campaign=campaign,
            ip="192.0.2.45",
            user_agent=CHROME_ANDROID_14,
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-late",
            at="2024-05-04T11:30:00Z",
            ip="192.0.2.45",
            user_agent=DALVIK_14,
        ),
    )
    assert Install.objects.get(install_instance_id="inst-late").attribution_type == "ORGANIC"
