"""An install that may come from a click of ours not stored yet waits for that click: its Play
referrer names the click, or the link redirect announced a click from its IP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.test import override_settings

from attribution import clickstore
from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK, InstallMessage
from attribution.installs import attribute_install, attribute_installs
from attribution.models import Campaign, Install, Project
from attribution.strategies.base import ClickPending
from tests.attribution.conftest import click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
DALVIK = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)


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


def _ip_install(project: Project, at: str) -> InstallMessage:
    message = install_message(
        project,
        "inst-ip-wait",
        at=at,
        device_data={"system_version": "14"},
        ip="198.51.100.90",
        user_agent=DALVIK,
    )
    return cast(InstallMessage, message)


def _announce(project: Project, click_id: str, seconds_ago: float) -> None:
    clicked_at = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).timestamp()
    clickstore.announce(project.pk, "198.51.100.90", click_id, clicked_at)


def test_an_install_waits_for_a_click_announced_from_its_ip_then_matches_it(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], click_store: Any
) -> None:
    campaign = make_campaign("lnk-ip-wait")
    click_id = uuid.uuid4().hex
    _announce(project, click_id, 5)
    message = _ip_install(project, _now())

    with pytest.raises(ClickPending):
        attribute_install(message)
    assert not Install.objects.filter(install_instance_id="inst-ip-wait").exists()

    click = click_message(
        project, click_id, at=_now(5), campaign=campaign, ip="198.51.100.90",
        user_agent=CHROME_ANDROID,
    )  # fmt: skip
    run(RECORD_CLICK, click)
    attribute_install(message)

    install = Install.objects.get(install_instance_id="inst-ip-wait")
    assert install.campaign == campaign
    assert install.decision["winner"]["matched_by"] == "ip_ua_probabilistic"
    assert install.decision["winner"]["click_id"] == click_id


@override_settings(HAZELNUT_REFERRER_CLICK_WAIT_SECONDS=15)
def test_an_announced_click_never_stored_is_waited_for_only_so_long_and_is_named_in_the_trace(
    project: Project, run: Run, click_store: Any
) -> None:
    click_id = uuid.uuid4().hex
    _announce(project, click_id, 20)

    run(ATTRIBUTE_INSTALL, dict(_ip_install(project, _now(16))))

    install = Install.objects.get(install_instance_id="inst-ip-wait")
    assert install.attribution_type == "ORGANIC"
    trace = {step["name"]: step for step in install.decision["strategies"]}
    assert trace["click_match"]["details"]["clicks_not_stored"] == [click_id]


def test_a_click_announced_after_the_install_or_from_another_ip_is_not_waited_for(
    project: Project, run: Run, click_store: Any
) -> None:
    _announce(project, uuid.uuid4().hex, -30)  # clicked after the install
    clickstore.announce(
        project.pk, "198.51.100.91", uuid.uuid4().hex, datetime.now(UTC).timestamp()
    )

    run(ATTRIBUTE_INSTALL, dict(_ip_install(project, _now(1))))

    install = Install.objects.get(install_instance_id="inst-ip-wait")
    assert install.attribution_type == "ORGANIC"
