"""Choosing deliveries to replay (by id, destination or time range) and putting them back in line.

A replay reopens finished deliveries with their frozen request and idempotency key unchanged, so
receivers see the same bytes and delivery id as before. Delivered ones are replayed only when
asked explicitly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from postbacks import attempts, delivery
from postbacks.models import Delivery


@dataclass(frozen=True)
class Selection:
    ids: tuple[int, ...] = ()
    destination: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    include_delivered: bool = False


def select(selection: Selection) -> QuerySet[Delivery]:
    states = [Delivery.State.DEAD]
    if selection.include_delivered:
        states.append(Delivery.State.DELIVERED)
    rows = Delivery.objects.filter(state__in=states)
    if selection.ids:
        rows = rows.filter(pk__in=selection.ids)
    if selection.destination:
        rows = rows.filter(destination=selection.destination)
    if selection.since:
        rows = rows.filter(created_at__gte=selection.since)
    if selection.until:
        rows = rows.filter(created_at__lt=selection.until)
    return rows.order_by("pk")


def replay(
    ids: Iterable[int],
    *,
    include_delivered: bool = False,
    dispatch: Callable[[int], None] | None = None,
) -> list[int]:
    """Reopen the deliveries and hand each to `dispatch` (default: a deliver task)."""
    from postbacks.tasks import enqueue

    with transaction.atomic():
        reopened = delivery.reopen(list(ids), include_delivered=include_delivered)
        if dispatch is None:
            analytics = set(
                Delivery.objects.filter(
                    pk__in=reopened, destination__startswith=attempts.ANALYTICS_PREFIX
                ).values_list("pk", flat=True)
            )
            enqueue([pk for pk in reopened if pk not in analytics])
            _enqueue_analytics(sorted(analytics))
    if dispatch is not None:
        for delivery_id in reopened:
            dispatch(delivery_id)
    return reopened


def _enqueue_analytics(ids: list[int]) -> None:
    from analytics.api import DELIVER
    from hazelnut.celery import app

    for delivery_id in ids:
        transaction.on_commit(partial(app.send_task, DELIVER, kwargs={"delivery_id": delivery_id}))
