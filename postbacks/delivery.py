"""The delivery machine: create a delivery once, then try it until it lands, dies or expires.

A delivery is created under a unique idempotency key (a re-run fan-out finds the existing row
and sends nothing new) with its request frozen. Each try takes a short lease on the row so a
redelivered task or a replay running at the same moment cannot send the same delivery twice,
sends the frozen bytes, writes an Attempt, and moves the delivery to delivered, dead (terminal
answer, too many tries, or too old) or retrying with exponential backoff and jitter.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from hazelnut import metrics
from hazelnut.http import CIRCUIT_OPEN, HttpClient, HttpResult
from postbacks import ledger, ssrf, throttle
from postbacks.frozen import DeliverySpec, FrozenRequest, Skip
from postbacks.models import Attempt, Delivery
from postbacks.verdict import Outcome, Verdict, classify

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10
EXPIRY = dt.timedelta(hours=24)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
LEASE = dt.timedelta(seconds=60)
ANALYTICS_PREFIX = "analytics:"
OPEN = (Delivery.State.PENDING, Delivery.State.RETRYING)
_BODY_KEEP = 2000


def create(spec: DeliverySpec) -> tuple[Delivery, bool]:
    """The delivery for `spec.idempotency_key`, created (True) or found (False)."""
    existing = Delivery.objects.filter(idempotency_key=spec.idempotency_key).first()
    if existing is not None:
        return existing, False
    fields: dict[str, Any] = {
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
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(idempotency_key=spec.idempotency_key, **fields)
    except IntegrityError:
        return Delivery.objects.get(idempotency_key=spec.idempotency_key), False
    if isinstance(spec.request, Skip):
        log.info(
            "postbacks.delivery.skipped",
            delivery_id=delivery.pk,
            destination=spec.destination,
            reason=spec.request.reason,
        )
    return delivery, True


def backoff_seconds(attempt_number: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(n-1), capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(0, attempt_number - 1))
    draw: float = rng.random() if rng is not None else random.random()
    return ceiling * (0.5 + 0.5 * draw)


def run(delivery_id: int, client: HttpClient, now: dt.datetime | None = None) -> float | None:
    """Try the delivery once if it is still open; the seconds until the next try, or None."""
    now = now or timezone.now()
    delivery = Delivery.objects.filter(pk=delivery_id, state__in=OPEN).first()
    if delivery is None:
        return None
    if exhausted(delivery, delivery.attempt_count, now):
        finish(delivery, Delivery.State.DEAD, "expired", now)
        return None
    wait = throttle.breaker_wait(delivery.destination) or throttle.rate_wait(
        delivery.project_id, delivery.destination
    )
    if wait > 0:
        return wait
    if not _lease(delivery, now):
        return None
    request = FrozenRequest.from_json(delivery.request)
    result = _send(request, client)
    if result.error == CIRCUIT_OPEN:
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=None)
        return throttle.BREAKER_COOLDOWN_SECONDS
    return _record(delivery, request, result, now)


def exhausted(delivery: Delivery, tries: int, now: dt.datetime) -> bool:
    started = delivery.replayed_at or delivery.created_at
    return tries - delivery.replay_base >= MAX_ATTEMPTS or now - started > EXPIRY


def _lease(delivery: Delivery, now: dt.datetime) -> bool:
    claimed = (
        Delivery.objects.filter(
            pk=delivery.pk, state__in=OPEN, attempt_count=delivery.attempt_count
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )
    return claimed == 1


def _send(request: FrozenRequest, client: HttpClient) -> HttpResult:
    if request.guarded:
        try:
            ssrf.check_url(request.url)
        except ssrf.DestinationRefused as exc:
            return HttpResult(None, b"", 0.0, f"refused: {exc}", transient=False)
    return client.send(
        request.method, request.url, headers=dict(request.headers), data=request.body_bytes()
    )


def _verdict(request: FrozenRequest, result: HttpResult) -> Verdict:
    if result.status is None:
        outcome = Outcome.TRANSIENT if result.transient else Outcome.TERMINAL
        return Verdict(outcome, result.error or "no answer")
    return classify(request.classifier, result.status, result.body)


@dataclass(frozen=True)
class Settled:
    """One attempt's outcome, applied to the delivery in memory and not yet saved."""

    attempt: Attempt
    verdict: Verdict
    delay: float | None
    table: str


SETTLE_FIELDS = [
    "state", "last_error", "finished_at", "next_attempt_at", "lease_until", "attempt_count"
]  # fmt: skip


def settle(
    delivery: Delivery, request: FrozenRequest, result: HttpResult, now: dt.datetime
) -> Settled:
    """Read the answer, build the Attempt and move the delivery to its next state (unsaved)."""
    verdict = _verdict(request, result)
    number = delivery.attempt_count + 1
    attempt = Attempt(
        delivery=delivery,
        number=number,
        response_status=result.status,
        response_body=result.body[:_BODY_KEEP].decode("utf-8", errors="replace"),
        latency_ms=round(result.latency_ms),
        error=("" if verdict.outcome is Outcome.DELIVERED else verdict.reason)[:1000],
        transient=verdict.outcome is Outcome.TRANSIENT,
    )
    delivery.attempt_count = number
    delivery.lease_until = None
    delay: float | None = None
    if verdict.outcome is Outcome.DELIVERED:
        _close(delivery, Delivery.State.DELIVERED, "", now)
    elif verdict.outcome is Outcome.TERMINAL or exhausted(delivery, number, now):
        _close(delivery, Delivery.State.DEAD, verdict.reason, now)
    else:
        delay = backoff_seconds(number)
        delivery.state = Delivery.State.RETRYING
        delivery.last_error = verdict.reason
        delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
    table = (
        "analytics_deliveries"
        if delivery.destination.startswith(ANALYTICS_PREFIX)
        else "postback_attempts"
    )
    return Settled(attempt, verdict, delay, table)


def log_attempt(delivery: Delivery, request: FrozenRequest, settled: Settled) -> None:
    # Every attempt is an Attempt row and a warehouse row already; the log is for trouble.
    metrics.POSTBACK_DELIVERIES.labels(
        destination=delivery.destination, result=settled.verdict.outcome.value
    ).inc()
    emit = log.debug if settled.verdict.outcome is Outcome.DELIVERED else log.info
    emit(
        "postbacks.delivery.attempted",
        delivery_id=delivery.pk,
        destination=delivery.destination,
        attempt=settled.attempt.number,
        status=settled.attempt.response_status,
        outcome=settled.verdict.outcome.value,
        reason=settled.verdict.reason,
        target=request.label,
    )


def _record(
    delivery: Delivery, request: FrozenRequest, result: HttpResult, now: dt.datetime
) -> float | None:
    settled = settle(delivery, request, result, now)
    with transaction.atomic():
        settled.attempt.save()
        delivery.save(update_fields=SETTLE_FIELDS)
        row = warehouse_row(settled.table, delivery, settled.attempt, settled.verdict, now)
        ledger.mirror(settled.table, [row])
    throttle.breaker_record(
        delivery.destination, failed=settled.verdict.outcome is Outcome.TRANSIENT
    )
    log_attempt(delivery, request, settled)
    return settled.delay


def warehouse_row(
    table: str, delivery: Delivery, attempt: Any, verdict: Verdict, now: dt.datetime
) -> dict[str, Any]:
    row = ledger.warehouse_attempt(delivery, attempt, verdict.outcome.value, now)
    if table == "analytics_deliveries":
        row["platform"] = delivery.destination.removeprefix(ANALYTICS_PREFIX)
        for key in ("delivery_id", "destination", "attempt"):
            row.pop(key)
    return row


def _close(delivery: Delivery, state: str, reason: str, now: dt.datetime) -> None:
    delivery.state = state
    delivery.last_error = reason
    delivery.finished_at = now
    delivery.next_attempt_at = None
    delivery.lease_until = None


def finish(delivery: Delivery, state: str, reason: str, now: dt.datetime) -> None:
    _close(delivery, state, reason, now)
    delivery.save(update_fields=SETTLE_FIELDS)


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
