"""Parked events whose install never finishes are released unattributed after the grace, once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from attribution.events import adopt, custom, orphans, payments, signup
from attribution.models import CustomEvent, Install, Payment, Project, UserIdentity
from hazelnut.celery import app
from postbacks.models import Delivery, PostbackEventMap
from tests.events.messages import message
from tests.postbacks import receivers
from tests.postbacks.conftest import FakeWarehouse, network

KINDS = ("payment", "custom", "signup")
INSTANCE = "inst-never"
LATER = dt.timedelta(hours=25)

# What each kind's released warehouse row says besides "no install, no campaign, no network".
EXPECTED_ROWS = {
    "payment": {
        "name": "DEFAULT",
        "event_key": "P-9",
        "amount": Decimal("9.99"),
        "currency": "EUR",
    },
    "custom": {"name": "level_up", "event_key": "ev-9", "amount": Decimal(0), "currency": ""},
    "signup": {"name": "signup", "event_key": "u-9", "amount": Decimal(0), "currency": ""},
}
UNATTRIBUTED = {"install_id": 0, "campaign_id": 0, "network": ""}


def _record(kind: str, project_id: int, instance: str = INSTANCE, key: str = "9") -> int:
    body: dict[str, Any]
    if kind == "payment":
        body = {"payment_id": f"P-{key}", "amount": "9.99", "currency": "EUR"}
        return payments.record(
            message(project_id, body, instance=instance, user_id="u-9")
        ).payment_id
    if kind == "custom":
        body = {"event_name": "level_up", "event_id": f"ev-{key}"}
        return custom.record(message(project_id, body, instance=instance, user_id="u-9")).event_id
    body = {"user_data": {"id": f"u-{key}"}}
    return signup.record(message(project_id, body, instance=instance)).identity_id


def _row(kind: str, object_id: int) -> Payment | CustomEvent | UserIdentity:
    if kind == "payment":
        return Payment.objects.get(pk=object_id)
    if kind == "custom":
        return CustomEvent.objects.get(pk=object_id)
    return UserIdentity.objects.get(pk=object_id)


def _parked(kind: str, object_id: int) -> bool:
    row = _row(kind, object_id)
    if isinstance(row, UserIdentity):
        return bool(row.data.get("parked"))
    return row.parked


def _events(warehouse: FakeWarehouse) -> list[dict[str, Any]]:
    keys = ("install_id", "campaign_id", "network", "name", "event_key", "amount", "currency")
    return [{key: row[key] for key in keys} for row in warehouse.rows.get("user_events", [])]


@contextmanager
def _destinations(
    project: Project, account: Callable[..., Any]
) -> Iterator[tuple[receivers.Receiver, receivers.Receiver]]:
    """Meta, mapped for every kind, and the project's webhook: where an attributed event goes."""
    with receivers.serve(receivers.meta) as meta, receivers.serve(receivers.ok) as hook:
        account("META", meta.url, dataset_id="ds-1", access_token="tok")
        for kind, source, name in (("payment", "", "Purchase"), ("custom", "level_up", "Lvl")):
            PostbackEventMap.objects.create(
                project=project,
                network=network("META"),
                event_kind=kind,
                source_event_name=source,
                network_event_name=name,
                only_attributed=False,
            )
        project.webhook_url = hook.url + "/hook"
        project.save()
        yield meta, hook


@pytest.mark.parametrize("kind", KINDS)
def test_event_parked_past_the_grace_is_released_once_without_postback(
    kind: str,
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    with _destinations(project, account) as (meta, hook):
        object_id = _record(kind, project.pk)
        assert _parked(kind, object_id)
        assert _events(warehouse) == []

        assert orphans.release_overdue(now=timezone.now() + LATER) == 1
        assert orphans.release_overdue(now=timezone.now() + 2 * LATER) == 0

        # The install turns up after all: it neither takes the event nor sends it again.
        install = make_install(code="META", instance=INSTANCE)
        assert adopt.adopt(install.pk) == 0

    assert not _parked(kind, object_id)
    assert _row(kind, object_id).install_id is None
    assert _events(warehouse) == [{**UNATTRIBUTED, **EXPECTED_ROWS[kind]}]
    assert (meta.received, hook.received) == ([], [])
    assert Delivery.objects.count() == 0
    assert run_tasks == []  # no postback or analytics fan-out was even asked for


@pytest.mark.parametrize("kind", KINDS)
def test_event_within_the_grace_stays_parked(
    kind: str,
    project: Project,
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    assert django_settings.HAZELNUT_PARKED_EVENT_RELEASE_HOURS == 24
    object_id = _record(kind, project.pk)

    assert orphans.release_overdue(now=timezone.now() + dt.timedelta(hours=23)) == 0
    assert _parked(kind, object_id)
    assert _events(warehouse) == []


def test_the_grace_is_the_configured_number_of_hours(
    project: Project,
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
    settings: Any,
) -> None:
    settings.HAZELNUT_PARKED_EVENT_RELEASE_HOURS = 2
    object_id = _record("payment", project.pk)

    assert orphans.release_overdue(now=timezone.now() + dt.timedelta(minutes=110)) == 0
    assert orphans.release_overdue(now=timezone.now() + dt.timedelta(minutes=130)) == 1
    assert not _parked("payment", object_id)


def test_release_hours_below_one_are_refused() -> None:
    env = {**os.environ, "HAZELNUT_PARKED_EVENT_RELEASE_HOURS": "0"}
    run = subprocess.run(
        [sys.executable, "-c", "import hazelnut.settings.domain"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0
    assert "HAZELNUT_PARKED_EVENT_RELEASE_HOURS must be at least 1, got 0" in run.stderr


@contextmanager
def _before_first_update(table: str, interloper: Callable[[], None]) -> Iterator[None]:
    """Run `interloper` just before the first UPDATE of `table`: the other side of a race gets
    in between this side's read of the parked rows and its conditional claim of them."""
    pending = [interloper]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if pending and sql.startswith(f'UPDATE "{table}"'):
            pending.pop()()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert pending == []  # the race did happen


TABLES = {
    "payment": "attribution_payment",
    "custom": "attribution_customevent",
    "signup": "attribution_useridentity",
}


@pytest.mark.parametrize("kind", KINDS)
def test_adoption_that_claims_first_wins_the_race_and_the_release_sends_nothing(
    kind: str,
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    with _destinations(project, account) as (meta, _):
        object_id = _record(kind, project.pk)
        installs: list[Install] = []

        def adoption() -> None:
            installs.append(make_install(code="META", instance=INSTANCE))
            assert adopt.adopt(installs[0].pk) == 1

        with _before_first_update(TABLES[kind], adoption):
            released = orphans.release_overdue(now=timezone.now() + LATER)

    assert released == 0
    assert not _parked(kind, object_id)
    assert _row(kind, object_id).install_id == installs[0].pk
    campaign = {"install_id": installs[0].pk, "campaign_id": installs[0].campaign_id}
    assert _events(warehouse) == [{**EXPECTED_ROWS[kind], **campaign, "network": "META"}]
    assert len(meta.received) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_release_that_claims_first_wins_the_race_and_the_adoption_sends_nothing(
    kind: str,
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    warehouse: FakeWarehouse,
) -> None:
    with _destinations(project, account) as (meta, hook):
        object_id = _record(kind, project.pk)
        install = make_install(code="META", instance=INSTANCE)
        # The release looked for a finished install before this one finished.
        monkeypatch.setattr(orphans, "_adopt_finished", lambda instances: None)
        released: list[int] = []

        def release() -> None:
            released.append(orphans.release_overdue(now=timezone.now() + LATER))

        with _before_first_update(TABLES[kind], release):
            adopted = adopt.adopt(install.pk)

    assert (released, adopted) == ([1], 0)
    assert not _parked(kind, object_id)
    assert _row(kind, object_id).install_id is None
    assert _events(warehouse) == [{**UNATTRIBUTED, **EXPECTED_ROWS[kind]}]
    assert (meta.received, hook.received) == ([], [])


def test_the_sweep_adopts_what_it_can_and_releases_the_rest(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    orphan = _record("payment", project.pk, instance="inst-never", key="1")
    waiting = _record("payment", project.pk, instance="inst-late", key="2")
    fresh = _record("payment", project.pk, instance="inst-slow", key="3")
    overdue = timezone.now() - LATER
    Payment.objects.filter(pk__in=[orphan, waiting]).update(received_at=overdue)
    # Attributed, but its install_attributed signal was lost: adopted, not released.
    install = make_install(code="META", instance="inst-late")

    app.send_task(adopt.ADOPT_PARKED)

    assert [_parked("payment", pk) for pk in (orphan, waiting, fresh)] == [False, False, True]
    assert Payment.objects.get(pk=waiting).campaign_id == install.campaign_id
    rows = sorted((row["event_key"], row["campaign_id"]) for row in _events(warehouse))
    assert rows == [("P-1", 0), ("P-2", install.campaign_id)]


def test_each_sweep_releases_at_most_a_batch_oldest_first(
    project: Project,
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    ids = [_record("custom", project.pk, instance=f"inst-{n}", key=str(n)) for n in range(3)]
    start = timezone.now() - dt.timedelta(days=3)
    for age, object_id in enumerate(reversed(ids)):
        CustomEvent.objects.filter(pk=object_id).update(received_at=start + dt.timedelta(hours=age))

    assert orphans.release_overdue(limit=2) == 2
    assert [_parked("custom", pk) for pk in ids] == [True, False, False]
    assert orphans.release_overdue(limit=2) == 1
    assert [row["event_key"] for row in _events(warehouse)] == ["ev-2", "ev-1", "ev-0"]


def test_a_released_signup_is_not_parked_again_by_a_later_trigger(
    project: Project,
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse: FakeWarehouse,
) -> None:
    identity_id = _record("signup", project.pk)
    assert orphans.release_overdue(now=timezone.now() + LATER) == 1

    again = _record("signup", project.pk)  # the same user signs in again, install still unknown

    assert again == identity_id
    assert not _parked("signup", identity_id)
    assert orphans.release_overdue(now=timezone.now() + 2 * LATER) == 0
    assert [row["event_key"] for row in _events(warehouse)] == ["u-9"]
