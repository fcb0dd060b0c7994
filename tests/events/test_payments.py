"""Payments: dedup on (type, payment_id), decimal revenue, removal, postbacks once each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from attribution.events import payments
from attribution.models import Install, Payment, Project
from postbacks.models import Delivery, PostbackEventMap
from tests.events.messages import message
from tests.postbacks import receivers
from tests.postbacks.conftest import FakeWarehouse, network


def _payment(project: Project, payment_id: str, amount: str, **body: Any) -> dict[str, Any]:
    return {"payment_id": payment_id, "amount": amount, "currency": "USD", **body}


def _map_purchase(project: Project, code: str = "META") -> None:
    PostbackEventMap.objects.create(
        project=project,
        network=network(code),
        event_kind="payment",
        network_event_name="Purchase",
    )


def test_c13_replayed_payment_stored_once_and_posted_once(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    install = make_install(code="META", instance="inst-c13")
    _map_purchase(project)
    with receivers.serve(receivers.meta) as meta:
        account("META", meta.url, dataset_id="ds-1", access_token="tok")
        steps = [("T-1001", "9.99"), ("T-1001", "9.99"), ("T-1002", "4.99")]
        results = [
            payments.record(
                message(
                    project.pk, _payment(project, pid, amount), instance="inst-c13", user_id="u-13"
                )
            )
            for pid, amount in steps
        ]

    assert [r.duplicate for r in results] == [False, True, False]
    assert results[0].payment_id == results[1].payment_id
    assert Payment.objects.filter(project=project).count() == 2
    revenue = Payment.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    assert revenue == Decimal("14.98")
    purchases = [r for r in meta.received if r.json()["data"][0]["event_name"] == "Purchase"]
    assert len(purchases) == 2
    assert sorted(r.json()["data"][0]["custom_data"]["value"] for r in purchases) == [4.99, 9.99]
    assert Delivery.objects.filter(event_kind="payment", state="delivered").count() == 2
    rows = warehouse.rows["user_events"]
    assert [row["amount"] for row in rows] == [Decimal("9.9900"), Decimal("4.9900")]
    assert {row["campaign_id"] for row in rows} == {install.campaign_id}


def test_c13_same_payment_id_with_another_type_is_a_new_payment(project: Project) -> None:
    first = payments.record(message(project.pk, _payment(project, "T-9", "1.00")))
    second = payments.record(
        message(project.pk, _payment(project, "T-9", "1.00", type="SUBSCRIPTION_RENEWED"))
    )
    assert not second.duplicate
    assert first.payment_id != second.payment_id


def test_payments_without_id_are_never_merged(project: Project) -> None:
    for _ in range(2):
        payments.record(message(project.pk, _payment(project, "", "2.50")))
    assert Payment.objects.filter(project=project, payment_id="").count() == 2


def test_amount_is_kept_as_an_exact_decimal(project: Project) -> None:
    result = payments.record(message(project.pk, _payment(project, "P-1", "0.1")))
    payments.record(message(project.pk, _payment(project, "P-2", "0.2")))
    assert Payment.objects.get(pk=result.payment_id).amount == Decimal("0.1000")
    total = Payment.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("0.3")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "BOGUS"),
        ("status", "PAID"),
        ("amount", "NaN"),
        ("amount", "x"),
        ("currency", "EURO"),
        ("currency", "€"),
    ],
)
def test_invalid_enum_or_amount_is_refused(project: Project, field: str, value: str) -> None:
    body = {**_payment(project, "P-bad", "1.00"), field: value}
    with pytest.raises(ValueError):  # noqa: PT011
        payments.record(message(project.pk, body))
    assert Payment.objects.count() == 0


def test_type_status_and_currency_are_stored(project: Project) -> None:
    body = _payment(project, "P-3", "12.5", type="first_payment", status="PAYMENT_INITIATED")
    body["currency"] = "eur"
    row = Payment.objects.get(pk=payments.record(message(project.pk, body)).payment_id)
    assert (row.type, row.status, row.currency) == ("FIRST_PAYMENT", "PAYMENT_INITIATED", "EUR")


def test_only_completed_payments_are_posted(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    make_install(code="META", instance="inst-st")
    _map_purchase(project)
    with receivers.serve(receivers.meta) as meta:
        account("META", meta.url, dataset_id="ds-1", access_token="tok")
        body = _payment(project, "P-4", "3.00", status="PAYMENT_FAILED")
        payments.record(message(project.pk, body, instance="inst-st"))
    assert meta.received == []


def test_removal_by_payment_id_and_by_user(
    project: Project, warehouse: FakeWarehouse, run_tasks: list[tuple[str, dict[str, Any]]]
) -> None:
    for pid in ("R-1", "R-2", "R-3"):
        payments.record(message(project.pk, _payment(project, pid, "5.00"), user_id="u-r"))
    assert payments.remove(message(project.pk, {"payment_id": "R-1"}, user_id="u-r")) == 1
    assert payments.remove(message(project.pk, {}, user_id="u-r")) == 2
    assert Payment.objects.filter(removed_at__isnull=True).count() == 0
    removals = [row for row in warehouse.rows["user_events"] if row["kind"] == "payment_removed"]
    # Each removal repeats its payment's amount: the reports subtract it once.
    assert [row["amount"] for row in removals] == [Decimal("5.0000")] * 3
    with pytest.raises(ValueError, match="payment_id or user_id"):
        payments.remove(message(project.pk, {}, user_id=None))


def test_a_removal_naming_a_user_removes_only_that_users_payment(
    project: Project, warehouse: FakeWarehouse, run_tasks: list[tuple[str, dict[str, Any]]]
) -> None:
    payments.record(message(project.pk, _payment(project, "S-1", "100.50"), user_id="owner"))

    other = message(project.pk, {"payment_id": "S-1", "user_id": "someone-else"}, user_id=None)
    assert payments.remove(other) == 0
    assert Payment.objects.get().removed_at is None
    assert payments.remove(message(project.pk, {"payment_id": "S-1"}, user_id="owner")) == 1


def test_c17_future_client_time_is_kept_but_not_used(project: Project) -> None:
    received = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    body = _payment(project, "C17", "19.99", currency="EUR", event_time="2024-06-01T14:00:00Z")
    result = payments.record(message(project.pk, body, received_at=received))
    row = Payment.objects.get(pk=result.payment_id)
    assert row.occurred_at == received
    assert row.client_occurred_at == dt.datetime(2024, 6, 1, 14, 0, tzinfo=dt.UTC)
    assert (row.amount, row.currency) == (Decimal("19.9900"), "EUR")


def test_small_clock_skew_keeps_the_device_time(project: Project) -> None:
    received = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    body = _payment(project, "skew", "1", event_time="2024-06-01T12:03:00Z")
    row = Payment.objects.get(
        pk=payments.record(message(project.pk, body, received_at=received)).payment_id
    )
    assert row.occurred_at == dt.datetime(2024, 6, 1, 12, 3, tzinfo=dt.UTC)
