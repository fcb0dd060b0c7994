"""Events that arrive before their install is attributed wait, then take its campaign."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from attribution import api as attribution
from attribution.events import adopt, custom, payments, signup
from attribution.models import CustomEvent, Install, Payment, Project
from postbacks.models import PostbackEventMap
from tests.events.messages import message
from tests.postbacks import receivers
from tests.postbacks.conftest import FakeWarehouse, network


def test_events_before_attribution_take_the_campaign_when_it_finishes(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    install = make_install(code="META", instance="inst-early", attributed=False)
    PostbackEventMap.objects.create(
        project=project,
        network=network("META"),
        event_kind="payment",
        network_event_name="Purchase",
    )
    with receivers.serve(receivers.meta) as meta:
        account("META", meta.url, dataset_id="ds-1", access_token="tok")
        body = {"payment_id": "E-1", "amount": "7.50", "currency": "USD"}
        paid = payments.record(message(project.pk, body, instance="inst-early", user_id="u-e"))
        custom.record(message(project.pk, {"event_name": "tutorial"}, instance="inst-early"))
        signup.record(message(project.pk, {"user_data": {"id": "u-e"}}, instance="inst-early"))

        payment = Payment.objects.get(pk=paid.payment_id)
        assert payment.parked
        assert payment.campaign_id is None
        assert meta.received == []
        assert "user_events" not in warehouse.rows

        Install.objects.filter(pk=install.pk).update(
            status=Install.Status.ATTRIBUTED, attributed_at=timezone.now()
        )
        found = attribution.get_install_attribution_by_id(install.pk)
        attribution.install_attributed.send(sender=Install, attribution=found)

    payment.refresh_from_db()
    assert not payment.parked
    assert payment.campaign_id == install.campaign_id
    assert CustomEvent.objects.get(install=install).campaign_id == install.campaign_id
    names = sorted(r.json()["data"][0]["event_name"] for r in meta.received)
    assert names == ["CompleteRegistration", "Purchase"]
    kinds = sorted(row["kind"] for row in warehouse.rows["user_events"])
    assert kinds == ["custom", "payment", "signup"]
    assert {row["campaign_id"] for row in warehouse.rows["user_events"]} == {install.campaign_id}
    assert adopt.adopt(install.pk) == 0  # a second signal sends nothing again
    assert len(meta.received) == 2


def test_event_before_its_install_exists_is_adopted_by_instance_id(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    body = {"payment_id": "E-2", "amount": "1.00"}
    paid = payments.record(message(project.pk, body, instance="inst-late"))
    assert Payment.objects.get(pk=paid.payment_id).install_id is None
    install = make_install(code="META", instance="inst-late")
    assert adopt.adopt_parked() == 1
    payment = Payment.objects.get(pk=paid.payment_id)
    assert (payment.install_id, payment.campaign_id) == (install.pk, install.campaign_id)
