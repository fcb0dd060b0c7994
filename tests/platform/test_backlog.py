"""Queue backlog on whichever broker the run uses (Kafka lag per partition, or Redis depth)."""

from __future__ import annotations

from hazelnut import backlog
from hazelnut.broker import confirmed_publish
from hazelnut.celery import app
from hazelnut.queues import Queue

SAMPLE = "hazelnut.backlog.sample"


def _maintenance_total() -> int:
    return sum(row.messages for row in backlog.sample() if row.queue == Queue.MAINTENANCE)


def _publish(count: int) -> None:
    # Confirmed: on Kafka each publish returns once the broker has the message (a no-op on Redis,
    # whose publish is already synchronous), so a measurement right after must see them.
    with confirmed_publish():
        for _ in range(count):
            app.send_task(SAMPLE)


def test_published_messages_show_as_backlog_until_consumed() -> None:
    _publish(1)  # the queue's topic exists from here on, whatever ran before
    before = _maintenance_total()
    _publish(4)
    assert _maintenance_total() == before + 4


def test_the_sampling_task_is_registered_on_the_maintenance_queue() -> None:
    app.loader.import_default_modules()
    assert SAMPLE in app.tasks
    assert app.amqp.router.route({}, SAMPLE)["queue"].name == Queue.MAINTENANCE
