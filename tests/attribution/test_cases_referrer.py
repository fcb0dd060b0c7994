"""Cases C01, C08, C22 (click side): the Play install referrer through the whole install task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK
from attribution.models import Campaign, Click, Install, Project
from tests.attribution.conftest import click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
DALVIK = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"
CHROME = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    "referrer",
    ["utm_source=(not%20set)&utm_medium=(not%20set)", "utm_source=google-play&utm_medium=organic"],
)
def test_c01_placeholder_referrer_is_organic(project: Project, run: Run, referrer: str) -> None:
    data = {"gaid": "c01a0000-0000-4000-8000-000000000001", "install_ref": referrer}
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c01",
            at="2024-05-01T10:00:00Z",
            device_data=data,
            ip="198.51.100.10",
            user_agent=DALVIK,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c01")
    assert install.attribution_type == "ORGANIC"
    assert install.status == "ATTRIBUTED"
    assert install.campaign is None
    assert install.source == ""
    assert install.decision["winner"] is None
    assert install.decision["referrer"]["organic"] is True
    assert install.decision["referrer"]["utm"] == (
        {} if "not" in referrer else {"utm_source": "google-play", "utm_medium": "organic"}
    )
    assert not Campaign.objects.filter(name__icontains="not set").exists()


def test_c01_placeholder_referrer_still_lets_a_device_id_click_win(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("c01_device")
    gaid = "c01a0000-0000-4000-8000-000000000001"
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c01",
            at="2024-05-01T09:00:00Z",
            params={"gaid": gaid},
            campaign=campaign,
            ip="203.0.113.1",
            user_agent=CHROME,
        ),
    )
    data = {"gaid": gaid, "install_ref": "utm_source=(not%20set)&utm_medium=(not%20set)"}
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c01",
            at="2024-05-01T10:00:00Z",
            device_data=data,
            ip="198.51.100.10",
            user_agent=DALVIK,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c01")
    assert install.attribution_type == "INORGANIC"
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "device_id"
    assert install.decision["rule"].startswith("tier 2")


def test_c08_referrer_timestamps_are_seconds_and_zero_is_unknown(
    project: Project, run: Run
) -> None:
    data = {
        "gaid": "c08a0000-0000-4000-8000-000000000008",
        "install_ref": "utm_source=partner_x&utm_medium=cpi&utm_campaign=c08",
        "install_ref_referrerClickTimestampSeconds": 1717000000,
        "install_ref_installBeginTimestampSeconds": 0,
    }
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c08",
            at="2024-05-29T16:40:00Z",
            device_data=data,
            ip="198.51.100.80",
            user_agent=DALVIK,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c08")
    assert install.attribution_type == "INORGANIC"
    assert install.source == "play_referrer"
    winner = install.decision["winner"]
    assert winner["matched_by"] == "install_referrer"
    assert winner["details"]["utm"]["utm_source"] == "partner_x"
    assert winner["details"]["utm"]["utm_campaign"] == "c08"
    referrer = install.decision["referrer"]
    assert referrer["click_time"] == "2024-05-29T16:26:40Z"
    assert referrer["install_begin_time"] is None
    assert install.store_click_at is not None
    assert install.store_click_at.isoformat() == "2024-05-29T16:26:40+00:00"


@pytest.mark.parametrize(
    ("referrer", "strategy"),
    [
        ("utm_source=partner_x&utm_medium=cpi&utm_campaign=c08", "play_referrer"),
        ("gclid=Cj0-old&utm_source=google-play&utm_medium=cpc", "google_ads_referrer"),
    ],
)
def test_a_referrer_click_older_than_the_click_look_back_credits_nothing(
    project: Project, run: Run, referrer: str, strategy: str
) -> None:
    data = {
        "gaid": "c08b0000-0000-4000-8000-000000000008",
        "install_ref": referrer,
        "install_ref_referrerClickTimestampSeconds": 1717000000,  # 2024-05-29T16:26:40Z
    }
    # The project's click look-back is 168 hours; the store click was 169 hours before.
    at = "2024-06-05T17:26:40Z"
    message = install_message(project, "inst-old", at=at, device_data=data, user_agent=DALVIK)
    run(ATTRIBUTE_INSTALL, message)

    install = Install.objects.get(install_instance_id="inst-old")
    assert (project.click_lookback_hours, install.attribution_type) == (168, "ORGANIC")
    (step,) = [s for s in install.decision["strategies"] if s["name"] == strategy]
    assert step["note"] == "referrer click older than the click look-back window"
    assert step["details"] == {
        "click_time": "2024-05-29T16:26:40+00:00",
        "click_lookback_hours": 168,
    }


def test_c22_referrer_click_id_is_matched_back_to_the_click(
    project: Project, run: Run, make_campaign: Callable[..., Campaign]
) -> None:
    campaign = make_campaign("lnk-c22")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c22-0001",
            at="2024-05-02T09:00:00Z",
            campaign=campaign,
            url="https://go.example.test/c/lnk-c22?utm_source=newsletter&utm_campaign=spring",
            ip="198.51.100.22",
            user_agent=CHROME,
        ),
    )
    # What Play hands back: the referrer value decoded once by Play itself.
    data = {
        "gaid": "c22a0000-0000-4000-8000-000000000022",
        "install_ref": "utm_source=newsletter&utm_campaign=spring&click_id=clk-c22-0001",
    }
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c22",
            at="2024-05-02T09:30:00Z",
            device_data=data,
            ip="192.0.2.200",
            user_agent=DALVIK,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c22")
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "install_referrer_click_id"
    assert install.decision["winner"]["click_id"] == "clk-c22-0001"
    click = Click.objects.get(click_id="clk-c22-0001")
    assert install.click == click
    assert click.claimed_by_install_id == install.id


def test_c22_referrer_click_id_found_in_the_database_when_the_store_lost_it(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], click_store: Any
) -> None:
    campaign = make_campaign("lnk-c22")
    run(
        RECORD_CLICK,
        click_message(
            project,
            "clk-c22-0002",
            at="2024-05-02T09:00:00Z",
            campaign=campaign,
            ip="198.51.100.22",
            user_agent=CHROME,
        ),
    )
    click_store.flushdb()
    data = {"install_ref": "utm_source=newsletter&click_id=clk-c22-0002"}
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c22",
            at="2024-05-02T09:30:00Z",
            device_data=data,
            user_agent=DALVIK,
        ),
    )

    install = Install.objects.get(install_instance_id="inst-c22")
    assert install.campaign == campaign
    assert install.click == Click.objects.get(click_id="clk-c22-0002")
