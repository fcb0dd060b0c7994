"""Choosing deliveries to replay (by id, destination or time range) and putting them back in line.

A replay follows a fix: a network token renewed, a mapping corrected. So a network, affiliate or
webhook delivery is frozen again from its install or event with today's credentials and
mappings before it is reopened; its idempotency key and delivery id stay, so receivers still
deduplicate it. When its subject or destination no longer yields a request, the old frozen one
is kept. Delivered ones are replayed only when asked explicitly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from attribution.api import event_facts, install_facts
from postbacks import attempts, delivery, fanout
from postbacks.frozen import FrozenRequest
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
        for row in Delivery.objects.filter(pk__in=reopened).exclude(
            destination__startswith=attempts.ANALYTICS_PREFIX
        ):
            _refreeze(row)
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


def _refreeze(row: Delivery) -> None:
    # Limit: a replayed analytics delivery keeps the request frozen at its fan-out.
    subject = row.subject if isinstance(row.subject, dict) else {}
    install = install_facts(int(subject.get("install_id") or 0))
    if install is None:
        return
    event = None
    if subject.get("kind"):
        event = event_facts(str(subject["kind"]), int(subject.get("object_id") or 0))
        if event is None:
            return
    fresh = next(
        (
            s
            for s in fanout.specs(install, event, quiet=True)
            if s.idempotency_key == row.idempotency_key
        ),
        None,
    )
    if fresh is not None and isinstance(fresh.request, FrozenRequest):
        Delivery.objects.filter(pk=row.pk).update(
            request=fresh.request.to_json(), event_name=fresh.event_name
        )


def _enqueue_analytics(ids: list[int]) -> None:
    from analytics.api import DELIVER
    from hazelnut.celery import app

    for delivery_id in ids:
        transaction.on_commit(partial(app.send_task, DELIVER, kwargs={"delivery_id": delivery_id}))
