"""Analytics fan-out: one delivery per platform through the shared delivery machine, each
platform's fields as documented, 4xx final, 5xx and 429 retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, cast

import pytest

from analytics import fanout, tasks
from analytics.models import AnalyticsDestination
from analytics.platforms import braze, clevertap
from attribution.events import facts
from attribution.models import Install, Project, UserIdentity
from hazelnut.http import HttpClient
from postbacks import api as postbacks
from postbacks.models import Delivery
from tests.analytics import platform_receivers as fakes
from tests.postbacks import receivers
from tests.postbacks.receivers import Answer, Receiver

CREDENTIALS: dict[str, dict[str, str]] = {
    "amplitude": {"api_key": "amp"},
    "braze": {"api_key": "bz"},
    "clevertap": {"account_id": "ct", "passcode": "pw"},
    "mixpanel": {"api_secret": "mp", "project_id": "7"},
    "posthog": {"api_key": "ph"},
    "moengage": {"workspace_id": "ws", "data_api_key": "k"},
    "ga4": {"firebase_app_id": "1:2:ios:3", "api_secret": "s"},
}
GA_INSTANCE = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def platforms(project: Project) -> Iterator[dict[str, Receiver]]:
    with ExitStack() as stack:
        served = {
            code: stack.enter_context(receivers.serve(getattr(fakes, code))) for code in CREDENTIALS
        }
        for code, receiver in served.items():
            AnalyticsDestination.objects.create(
                project=project,
                platform=code,
                credentials=cast(Any, CREDENTIALS[code]),
                endpoint=receiver.url,
            )
        yield served


def _deliver_all(http: HttpClient) -> None:
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        for _ in range(12):
            if postbacks.run_delivery(delivery_id, http) is None:
                break


def test_signup_reaches_every_platform_with_its_fields(
    project: Project,
    make_install: Callable[..., Install],
    platforms: dict[str, Receiver],
    http: HttpClient,
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    install = make_install(code="META", instance="inst-an")
    identity = UserIdentity.objects.create(
        project=project,
        user_id="u-an",
        install=install,
        data={"ga_app_instance_id": GA_INSTANCE, "mixpanel_distinct_id": "mp-d-1"},
    )
    tasks.forward_event("signup", identity.pk)

    for code, receiver in platforms.items():
        assert len(receiver.received) == 1, code
    states = dict(Delivery.objects.values_list("destination", "state"))
    assert states == {f"analytics:{code}": "delivered" for code in CREDENTIALS}
    amplitude_event = platforms["amplitude"].received[0].json()["events"][0]
    assert (amplitude_event["event_type"], amplitude_event["user_id"]) == ("signup", "u-an")
    assert platforms["braze"].received[0].json()["events"][0]["external_id"] == "u-an"
    mixpanel_event = platforms["mixpanel"].received[0].json()[0]
    assert mixpanel_event["properties"]["distinct_id"] == "mp-d-1"
    assert platforms["ga4"].received[0].headers["X-Problems"] == ""
    assert platforms["ga4"].received[0].json()["app_instance_id"] == GA_INSTANCE
    posthog_body = platforms["posthog"].received[0].json()
    assert posthog_body["properties"]["campaign_id"] == "cmp-inst-an"
    fanouts = [name for name, _ in run_tasks if name == "analytics.deliver"]
    assert fanouts == []  # deliveries run through the group, not through send_task


def test_install_without_ga_instance_id_is_skipped_for_ga4_only(
    project: Project,
    make_install: Callable[..., Install],
    platforms: dict[str, Receiver],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    tasks.forward_install(make_install(code="META", instance="inst-an2").pk)
    ga4 = Delivery.objects.get(destination="analytics:ga4")
    assert ga4.state == Delivery.State.SKIPPED
    assert "app_instance_id" in ga4.last_error
    # Braze needs a user: without user id or resolvable device id it is skipped, with a reason.
    assert Delivery.objects.get(destination="analytics:braze").state == Delivery.State.SKIPPED
    assert len(platforms["amplitude"].received) == 1
    assert len(platforms["ga4"].received) == 0


def test_braze_resolves_the_device_id_then_tracks(
    project: Project,
    make_install: Callable[..., Install],
    platforms: dict[str, Receiver],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    install = make_install(
        code="META", instance="inst-bz", integrations={"braze_device_id": "braze-device-1"}
    )
    tasks.forward_install(install.pk)
    paths = [request.path for request in platforms["braze"].received]
    assert paths == ["/users/export/ids", "/users/track"]
    assert platforms["braze"].received[1].json()["events"][0]["braze_id"] == "bz-77"


def test_braze_201_with_fatal_message_is_terminal_and_nonfatal_errors_deliver() -> None:
    fatal = b'{"message":"All items failed","errors":[{"type":"x"}]}'
    assert braze.classify(201, fatal).outcome == "terminal"
    assert braze.classify(201, b'{"message":"success","errors":[{"type":"x"}]}').outcome == (
        "delivered"
    )
    assert braze.classify(503, b"").outcome == "transient"


def test_clevertap_partial_and_fail_are_not_success() -> None:
    partial = b'{"status":"partial","processed":0,"unprocessed":[{"code":509,"error":"bad"}]}'
    verdict = clevertap.classify(200, partial)
    assert verdict.outcome == "terminal"
    assert "bad" in verdict.reason
    assert clevertap.classify(
        200, b'{"status":"success","processed":1,"unprocessed":[]}'
    ).outcome == ("delivered")


@pytest.mark.parametrize(
    ("status", "final_state", "tries"),
    [(429, "delivered", 2), (500, "delivered", 2), (400, "dead", 1)],
)
def test_retry_rules(
    project: Project,
    make_install: Callable[..., Install],
    http: HttpClient,
    status: int,
    final_state: str,
    tries: int,
) -> None:
    with receivers.serve(fakes.amplitude, script=[Answer(status, {"code": status})]) as amp:
        AnalyticsDestination.objects.create(
            project=project,
            platform="amplitude",
            credentials=cast(Any, {"api_key": "a"}),
            endpoint=amp.url,
        )
        install = make_install(code="META", instance=f"inst-rr-{status}")
        found = facts.install_facts(install.pk)
        assert found is not None
        for spec in fanout.specs(found, None, http):
            postbacks.create_delivery(spec)
        _deliver_all(http)
    row = Delivery.objects.get()
    assert (row.state, row.attempt_count, len(amp.received)) == (final_state, tries, tries)
