"""One try of a delivery: what it needs from its row, how its answer settles it, and the log.

A try works from a `Leased` snapshot of its delivery (read once, under the lease) rather than a
model instance. `settle` reads the answer into an attempt row and the delivery's next state
(delivered, dead, or retrying after exponential backoff with jitter); `record` writes any number
of settled tries atomically (on PostgreSQL one statement; elsewhere one INSERT of attempt rows
and one UPDATE per shared next state in a transaction) and mirrors them to the warehouse once
committed, so the unbatched path and the
batched sender keep the same log at a cost per batch rather than per try.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import structlog
from django.db import connection, transaction

from hazelnut import bulk, metrics
from hazelnut.http import HttpResult
from postbacks import ledger
from postbacks.frozen import FrozenRequest
from postbacks.models import Attempt, Delivery
from postbacks.verdict import Outcome, Verdict, classify

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10
EXPIRY = dt.timedelta(hours=24)
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
ANALYTICS_PREFIX = "analytics:"
_BODY_KEEP = 2000


@dataclass(frozen=True)
class Leased:
    """The delivery as one try sees it, read when the try was allowed to start."""

    pk: int
    project_id: int
    destination: str
    event_kind: str
    attempt_count: int
    replay_base: int
    # The try budget and the expiry count from here: creation, or the last replay.
    started_at: dt.datetime
    request: FrozenRequest


def backoff_seconds(attempt_number: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(n-1), capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(0, attempt_number - 1))
    draw: float = rng.random() if rng is not None else random.random()
    return ceiling * (0.5 + 0.5 * draw)


def exhausted(target: Leased, tries: int, now: dt.datetime) -> bool:
    return tries - target.replay_base >= MAX_ATTEMPTS or now - target.started_at > EXPIRY


def closing_reason(target: Leased, now: dt.datetime) -> str | None:
    """Why the delivery must end now without another try (kept on the row), or None."""
    if exhausted(target, target.attempt_count, now):
        return "expired"
    if target.request.too_late(now):
        return f"too old: the destination takes this event only until {target.request.send_before}"
    return None


class AttemptRow(NamedTuple):
    """An Attempt's columns in `_ATTEMPT_FIELDS` order (created_at is the batch's time)."""

    delivery_id: int
    number: int
    response_status: int | None
    response_body: str
    latency_ms: int
    error: str
    transient: bool


_ATTEMPT_FIELDS = (*AttemptRow._fields, "created_at")


@dataclass(frozen=True)
class Settled:
    """One answered try: its attempt row and the delivery's next state, not yet written."""

    target: Leased
    attempt: AttemptRow
    verdict: Verdict
    state: str
    # Seconds until the next try when retrying, else None.
    delay: float | None
    next_attempt_at: dt.datetime | None

    @property
    def table(self) -> str:
        analytics = self.target.destination.startswith(ANALYTICS_PREFIX)
        return "analytics_deliveries" if analytics else "postback_attempts"

    def changes(self, now: dt.datetime) -> tuple[Any, ...]:
        """The delivery's `_STATE_FIELDS` after this try, ready for the database."""
        finished = self.state in (Delivery.State.DELIVERED, Delivery.State.DEAD)
        adapt = connection.ops.adapt_datetimefield_value
        return (
            self.state,
            self.attempt.error,
            adapt(now) if finished else None,
            adapt(self.next_attempt_at),
            self.attempt.number,
        )


# The delivery columns a try changes besides giving its lease back, in `Settled.changes` order.
_STATE_FIELDS = ("state", "last_error", "finished_at", "next_attempt_at", "attempt_count")


def _verdict(request: FrozenRequest, result: HttpResult) -> Verdict:
    if result.status is None:
        outcome = Outcome.TRANSIENT if result.transient else Outcome.TERMINAL
        return Verdict(outcome, result.error or "no answer")
    return classify(request.classifier, result.status, result.body)


def settle(target: Leased, result: HttpResult, now: dt.datetime) -> Settled:
    """Read the answer into an attempt and the delivery's next state."""
    verdict = _verdict(target.request, result)
    number = target.attempt_count + 1
    delivered = verdict.outcome is Outcome.DELIVERED
    attempt = AttemptRow(
        target.pk,
        number,
        result.status,
        result.body[:_BODY_KEEP].decode("utf-8", errors="replace"),
        round(result.latency_ms),
        "" if delivered else verdict.reason[:1000],
        verdict.outcome is Outcome.TRANSIENT,
    )
    if delivered:
        return Settled(target, attempt, verdict, Delivery.State.DELIVERED, None, None)
    if verdict.outcome is Outcome.TERMINAL or exhausted(target, number, now):
        return Settled(target, attempt, verdict, Delivery.State.DEAD, None, None)
    delay = backoff_seconds(number)
    retry_at = now + dt.timedelta(seconds=delay)
    return Settled(target, attempt, verdict, Delivery.State.RETRYING, delay, retry_at)


def record(settled: Sequence[Settled], now: dt.datetime) -> None:
    """Write the tries' attempt rows and next states atomically, then mirror them."""
    if not settled:
        return
    created = connection.ops.adapt_datetimefield_value(now)
    tries = [(*one.attempt, created) for one in settled]
    if bulk.postgres():
        _record_in_one_statement(settled, tries, now)
    else:
        with transaction.atomic():
            bulk.insert(Attempt, _ATTEMPT_FIELDS, tries)
            _save_states(settled, now)
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for one in settled:
        tables[one.table].append(warehouse_row(one, now))
    for table, rows in tables.items():
        ledger.mirror(table, rows)


def _record_in_one_statement(
    settled: Sequence[Settled], tries: list[tuple[Any, ...]], now: dt.datetime
) -> None:
    # A statement is atomic by itself: one round trip instead of a transaction's four.
    insert, insert_params = bulk.insert_sql(Attempt, _ATTEMPT_FIELDS, tries)
    columns = ("id", *_STATE_FIELDS)
    states = [(one.target.pk, *one.changes(now)) for one in settled]
    source, state_params = bulk.unnest(Delivery, columns, states)
    q = bulk.quote
    assignments = ", ".join(f"{q(name)} = new_state.{q(name)}" for name in _STATE_FIELDS)
    sql = (
        f"WITH tries AS ({insert}) UPDATE {q(Delivery._meta.db_table)} AS delivery "
        f"SET {assignments}, {q('lease_until')} = NULL "
        f"FROM {source} AS new_state({', '.join(q(name) for name in columns)}) "
        f"WHERE delivery.{q('id')} = new_state.{q('id')}"
    )
    with bulk.cursor() as cursor:
        cursor.execute(sql, [*insert_params, *state_params])


def _save_states(settled: Sequence[Settled], now: dt.datetime) -> None:
    """One UPDATE per shared next state (usually one: every try of the batch delivered)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for one in settled:
        groups[one.changes(now)].append(one.target.pk)
    assignments = ", ".join(f"{bulk.quote(name)} = %s" for name in _STATE_FIELDS)
    for values, ids in groups.items():
        which, id_params = bulk.one_of(bulk.quote("id"), ids)
        sql = (
            f"UPDATE {bulk.quote(Delivery._meta.db_table)} SET {assignments}, "
            f"{bulk.quote('lease_until')} = NULL WHERE {which}"
        )
        with bulk.cursor() as cursor:
            cursor.execute(sql, [*values, *id_params])


def warehouse_row(settled: Settled, now: dt.datetime) -> dict[str, Any]:
    target, attempt = settled.target, settled.attempt
    row: dict[str, Any] = {
        "project_id": target.project_id,
        "event_kind": target.event_kind,
        "status_code": attempt.response_status or 0,
        "outcome": settled.verdict.outcome.value,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "attempted_at": now,
    }
    if settled.table == "analytics_deliveries":
        row["platform"] = target.destination.removeprefix(ANALYTICS_PREFIX)
    else:
        row.update(delivery_id=target.pk, destination=target.destination, attempt=attempt.number)
    return row


def report(settled: Sequence[Settled]) -> None:
    """Count every try; log the ones that did not deliver (the attempt log has the rest)."""
    counts = Counter((one.target.destination, one.verdict.outcome.value) for one in settled)
    for (destination, outcome), count in counts.items():
        metrics.POSTBACK_DELIVERIES.labels(destination=destination, result=outcome).inc(count)
    for one in settled:
        if one.verdict.outcome is not Outcome.DELIVERED:
            log.info(
                "postbacks.delivery.attempted",
                delivery_id=one.target.pk,
                destination=one.target.destination,
                attempt=one.attempt.number,
                status=one.attempt.response_status,
                outcome=one.verdict.outcome.value,
                reason=one.verdict.reason,
                target=one.target.request.label,
            )
