"""Click injection: a click of ours made after Google Play says the download began is dropped,
with the reason in the decision trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK
from attribution.models import Campaign, Install, Project
from tests.attribution.conftest import click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
DALVIK = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"
GAID = "1e1e0000-0000-4000-8000-0000000000aa"
BEGUN = 1717000000  # 2024-05-29T16:26:40Z, when Play says the download began


@pytest.mark.parametrize(
    ("clicked_at", "credited"),
    [("2024-05-29T16:25:40Z", True), ("2024-05-29T16:27:40Z", False)],
)
def test_a_click_after_the_install_began_credits_nothing(
    project: Project,
    run: Run,
    make_campaign: Callable[..., Campaign],
    clicked_at: str,
    credited: bool,
) -> None:
    campaign = make_campaign("inj-1")
    click = click_message(
        project, "clk-inj", at=clicked_at, campaign=campaign, params={"gaid": GAID}
    )
    run(RECORD_CLICK, click)
    data = {
        "gaid": GAID,
        "install_ref": "utm_source=google-play&utm_medium=organic",
        "install_ref_installBeginTimestampSeconds": BEGUN,
    }
    message = install_message(
        project, "inst-inj", at="2024-05-29T16:30:00Z", device_data=data, user_agent=DALVIK
    )
    run(ATTRIBUTE_INSTALL, message)

    install = Install.objects.get(install_instance_id="inst-inj")
    assert (install.campaign == campaign) is credited
    dropped = install.decision["dropped"]
    if credited:
        assert dropped == []
    else:
        assert install.attribution_type == "ORGANIC"
        assert dropped == [
            {
                "strategy": "click_match",
                "click_id": "clk-inj",
                "reason": "click after the install began (click injection)",
            }
        ]
