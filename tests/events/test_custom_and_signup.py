"""Custom events (unicode names, NFC, event_id dedup) and signups (identity mapped to install)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from attribution.events import custom, signup
from attribution.models import CustomEvent, Install, Project, UserIdentity
from postbacks.models import Delivery, PostbackEventMap
from tests.events.messages import message
from tests.postbacks import receivers
from tests.postbacks.conftest import FakeWarehouse, network


def test_c20_unicode_event_names_are_stored_and_mapped_or_skipped_with_a_reason(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    make_install(code="META", instance="inst-c20")
    PostbackEventMap.objects.create(
        project=project,
        network=network("META"),
        event_kind="custom",
        source_event_name="구매 완료",
        network_event_name="Purchase",
    )
    with receivers.serve(receivers.meta) as meta:
        account("META", meta.url, dataset_id="ds-1", access_token="tok")
        for name, event_id in (("구매 완료", "ev-c20-1"), ("level_up_🎉", "ev-c20-2")):
            body = {"event_name": name, "event_id": event_id, "event_data": None}
            custom.record(message(project.pk, body, instance="inst-c20"))

    names = list(CustomEvent.objects.order_by("pk").values_list("name", flat=True))
    assert names == ["구매 완료", "level_up_🎉"]
    (sent,) = meta.received
    assert sent.json()["data"][0]["event_name"] == "Purchase"
    # The unmapped name is stored and simply not sent to Meta: no delivery, no crash.
    assert Delivery.objects.filter(destination="meta").count() == 1


def test_c20_nfd_and_nfc_spellings_store_one_name(project: Project) -> None:
    nfd = unicodedata.normalize("NFD", "구매 완료")
    assert nfd != "구매 완료"
    custom.record(message(project.pk, {"event_name": nfd, "event_id": "a"}))
    custom.record(message(project.pk, {"event_name": "구매 완료", "event_id": "b"}))
    assert set(CustomEvent.objects.values_list("name", flat=True)) == {"구매 완료"}


def test_custom_event_id_dedup(
    project: Project, warehouse: FakeWarehouse, run_tasks: list[tuple[str, dict[str, Any]]]
) -> None:
    first = custom.record(
        message(project.pk, {"event_name": "x", "event_id": "e-1"}, instance=None)
    )
    again = custom.record(
        message(project.pk, {"event_name": "x", "event_id": "e-1"}, instance=None)
    )
    custom.record(message(project.pk, {"event_name": "x"}, instance=None))
    custom.record(message(project.pk, {"event_name": "x"}, instance=None))
    assert (first.duplicate, again.duplicate, first.event_id) == (False, True, again.event_id)
    assert CustomEvent.objects.count() == 3
    assert len(warehouse.rows["user_events"]) == 3


def test_a_custom_event_amount_the_warehouse_cannot_hold_is_counted_as_zero(
    project: Project, warehouse: FakeWarehouse, run_tasks: list[tuple[str, dict[str, Any]]]
) -> None:
    for event_id, amount in (("big", 1e308), ("refund", -2.5), ("fine", 0.123456), ("odd", "7")):
        body = {"event_name": "purchase", "event_id": event_id, "event_data": {"amount": amount}}
        custom.record(message(project.pk, body, instance=None))

    amounts = {row["event_key"]: row["amount"] for row in warehouse.rows["user_events"]}
    assert amounts == {
        "big": Decimal(0),
        "refund": Decimal("-2.5000"),
        "fine": Decimal("0.1235"),
        "odd": Decimal(0),
    }


def test_signup_maps_user_to_install_once(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    install = make_install(code="META", instance="inst-su")
    with receivers.serve(receivers.ok) as hook:
        project.webhook_url = hook.url + "/hook"
        project.save()
        body = {
            "user_data": {"id": "u-42", "name": "Ada", "email": "a@example.test"},
            "data": {"referral_code": "R1"},
        }
        first = signup.record(message(project.pk, body, instance="inst-su"))
        again = signup.record(message(project.pk, body, instance="inst-su"))

    identity = UserIdentity.objects.get(project=project, user_id="u-42")
    assert (first.created, again.created) == (True, False)
    assert identity.install_id == install.pk
    assert identity.data["additional_data"] == {"referral_code": "R1"}
    (sent,) = hook.received
    payload = sent.json()
    assert payload["event_type"] == "signup"
    assert payload["user_id"] == "u-42"
    assert payload["email"] == "a@example.test"
    assert payload["additional_data"] == {"referral_code": "R1"}
