"""An install whose Play referrer names a click of ours not stored yet waits for that click."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.test import override_settings

from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK, InstallMessage
from attribution.installs import attribute_install, attribute_installs
from attribution.models import Campaign, Install, Project
from attribution.strategies.base import ClickPending
from tests.attribution.conftest import click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
DALVIK = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"


def _now(seconds_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


def _install(project: Project, click_id: str, at: str) -> InstallMessage:
    referrer = f"utm_source=newsletter&utm_campaign=spring&click_id={click_id}"
    message = install_message(
        project,
        "inst-wait",
        at=at,
        device_data={"install_ref": referrer},
        ip="192.0.2.80",
        user_agent=DALVIK,
    )
    return cast(InstallMessage, message)


def test_a_young_install_waits_for_its_click_then_is_credited_to_the_click_campaign(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], click_store: Any
) -> None:
    campaign = make_campaign("lnk-wait")
    click_id = uuid.uuid4().hex
    message = _install(project, click_id, _now())

    with pytest.raises(ClickPending):
        attribute_install(message)
    assert not Install.objects.filter(
        install_instance_id="inst-wait"
    ).exists()  # nothing half-written

    run(
        RECORD_CLICK,
        click_message(project, click_id, at=_now(30), campaign=campaign, ip="198.51.100.80"),
    )
    attribute_install(message)

    install = Install.objects.get(install_instance_id="inst-wait")
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "install_referrer_click_id"
    assert install.decision["winner"]["click_id"] == click_id


@override_settings(HAZELNUT_REFERRER_CLICK_WAIT_SECONDS=15)
def test_once_the_wait_is_over_the_referrer_utm_values_decide(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], click_store: Any
) -> None:
    make_campaign("spring")  # the campaign utm_campaign names
    click_id = uuid.uuid4().hex

    run(ATTRIBUTE_INSTALL, dict(_install(project, click_id, _now(16))))

    install = Install.objects.get(install_instance_id="inst-wait")
    assert install.campaign is not None
    assert install.campaign.display_id == "spring"
    winner = install.decision["winner"]
    assert winner["matched_by"] == "install_referrer"
    assert winner["details"]["click_not_found"] == click_id


def test_another_trackers_click_id_is_not_waited_for(
    project: Project, run: Run, click_store: Any
) -> None:
    run(ATTRIBUTE_INSTALL, dict(_install(project, "af-98765", _now())))

    install = Install.objects.get(install_instance_id="inst-wait")
    assert install.decision["winner"]["matched_by"] == "install_referrer"
    assert "click_not_found" not in install.decision["winner"]["details"]


def test_in_a_batch_only_the_waiting_install_is_held_back(
    project: Project, click_store: Any
) -> None:
    waiting = _install(project, uuid.uuid4().hex, _now())
    organic = cast(
        InstallMessage, install_message(project, "inst-organic", at=_now(), ip="192.0.2.81")
    )

    with pytest.raises(ClickPending):
        attribute_installs([waiting, organic])

    assert list(Install.objects.values_list("install_instance_id", flat=True)) == ["inst-organic"]
