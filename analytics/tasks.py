"""Analytics tasks on the analytics queue. A fan-out makes the deliveries, then sends one task
per platform as a Celery group, so a slow platform never holds back another."""

from __future__ import annotations

import structlog
from celery import group
from django.db import transaction

from analytics import fanout
from analytics.api import DELIVER, FORWARD_EVENT, FORWARD_INSTALL
from analytics.platforms.braze import ResolutionFailed
from attribution import api as attribution
from hazelnut.tasks import task
from postbacks import api as postbacks

log = structlog.get_logger(__name__)


@task(DELIVER)
def deliver(delivery_id: int) -> None:
    delay = postbacks.run_delivery(delivery_id, recorded=False)
    if delay is not None:
        deliver.apply_async(kwargs={"delivery_id": delivery_id}, countdown=delay)


def _fan_out(install: attribution.InstallFacts, event: attribution.EventFacts | None) -> list[int]:
    created: list[int] = []
    with transaction.atomic():
        for spec in fanout.specs(install, event, postbacks.http_client()):
            delivery_id, new = postbacks.create_delivery(spec)
            if new:
                created.append(delivery_id)
        if created:
            jobs = group(deliver.s(delivery_id=delivery_id) for delivery_id in created)
            transaction.on_commit(jobs.apply_async)
    return created


@task(FORWARD_INSTALL, retry_on=(ResolutionFailed,), backoff_max_seconds=300)
def forward_install(install_id: int) -> None:
    install = attribution.install_facts(install_id)
    if install is None or not install.attributed:
        log.info("analytics.fanout.install_not_ready", install_id=install_id)
        return
    created = _fan_out(install, None)
    log.info("analytics.fanout.install", install_id=install_id, deliveries=len(created))


@task(FORWARD_EVENT, retry_on=(ResolutionFailed,), backoff_max_seconds=300)
def forward_event(kind: str, object_id: int) -> None:
    event = attribution.event_facts(kind, object_id)
    if event is None or event.install is None or not event.install.attributed:
        log.info("analytics.fanout.event_skipped", kind=kind, object_id=object_id)
        return
    created = _fan_out(event.install, event)
    log.info("analytics.fanout.event", kind=kind, object_id=object_id, deliveries=len(created))
