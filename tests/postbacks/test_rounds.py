"""The batched sender's database rounds: a fixed number of statements whatever the batch size,
and the brakes and age limits applied to every delivery of a batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from attribution.models import Install, Project
from hazelnut import bulk
from hazelnut.http import HttpResult
from postbacks import attempts, batcher, leases, tasks, throttle
from postbacks.models import Attempt, Delivery
from tests.postbacks.conftest import FakeWarehouse

OK = HttpResult(200, b'{"ok":true}', 3.0, None, transient=False)
DOWN = HttpResult(503, b"", 3.0, "http_503", transient=True)


def _deliveries(
    project: Project, make_install: Callable[..., Install], n: int, tag: str = "rd"
) -> list[int]:
    project.webhook_url = "http://127.0.0.1:9/hook"
    project.save()
    for index in range(n):
        tasks.fan_out_install(make_install(instance=f"{tag}-{index}").pk)
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))[-n:]


@pytest.mark.parametrize("size", [2, 20])
def test_a_round_costs_the_same_statements_for_2_or_20_deliveries(
    project: Project,
    make_install: Callable[..., Install],
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
    warehouse: FakeWarehouse,
    size: int,
) -> None:
    now = timezone.now()
    first = _deliveries(project, make_install, size)
    with django_assert_num_queries(1):  # UPDATE ... RETURNING
        claimed = batcher.work_round([], first, now)
    assert sorted(target.pk for target in claimed.ready) == sorted(first)
    second = _deliveries(project, make_install, size, "rd2")
    answers = [attempts.settle(target, OK, now) for target in claimed.ready]
    assert [one.delay for one in answers] == [None] * size
    assert Attempt.objects.filter(delivery_id__in=first).count() == 0  # settled, not written
    # PostgreSQL: one statement writes the attempts and the states (elsewhere SAVEPOINT, INSERT,
    # UPDATE, RELEASE); then UPDATE ... RETURNING.
    statements = 2 if bulk.postgres() else 5
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(statements):
        done = batcher.work_round(answers, second, now)
    assert len(done.ready) == size
    assert Attempt.objects.filter(delivery_id__in=first).count() == size
    assert set(Delivery.objects.filter(pk__in=first).values_list("state", flat=True)) == {
        "delivered"
    }
    assert len(warehouse.rows["postback_attempts"]) == size


def test_a_round_records_each_outcome_and_releases_what_the_brakes_hold(
    project: Project, make_install: Callable[..., Install], settings: Any
) -> None:
    settings.HAZELNUT_POSTBACK_RATE_PER_SECOND = 3
    now = timezone.now()
    ids = _deliveries(project, make_install, 5)
    claimed = batcher.work_round([], ids, now)
    assert len(claimed.ready) == 3  # the project's budget for this second
    held = [pk for pk, wait in claimed.waits.items() if wait is not None]
    assert len(held) == 2
    assert Delivery.objects.filter(pk__in=held, lease_until__isnull=True).count() == 2

    ok, down, dead = claimed.ready
    terminal = HttpResult(400, b"{}", 1.0, "http_400", transient=False)
    answers = [attempts.settle(ok, OK, now), attempts.settle(down, DOWN, now)]
    answers.append(attempts.settle(dead, terminal, now))
    assert [one.state for one in answers] == ["delivered", "retrying", "dead"]
    assert answers[0].delay is None
    assert answers[2].delay is None
    assert 1.0 <= (answers[1].delay or 0) <= 2.0
    done = batcher.work_round(answers, [], now)
    assert done.record_error is None
    states = dict(Delivery.objects.filter(pk__in=ids[:3]).values_list("pk", "state"))
    assert states == {ok.pk: "delivered", down.pk: "retrying", dead.pk: "dead"}
    retry = Delivery.objects.get(pk=down.pk)
    assert retry.attempt_count == 1
    assert retry.lease_until is None
    assert retry.next_attempt_at is not None


def test_a_round_ends_too_old_and_expired_deliveries_without_sending(
    project: Project, make_install: Callable[..., Install]
) -> None:
    now = timezone.now()
    stale, expired, fresh = _deliveries(project, make_install, 3)
    row = Delivery.objects.get(pk=stale)
    row.request = {**row.request, "send_before": (now - dt.timedelta(seconds=1)).isoformat()}
    row.save()
    Delivery.objects.filter(pk=expired).update(created_at=now - dt.timedelta(days=2))

    done = batcher.work_round([], [stale, expired, fresh], now)
    assert [target.pk for target in done.ready] == [fresh]
    assert done.waits[stale] is None
    assert done.waits[expired] is None
    rows = {row.pk: row for row in Delivery.objects.filter(pk__in=[stale, expired])}
    assert rows[stale].state == rows[expired].state == "dead"
    assert rows[stale].last_error.startswith("too old: the destination takes this event only")
    assert rows[expired].last_error == "expired"
    assert Attempt.objects.count() == 0


def test_a_leased_delivery_is_not_leased_twice(
    project: Project, make_install: Callable[..., Install]
) -> None:
    now = timezone.now()
    (pk,) = _deliveries(project, make_install, 1)
    assert [target.pk for target in leases.take([pk], now)] == [pk]
    assert leases.take([pk], now) == []
    assert [target.pk for target in leases.take([pk], now + leases.LEASE * 2)] == [pk]


def test_the_gate_trips_a_breaker_within_the_batch_and_gives_the_budget_back() -> None:
    destination = "webhook"
    gate = throttle.gate(set(), {destination: throttle.BREAKER_THRESHOLD}, {(1, destination): 4})
    assert gate.granted == {}
    assert 0 < gate.braked[destination] <= throttle.BREAKER_COOLDOWN_SECONDS
    assert throttle.breaker_wait(destination) > 0
    rate_keys = list(throttle.connection().scan_iter("hz:pb:rate:1:webhook:*"))
    assert [int(throttle.connection().get(key) or 0) for key in rate_keys] == [0]

    reset = throttle.gate({destination}, {}, {(1, destination): 2})
    assert reset.braked == {}
    assert reset.granted == {(1, destination): 2}
    assert throttle.breaker_wait(destination) == 0
