"""The delivery machine: create a delivery once, then try it until it lands, dies or expires.

A delivery is created under a unique idempotency key (a re-run fan-out finds the existing row
and sends nothing new) with its request frozen. Each try takes a short lease on the row so a
redelivered task or a replay running at the same moment cannot send the same delivery twice,
sends the frozen bytes, writes an Attempt, and moves the delivery to delivered, dead (terminal
answer, too many tries, too old for its destination, or expired) or retrying with exponential
backoff and jitter (`postbacks.attempts`). `run` is one try on the caller's thread; the batched
sender (`postbacks.batcher`) applies the same rules to many deliveries at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from hazelnut.http import CIRCUIT_OPEN, HttpClient, HttpResult
from postbacks import attempts, guarded, leases, ssrf, throttle
from postbacks.frozen import DeliverySpec, FrozenRequest, Skip
from postbacks.leases import OPEN
from postbacks.models import Delivery
from postbacks.verdict import Outcome

log = structlog.get_logger(__name__)


def create(spec: DeliverySpec) -> tuple[Delivery, bool]:
    """The delivery for `spec.idempotency_key`, created (True) or found (False)."""
    existing = Delivery.objects.filter(idempotency_key=spec.idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(**_fields(spec))
    except IntegrityError:
        return Delivery.objects.get(idempotency_key=spec.idempotency_key), False
    _log_skip(delivery, spec)
    return delivery, True


def create_many(specs: Sequence[DeliverySpec]) -> list[tuple[Delivery, bool]]:
    """`create` for several specs: one lookup of their keys and one INSERT of the new ones.

    A fan-out racing this one for the same keys makes the INSERT fail; then each spec goes
    through `create`, which finds the other's rows.
    """
    keys = [spec.idempotency_key for spec in specs]
    found = {row.idempotency_key: row for row in Delivery.objects.filter(idempotency_key__in=keys)}
    fresh = {spec.idempotency_key: spec for spec in specs if spec.idempotency_key not in found}
    made: dict[str, Delivery] = {}
    if fresh:
        try:
            with transaction.atomic():
                rows = [Delivery(**_fields(spec)) for spec in fresh.values()]
                made = {row.idempotency_key: row for row in Delivery.objects.bulk_create(rows)}
        except IntegrityError:
            return [create(spec) for spec in specs]
    for key, row in made.items():
        _log_skip(row, fresh[key])
    return [(found[key], False) if key in found else (made[key], True) for key in keys]


def _fields(spec: DeliverySpec) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "idempotency_key": spec.idempotency_key,
        "project_id": spec.project_id,
        "destination": spec.destination,
        "event_kind": spec.event_kind,
        "event_name": spec.event_name[:500],
        "subject": spec.subject,
    }
    if isinstance(spec.request, Skip):
        fields.update(state=Delivery.State.SKIPPED, last_error=spec.request.reason)
        fields["finished_at"] = timezone.now()
    else:
        fields["request"] = spec.request.to_json()
    return fields


def _log_skip(delivery: Delivery, spec: DeliverySpec) -> None:
    if isinstance(spec.request, Skip):
        log.info(
            "postbacks.delivery.skipped",
            delivery_id=delivery.pk,
            destination=spec.destination,
            reason=spec.request.reason,
        )


def run(delivery_id: int, client: HttpClient, now: dt.datetime | None = None) -> float | None:
    """Try the delivery once if it is still open; the seconds until the next try, or None."""
    now = now or timezone.now()
    taken = leases.take([delivery_id], now)
    if not taken:
        return None  # finished, or another worker holds it right now
    target = taken[0]
    reason = attempts.closing_reason(target, now)
    if reason is not None:
        finish([target.pk], reason, now)
        return None
    wait = throttle.breaker_wait(target.destination) or throttle.rate_wait(
        target.project_id, target.destination
    )
    if wait > 0:
        leases.give_back([target.pk])
        return wait
    result = _send(target.request, client)
    if result.error == CIRCUIT_OPEN:
        leases.give_back([target.pk])
        return throttle.BREAKER_COOLDOWN_SECONDS
    settled = attempts.settle(target, result, now)
    attempts.record([settled], now)
    transient = settled.verdict.outcome is Outcome.TRANSIENT
    throttle.breaker_record(target.destination, failed=transient)
    attempts.report([settled])
    return settled.delay


def _send(request: FrozenRequest, client: HttpClient) -> HttpResult:
    try:
        if request.guarded:
            ssrf.check_target(request.url)
            client = guarded.client_like(client)
        return client.send(
            request.method, request.url, headers=dict(request.headers), data=request.body_bytes()
        )
    except ssrf.DestinationRefused as exc:
        return HttpResult(None, b"", 0.0, f"refused: {exc}", transient=False)


def finish(delivery_ids: Iterable[int], reason: str, now: dt.datetime) -> None:
    """End open deliveries as dead, without another try, keeping `reason`."""
    ids = list(delivery_ids)
    Delivery.objects.filter(pk__in=ids, state__in=OPEN).update(
        state=Delivery.State.DEAD,
        last_error=reason,
        finished_at=now,
        next_attempt_at=None,
        lease_until=None,
    )
    log.info("postbacks.delivery.closed", deliveries=len(ids), reason=reason.split(":", 1)[0])


def reopen(delivery_ids: list[int], *, include_delivered: bool = False) -> list[int]:
    """Put finished deliveries back in line for a replay (same frozen request, same key).

    Delivered ones are reopened only when asked: a replay must not re-post by accident.
    """
    states = [Delivery.State.DEAD] + ([Delivery.State.DELIVERED] if include_delivered else [])
    reopened: list[int] = []
    now = timezone.now()
    for delivery in Delivery.objects.filter(pk__in=delivery_ids, state__in=states):
        updated = Delivery.objects.filter(pk=delivery.pk, state=delivery.state).update(
            state=Delivery.State.RETRYING,
            finished_at=None,
            next_attempt_at=now,
            lease_until=None,
            replayed_at=now,
            replay_base=delivery.attempt_count,
        )
        if updated:
            reopened.append(delivery.pk)
    return reopened
