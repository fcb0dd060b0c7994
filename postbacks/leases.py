"""Leases: which worker may try a delivery right now.

A try starts by leasing its delivery: one UPDATE takes every open, unleased row of a batch for
`LEASE` and returns what the tries need (PostgreSQL and SQLite 3.35 or later return rows from
an UPDATE). Only the holder of a live lease sends, so a redelivered task or a replay running at
the same moment finds the row taken and sends nothing. A lease ends when its try is recorded,
is given back when the brakes hold the delivery, or lapses after `LEASE` if its worker died.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hazelnut import bulk, secrets
from postbacks.attempts import Leased
from postbacks.frozen import FrozenRequest
from postbacks.models import Delivery

LEASE = dt.timedelta(seconds=60)
OPEN = (Delivery.State.PENDING, Delivery.State.RETRYING)
# What a try reads from its row, in `_leased` order.
_READ = (
    "id", "project_id", "destination", "event_kind", "attempt_count", "replay_base",
    "replayed_at", "created_at", "request",
)  # fmt: skip


def take(delivery_ids: list[int], now: dt.datetime) -> list[Leased]:
    """Lease every delivery of `delivery_ids` that is open and not leased by anyone else."""
    if not delivery_ids:
        return []
    quote = bulk.quote
    column = {field.attname: str(field.column) for field in Delivery._meta.concrete_fields}
    returning = ", ".join(quote(column[name]) for name in _READ)
    lease_until = quote("lease_until")
    which, id_params = bulk.one_of(quote("id"), delivery_ids)
    sql = (
        f"UPDATE {quote(Delivery._meta.db_table)} SET {lease_until} = %s WHERE {which} "
        f"AND {quote('state')} IN ({_marks(len(OPEN))}) "
        f"AND ({lease_until} IS NULL OR {lease_until} < %s) RETURNING {returning}"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(now + LEASE), *id_params, *OPEN, adapt(now)]
    with bulk.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [_leased(row) for row in rows]


def give_back(delivery_ids: Iterable[int]) -> None:
    """End the leases of deliveries that were not tried after all."""
    ids = list(delivery_ids)
    if ids:
        Delivery.objects.filter(pk__in=ids).update(lease_until=None)


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def _leased(row: tuple[Any, ...]) -> Leased:
    pk, project, destination, kind, count, base, replayed_at, created_at, request = row
    if not isinstance(request, dict):  # the column's text, encrypted like the field stores it
        request = json.loads(secrets.decrypt(request))
    return Leased(
        pk,
        project,
        destination,
        kind,
        count,
        base,
        _moment(created_at if replayed_at is None else replayed_at),
        FrozenRequest.from_json(request),
    )


def _moment(value: Any) -> dt.datetime:
    """A timestamp column as an aware datetime (SQLite gives its text, naive in the db zone)."""
    moment = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if moment is None:
        raise ValueError(f"not a timestamp: {value!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, connection.timezone)
    return moment
