"""Cases C12 (one install per install_instance_id, reinstalls) and C23 (Apple AdServices 404
then 200), plus redelivery: a message delivered twice never makes a second install or fan-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.installs import InstallBusy, attribute_install
from attribution.models import AdNetwork, Campaign, Install, NetworkAccount, Project
from postbacks.api import FAN_OUT_INSTALL
from tests.attribution.conftest import Sent, install_message
from tests.attribution.fakeserver import Canned, fake_server

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
IDFV = "c12b0000-0000-4000-8000-000000000012"


def test_c12_second_first_launch_is_a_session_not_an_install(
    project: Project, run: Run, sent: Sent
) -> None:
    for at in ("2024-05-05T07:00:00Z", "2024-05-06T07:00:00Z"):
        run(
            ATTRIBUTE_INSTALL,
            install_message(
                project,
                "inst-c12",
                at=at,
                platform="IOS",
                device_data={"idfv": IDFV, "first_launch": True},
                ip="203.0.113.12",
            ),
        )

    install = Install.objects.get(project=project)
    assert install.session_count == 2
    assert install.last_seen_at.isoformat() == "2024-05-06T07:00:00+00:00"
    assert install.is_reinstall is False
    assert sent.named(FAN_OUT_INSTALL) == [{"install_id": install.id}]


def test_redelivered_message_is_a_no_op(project: Project, run: Run, sent: Sent) -> None:
    message = install_message(
        project,
        "inst-redelivered",
        at="2024-05-05T07:00:00Z",
        platform="IOS",
        device_data={"idfv": IDFV},
        ip="203.0.113.12",
    )
    run(ATTRIBUTE_INSTALL, message)
    first = Install.objects.get(project=project)
    run(ATTRIBUTE_INSTALL, message)

    again = Install.objects.get(project=project)
    assert again.session_count == 1
    assert again.decision == first.decision
    assert len(sent.named(FAN_OUT_INSTALL)) == 1
    assert len(sent.named("analytics.fanout.install")) == 1


def test_redelivery_of_a_pending_install_finishes_it_once(
    project: Project, run: Run, sent: Sent
) -> None:
    message = install_message(project, "inst-crashed", at="2024-05-05T07:00:00Z", platform="IOS")
    # As if a worker created the row and died before finishing.
    Install.objects.create(
        project=project,
        install_instance_id="inst-crashed",
        platform="IOS",
        installed_at=message["received_at"],
        last_seen_at=message["received_at"],
    )
    run(ATTRIBUTE_INSTALL, message)
    run(ATTRIBUTE_INSTALL, message)

    install = Install.objects.get(project=project)
    assert install.status == "ATTRIBUTED"
    assert sent.named(FAN_OUT_INSTALL) == [{"install_id": install.id}]


def test_c12_new_install_id_with_same_idfv_is_a_reinstall(project: Project, run: Run) -> None:
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c12",
            at="2024-05-05T07:00:00Z",
            platform="IOS",
            device_data={"idfv": IDFV},
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "inst-c12-again",
            at="2024-06-05T07:00:00Z",
            platform="IOS",
            device_data={"idfv": IDFV},
        ),
    )

    first = Install.objects.get(install_instance_id="inst-c12")
    second = Install.objects.get(install_instance_id="inst-c12-again")
    assert first.is_reinstall is False
    assert second.is_reinstall is True
    assert second.reinstall_of == first


def test_reinstall_window_bounds_reinstalls(project: Project, run: Run) -> None:
    project.reinstall_window_days = 10
    project.save()
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "old",
            at="2024-05-05T07:00:00Z",
            platform="IOS",
            device_data={"idfv": IDFV},
        ),
    )
    run(
        ATTRIBUTE_INSTALL,
        install_message(
            project,
            "new",
            at="2024-06-05T07:00:00Z",
            platform="IOS",
            device_data={"idfv": IDFV},
        ),
    )
    assert Install.objects.get(install_instance_id="new").is_reinstall is False


@pytest.fixture
def apple_account(project: Project) -> Callable[[str], NetworkAccount]:
    def build(base_url: str) -> NetworkAccount:
        network, _ = AdNetwork.objects.get_or_create(
            code="APPLE_SEARCH_ADS", defaults={"name": "Apple Search Ads"}
        )
        return NetworkAccount.objects.create(
            project=project,
            network=network,
            account_id="org-1234",
            credentials={"base_url": base_url},
        )

    return build


def _ios_install(project: Project, token: str) -> dict[str, Any]:
    return install_message(
        project,
        "inst-c23",
        at="2024-05-10T08:30:00Z",
        platform="IOS",
        device_data={
            "idfv": "c23b0000-0000-4000-8000-000000000023",
            "adservices_attribution_token": token,
        },
    )


def test_c23_apple_404_is_retried_then_attributed(
    project: Project,
    run: Run,
    sent: Sent,
    apple_account: Callable[[str], NetworkAccount],
    make_campaign: Callable[..., Campaign],
) -> None:
    campaign = make_campaign("asa_5501", network="APPLE_SEARCH_ADS", network_campaign_id="5501")
    answer = {
        "attribution": True,
        "orgId": 1234,
        "campaignId": 5501,
        "adGroupId": 6601,
        "keywordId": 7701,
        "conversionType": "Download",
        "clickDate": "2024-05-10T08:00Z",
    }
    with fake_server([Canned(404), Canned(200, answer)]) as apple:
        apple_account(apple.url + "/api/v1/")
        run(ATTRIBUTE_INSTALL, _ios_install(project, "TEST-ADSERVICES-TOKEN-C23"))
        calls = list(apple.received)

    assert len(calls) == 2
    assert calls[0].body == b"TEST-ADSERVICES-TOKEN-C23"
    assert calls[0].headers["Content-Type"] == "text/plain"
    assert calls[0].path == "/api/v1/"
    install = Install.objects.get(install_instance_id="inst-c23")
    assert install.attribution_type == "INORGANIC"
    assert install.network_code == "APPLE_SEARCH_ADS"
    assert install.campaign == campaign
    assert install.decision["winner"]["details"]["campaignId"] == 5501
    assert install.store_click_at is not None
    assert install.store_click_at.isoformat() == "2024-05-10T08:00:00+00:00"
    assert len(sent.named("attribution.strategies.external")) == 1
    assert len(sent.named(FAN_OUT_INSTALL)) == 1


def test_c23_apple_attribution_false_is_organic(
    project: Project, run: Run, apple_account: Callable[[str], NetworkAccount]
) -> None:
    with fake_server([Canned(200, {"attribution": False})]) as apple:
        apple_account(apple.url + "/api/v1/")
        run(ATTRIBUTE_INSTALL, _ios_install(project, "TOKEN-FALSE"))
        calls = len(apple.received)

    assert calls == 1
    install = Install.objects.get(install_instance_id="inst-c23")
    assert install.attribution_type == "ORGANIC"
    assert install.status == "ATTRIBUTED"


def test_c23_apple_404_three_times_gives_up_after_three_calls(
    project: Project, run: Run, apple_account: Callable[[str], NetworkAccount]
) -> None:
    with fake_server([Canned(404)]) as apple:
        apple_account(apple.url + "/api/v1/")
        run(ATTRIBUTE_INSTALL, _ios_install(project, "TOKEN-NEVER"))
        calls = len(apple.received)

    assert calls == 3
    install = Install.objects.get(install_instance_id="inst-c23")
    assert install.attribution_type == "ORGANIC"
    apple_entry = next(s for s in install.decision["strategies"] if s["name"] == "apple_adservices")
    assert apple_entry["details"] == {"status": 404, "calls": 3}


def test_a_message_for_an_install_being_processed_waits(
    project: Project, click_store: redis.Redis
) -> None:
    message = install_message(project, "inst-busy", at="2024-05-05T07:00:00Z")
    lock = click_store.lock(f"hz:lock:install:{project.pk}:inst-busy", timeout=30)
    assert lock.acquire(blocking=False)
    try:
        with pytest.raises(InstallBusy):
            attribute_install(message)  # type: ignore[arg-type]
    finally:
        lock.release()
    assert not Install.objects.filter(project=project).exists()
