"""Where a message goes when its consumer gives it back: the retry topic or the dead letters.

`reject(requeue=True)` republishes the record to `<queue>.retry` (read by the same group) with
its delivery count raised; past `max_deliveries`, or on a plain reject, it goes to `<queue>.dlq`
with the reason, its origin (topic/partition/offset) and, when the task's error is known, the
error text. Only then is the original acknowledged, so a crash in between repeats, not loses.
"""

from __future__ import annotations

import structlog

from hazelnut.broker import failures, wire
from hazelnut.broker.clients import Record
from hazelnut.broker.inbound import Inbound
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.publisher import Publisher
from hazelnut.broker.topics import TopicRegistry

log = structlog.get_logger(__name__)


def send_back(
    publisher: Publisher,
    names: Names,
    options: Options,
    registry: TopicRegistry,
    inbound: Inbound,
    requeue: bool,
) -> None:
    record = inbound.record
    headers = record.headers()
    # redeliveries after a crash or rebalance replay the same record, so only explicit requeues
    # count towards max_deliveries.
    # Limit: only explicit requeues count towards max_deliveries; crash replays do not.
    deliveries = wire.header_int(headers, wire.DELIVERIES, 1)
    if requeue and deliveries < options.max_deliveries:
        topic = names.retry(inbound.queue)
        out = wire.with_headers(headers, hz_deliveries=str(deliveries + 1))
    else:
        topic = names.dead_letter(inbound.queue)
        registry.ensure({topic: options.dead_letter_spec()})
        reason = "delivery-limit" if requeue else "rejected"
        facts = {
            "hz_dlq_reason": reason,
            "hz_origin": f"{record.topic()}/{record.partition()}/{record.offset()}",
            "hz_deliveries": str(deliveries),
        }
        error = failures.error_for(_task_id(record))
        if error is not None:
            facts["hz_error"] = error
        out = wire.with_headers(headers, **facts)
        log.warning("broker.message.dead_lettered", queue=inbound.queue, reason=reason)
    publisher.send(topic, record.value() or b"", record.key(), out)


def _task_id(record: Record) -> str | None:
    task_id = wire.decode(None, record.headers())["headers"].get("id")
    return str(task_id) if task_id is not None else None
