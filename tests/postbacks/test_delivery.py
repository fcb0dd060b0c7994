"""The delivery machine against local receivers: retries, identical bytes, terminal states."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from attribution.models import Install, Project
from hazelnut.http import HttpClient
from postbacks import attempts, delivery, fanout, tasks, throttle
from postbacks.frozen import DeliverySpec, FrozenRequest, Skip
from postbacks.models import Attempt, Delivery
from postbacks.networks import webhook
from tests.postbacks import receivers
from tests.postbacks.receivers import Answer


def drive(delivery_id: int, http: HttpClient, limit: int = 20) -> int:
    """Run a delivery until it finishes, skipping the backoff waits; returns the runs made."""
    for runs in range(1, limit + 1):
        if delivery.run(delivery_id, http) is None:
            return runs
    raise AssertionError("delivery never finished")


def _fan_out_install(install: Install) -> list[Delivery]:
    tasks.fan_out_install(install.pk)
    return list(Delivery.objects.filter(subject__install_id=install.pk).order_by("pk"))


def _webhook_project(project: Project, url: str) -> None:
    project.webhook_url = url
    project.webhook_key = "lr-key-test"
    project.webhook_signing_secret = "whsec-test"
    project.save()


def test_c18_webhook_retry_sends_identical_bytes_and_delivery_id(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(503)]) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        install = make_install(instance="inst-c18")
        (row,) = _fan_out_install(install)

        drive(row.pk, http)
        assert delivery.run(row.pk, http) is None  # a redelivered task after success

    row.refresh_from_db()
    first, second = receiver.received
    assert len(receiver.received) == 2
    assert row.state == Delivery.State.DELIVERED
    assert row.attempt_count == 2
    assert [a.response_status for a in row.attempts.order_by("number")] == [503, 200]
    assert first.body == second.body
    delivery_ids = {r.headers[webhook.DELIVERY_HEADER] for r in receiver.received}
    assert delivery_ids == {fan_id(row)}
    assert first.headers["linkrunner-key"] == "lr-key-test"
    timestamp = first.headers[webhook.TIMESTAMP_HEADER]
    expected = hmac.new(b"whsec-test", f"{timestamp}.".encode() + first.body, hashlib.sha256)
    assert first.headers[webhook.SIGNATURE_HEADER] == "sha256=" + expected.hexdigest()
    body = first.json()
    assert body["event_type"] == "install"
    assert body["campaign_id"] == "cmp-inst-c18"
    assert body["network_name"] == "META"


def fan_id(row: Delivery) -> str:
    return fanout.delivery_id(row.idempotency_key)


def test_c18_timeout_is_retried_with_the_same_delivery_id(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(200, {"late": True}, delay=3.0)]) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance="inst-c18t"))
        drive(row.pk, http)

    row.refresh_from_db()
    attempts = list(row.attempts.order_by("number"))
    assert [a.response_status for a in attempts] == [None, 200]
    assert attempts[0].transient is True
    assert "Timeout" in attempts[0].error
    first, second = receiver.received
    assert first.headers[webhook.DELIVERY_HEADER] == second.headers[webhook.DELIVERY_HEADER]
    assert first.body == second.body


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_permanent_4xx_ends_dead_after_one_attempt(
    project: Project, make_install: Callable[..., Install], http: HttpClient, status: int
) -> None:
    with receivers.serve(lambda _: Answer(status, {"error": "nope"})) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance=f"inst-4xx-{status}"))
        assert drive(row.pk, http) == 1
    row.refresh_from_db()
    assert row.state == Delivery.State.DEAD
    assert row.last_error == f"http_{status}"
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(
    project: Project, make_install: Callable[..., Install], http: HttpClient, status: int
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(status), Answer(status)]) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance=f"inst-t-{status}"))
        drive(row.pk, http)
    row.refresh_from_db()
    assert row.state == Delivery.State.DELIVERED
    assert row.attempt_count == 3
    assert len(receiver.received) == 3


def test_retries_stop_at_the_cap_in_a_dead_state(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(lambda _: Answer(500)) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance="inst-cap"))
        drive(row.pk, http, limit=attempts.MAX_ATTEMPTS + 5)
    row.refresh_from_db()
    assert row.state == Delivery.State.DEAD
    assert row.attempt_count == attempts.MAX_ATTEMPTS
    assert len(receiver.received) == attempts.MAX_ATTEMPTS


def test_expired_delivery_dies_without_sending(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance="inst-exp"))
        later = timezone.now() + attempts.EXPIRY + dt.timedelta(minutes=1)
        assert delivery.run(row.pk, http, now=later) is None
    row.refresh_from_db()
    assert row.state == Delivery.State.DEAD
    assert row.last_error == "expired"
    assert receiver.received == []


def test_a_leased_delivery_is_not_sent_by_a_second_worker(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance="inst-lease"))
        Delivery.objects.filter(pk=row.pk).update(
            lease_until=timezone.now() + dt.timedelta(seconds=30)
        )
        assert delivery.run(row.pk, http) is None
        assert receiver.received == []


def test_same_idempotency_key_creates_one_delivery(project: Project) -> None:
    spec = DeliverySpec(
        project_id=project.pk,
        destination="webhook",
        event_kind="install",
        event_name="install",
        idempotency_key="install:1:webhook",
        subject={"install_id": 1},
        request=FrozenRequest("POST", "http://127.0.0.1:9/x", (), "{}"),
    )
    first, created = delivery.create(spec)
    second, created_again = delivery.create(spec)
    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    assert Delivery.objects.count() == 1


def test_skip_is_stored_with_its_reason(project: Project) -> None:
    spec = DeliverySpec(project.pk, "meta", "custom", "x", "custom:9:meta", {}, Skip("why not"))
    row, _ = delivery.create(spec)
    assert row.state == Delivery.State.SKIPPED
    assert row.last_error == "why not"
    assert Attempt.objects.count() == 0


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt in range(1, 15):
        ceiling = min(
            attempts.BACKOFF_CAP_SECONDS, attempts.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
        )
        value = attempts.backoff_seconds(attempt, rng)
        assert ceiling / 2 <= value <= ceiling
    assert attempts.backoff_seconds(40, rng) <= attempts.BACKOFF_CAP_SECONDS


def test_replay_reopens_a_dead_delivery_with_the_same_bytes(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(400)]) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        (row,) = _fan_out_install(make_install(instance="inst-replay"))
        drive(row.pk, http)
        row.refresh_from_db()
        assert row.state == Delivery.State.DEAD
        assert delivery.reopen([row.pk]) == [row.pk]
        assert delivery.reopen([row.pk]) == []  # already open: nothing to do
        drive(row.pk, http)
    row.refresh_from_db()
    assert row.state == Delivery.State.DELIVERED
    assert [a.number for a in row.attempts.order_by("number")] == [1, 2]
    assert receiver.received[0].body == receiver.received[1].body
    assert delivery.reopen([row.pk]) == []  # delivered stays delivered unless asked


def test_shared_breaker_opens_after_repeated_transient_failures(
    project: Project, make_install: Callable[..., Install], http: HttpClient
) -> None:
    with receivers.serve(lambda _: Answer(503)) as receiver:
        _webhook_project(project, receiver.url + "/hook")
        installs = [
            make_install(instance=f"inst-br-{n}") for n in range(throttle.BREAKER_THRESHOLD + 1)
        ]
        rows = [_fan_out_install(install)[-1] for install in installs]
        for row in rows[:-1]:
            assert delivery.run(row.pk, http) is not None
        wait = delivery.run(rows[-1].pk, http)
    assert wait is not None
    assert 0 < wait <= throttle.BREAKER_COOLDOWN_SECONDS
    assert len(receiver.received) == throttle.BREAKER_THRESHOLD  # the last one was never sent
    assert rows[-1].attempts.count() == 0
    throttle.breaker_record("webhook", failed=False)
    assert throttle.breaker_wait("webhook") == 0


def test_sweep_republishes_only_overdue_unleased_deliveries(
    project: Project, make_install: Callable[..., Install], monkeypatch: pytest.MonkeyPatch
) -> None:
    _webhook_project(project, "http://127.0.0.1:9/hook")
    rows = [_fan_out_install(make_install(instance=f"inst-sw-{n}"))[-1] for n in range(3)]
    old = timezone.now() - tasks.STUCK_AFTER - dt.timedelta(seconds=1)
    Delivery.objects.filter(pk=rows[0].pk).update(created_at=old)  # lost task
    Delivery.objects.filter(pk=rows[1].pk).update(
        created_at=old, lease_until=timezone.now() + dt.timedelta(seconds=30)
    )  # being sent right now
    published: list[int] = []
    monkeypatch.setattr(
        tasks.deliver, "apply_async", lambda kwargs, **_: published.append(kwargs["delivery_id"])
    )
    assert tasks.sweep() == 1
    assert published == [rows[0].pk]


def _spec(project: Project, key: str, request: FrozenRequest | Skip | None = None) -> DeliverySpec:
    request = request or FrozenRequest("POST", "http://127.0.0.1:9/x", (), "{}")
    return DeliverySpec(project.pk, "webhook", "install", "install", key, {}, request)


def test_create_many_makes_only_the_missing_deliveries_in_one_insert(
    project: Project, django_assert_num_queries: Any
) -> None:
    existing, _ = delivery.create(_spec(project, "install:1:webhook"))
    specs = [
        _spec(project, "install:1:webhook"),
        _spec(project, "install:2:webhook"),
        _spec(project, "install:3:webhook", Skip("not credited")),
    ]
    # SELECT the keys, SAVEPOINT, INSERT the two new rows, RELEASE.
    with django_assert_num_queries(4):
        made = delivery.create_many(specs)
    assert [(row.idempotency_key, new) for row, new in made] == [
        ("install:1:webhook", False),
        ("install:2:webhook", True),
        ("install:3:webhook", True),
    ]
    assert made[0][0].pk == existing.pk
    assert made[2][0].state == Delivery.State.SKIPPED
    assert Delivery.objects.count() == 3
    assert [new for _, new in delivery.create_many(specs)] == [False, False, False]


def test_create_many_falls_back_to_one_by_one_when_a_racing_fan_out_wins(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = [_spec(project, "install:4:webhook"), _spec(project, "install:5:webhook")]
    lookup = Delivery.objects.filter
    raced: list[bool] = []

    def look_then_lose_the_race(*args: Any, **kwargs: Any) -> Any:
        if raced:
            return lookup(*args, **kwargs)
        found = list(lookup(*args, **kwargs))
        raced.append(True)
        delivery.create(specs[1])  # the other fan-out stores a key right after our look
        return found

    monkeypatch.setattr(Delivery.objects, "filter", look_then_lose_the_race)
    made = delivery.create_many(specs)
    monkeypatch.undo()
    assert [new for _, new in made] == [True, False]
    assert Delivery.objects.count() == 2
