"""Postback tasks on the postbacks queue: fan-out of installs and events, and one task per
delivery so a slow or failing network never holds back another."""

from __future__ import annotations

import datetime as dt
from functools import partial

import structlog
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from analytics.api import DELIVER as ANALYTICS_DELIVER
from attribution import api as attribution
from hazelnut.celery import app
from hazelnut.tasks import task
from postbacks import attempts, delivery, fanout, sender
from postbacks.api import DELIVER, FAN_OUT_EVENT, FAN_OUT_INSTALL, SWEEP
from postbacks.models import Delivery

log = structlog.get_logger(__name__)

STUCK_AFTER = dt.timedelta(minutes=2)


@task(DELIVER)
def deliver(delivery_id: int) -> None:
    delay = sender.deliver(delivery_id)
    if delay is not None:
        deliver.apply_async(kwargs={"delivery_id": delivery_id}, countdown=delay)


def enqueue(delivery_ids: list[int]) -> None:
    """Publish one deliver task per delivery once the rows are committed."""
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(deliver.apply_async, kwargs={"delivery_id": delivery_id}))


def _fan_out(install: attribution.InstallFacts, event: attribution.EventFacts | None) -> list[int]:
    with transaction.atomic():
        made = delivery.create_many(list(fanout.specs(install, event)))
        created = [row.pk for row, new in made if new and row.state == Delivery.State.PENDING]
        enqueue(created)
    return created


@task(FAN_OUT_INSTALL)
def fan_out_install(install_id: int) -> None:
    install = attribution.install_facts(install_id)
    if install is None or not install.attributed:
        log.info("postbacks.fanout.install_not_ready", install_id=install_id)
        return
    created = _fan_out(install, None)
    log.info("postbacks.fanout.install", install_id=install_id, deliveries=len(created))


@task(FAN_OUT_EVENT)
def fan_out_event(kind: str, object_id: int) -> None:
    event = attribution.event_facts(kind, object_id)
    if event is None:
        log.info("postbacks.fanout.event_missing", kind=kind, object_id=object_id)
        return
    if event.install is None:
        log.info("postbacks.fanout.no_install", kind=kind, object_id=object_id)
        return
    if not event.install.attributed:
        # The install-finished hook fans this event out again once attribution is done.
        log.info("postbacks.fanout.deferred", kind=kind, object_id=object_id)
        return
    created = _fan_out(event.install, event)
    log.info("postbacks.fanout.event", kind=kind, object_id=object_id, deliveries=len(created))


@task(SWEEP)
def sweep() -> int:
    """Re-publish open deliveries whose task was lost: overdue and leased by nobody.

    Run it every minute or so (celery beat). A re-published delivery that was not lost after all
    is harmless: the lease lets only one of the two tasks send.
    """
    now = timezone.now()
    overdue = now - STUCK_AFTER
    due = (
        Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING])
        .filter(
            Q(next_attempt_at__lte=overdue)
            | Q(next_attempt_at__isnull=True, created_at__lt=overdue)
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", "destination")[:1000]
    )
    rows = list(due)
    for delivery_id, destination in rows:
        if destination.startswith(attempts.ANALYTICS_PREFIX):
            app.send_task(ANALYTICS_DELIVER, kwargs={"delivery_id": delivery_id})
        else:
            deliver.apply_async(kwargs={"delivery_id": delivery_id})
    log.info("postbacks.sweep.republished", deliveries=len(rows))
    return len(rows)
