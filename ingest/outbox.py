"""The outbox relay: republish work that was parked while the broker was unreachable.

Rows are taken oldest first; the first failure stops the pass (the broker is evidently still
down, so hammering it with the rest is pointless). Two relays running at once (the loop command
and the task) may publish a message twice; every task is idempotent, so that costs a no-op,
never a duplicate record.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.db.models import F
from django.utils import timezone

from hazelnut.tasks import task
from ingest import publish
from ingest.models import OutboxMessage

log = structlog.get_logger(__name__)

BATCH_SIZE = 200
KEEP_PUBLISHED = timedelta(days=7)


def depth() -> int:
    return OutboxMessage.objects.filter(published_at__isnull=True).count()


def relay_once(batch_size: int = BATCH_SIZE) -> int:
    """Republish up to `batch_size` parked messages; returns how many went out.

    No transaction is held while publishing (a confirmed publish waits for the broker, and on
    SQLite an open write transaction would stall every request that parks a message); each row
    is marked published on its own as soon as the broker took it.
    """
    pending = list(
        OutboxMessage.objects.filter(published_at__isnull=True).order_by("id")[:batch_size]
    )
    sent = 0
    for message in pending:
        try:
            publish.send(message.task_name, message.payload)
        except publish.UNAVAILABLE as error:
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1, last_error=repr(error)
            )
            log.warning("ingest.outbox.still_unavailable", pending=len(pending) - sent)
            break
        OutboxMessage.objects.filter(pk=message.pk).update(
            published_at=timezone.now(), attempts=F("attempts") + 1
        )
        sent += 1
    if sent:
        log.info("ingest.outbox.relayed", count=sent)
    return sent


def prune() -> int:
    cutoff = timezone.now() - KEEP_PUBLISHED
    deleted, _ = OutboxMessage.objects.filter(published_at__lt=cutoff).delete()
    return deleted


@task("ingest.outbox.relay")
def relay() -> int:
    """Drain the outbox until it is empty or the broker refuses again."""
    total = 0
    while (sent := relay_once()) == BATCH_SIZE:
        total += sent
    prune()
    return total + sent
