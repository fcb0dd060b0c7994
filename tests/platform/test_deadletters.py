"""`manage.py deadletters`: list, inspect and replay dead letters the Kafka transport wrote.

The Kafka tests make real dead letters through the transport (a kombu consumer rejects and
over-requeues Celery task messages) on a topic prefix of their own, then drive the command.
They run whenever CELERY_BROKER_URL is set (always kafka:// in CI) and fail loudly if Kafka does
not answer; with CELERY_BROKER_URL unset (the embedded default) they are skipped with a reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from confluent_kafka import Consumer, KafkaException, TopicPartition
from django.core.management import CommandError, call_command
from kombu import Connection, Queue
from pytest_django import Settings

from hazelnut import broker
from hazelnut.broker import failures, wire
from hazelnut.broker.clients import ConfluentClients
from hazelnut.broker.publisher import flush_all
from hazelnut.celery import app as celery_app

QUEUE = "work"
CHARGE = "tests.deadletters.charge"
REFUND = "tests.deadletters.refund"

# Only an unset CELERY_BROKER_URL skips; any configured run (CI: kafka://) needs Kafka up.
kafka_configured = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="CELERY_BROKER_URL is unset (embedded Redis broker); dead letters need kafka://",
)


def _kafka_address() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("kafka://"):
        parts = urlsplit(url)
        return f"{parts.hostname or '127.0.0.1'}:{parts.port or 9092}"
    return "127.0.0.1:9092"


@pytest.fixture
def bootstrap() -> str:
    address = _kafka_address()
    if not ConfluentClients().reachable(address, timeout=10.0):
        pytest.fail(f"Kafka is not reachable at {address}", pytrace=False)
    return address


@pytest.fixture
def prefix() -> str:
    return f"dl{uuid.uuid4().hex[:10]}."


@pytest.fixture
def kafka_settings(settings: Settings, bootstrap: str, prefix: str) -> Iterator[Settings]:
    settings.CELERY_BROKER_URL = f"kafka://{bootstrap}"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"topic_prefix": prefix}
    yield settings
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(settings.REDIS_URL).delete(
            f"hazelnut:deadletters:replayed:{prefix}{QUEUE}.dlq"
        )


@pytest.fixture
def connection(bootstrap: str, prefix: str) -> Iterator[Connection]:
    broker.register()
    opened = Connection(
        f"kafka://{bootstrap}",
        transport_options={
            "topic_prefix": prefix,
            "default_partitions": 1,
            "commit_interval_s": 0.0,
            "delay_relay": False,
            "max_deliveries": 1,
        },
    )
    opened.connect()
    yield opened
    opened.release()


def _publish(connection: Connection, name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    task_id = str(uuid.uuid4())
    message = celery_app.amqp.as_task_v2(task_id, name, args=args, kwargs=kwargs)
    queue = Queue(QUEUE, routing_key=QUEUE)
    with connection.Producer() as producer:
        producer.publish(
            message.body,
            routing_key=QUEUE,
            declare=[queue],
            headers=message.headers,
            serializer="json",
            **message.properties,
        )
    return task_id


def _drain(connection: Connection, until: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "condition not reached in time"
        with contextlib.suppress(TimeoutError):
            connection.drain_events(timeout=0.1)


def _records(bootstrap: str, topic: str) -> list[Any]:
    """Every record of a one-partition topic, read without a group."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{uuid.uuid4().hex}"})
    try:
        try:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        except KafkaException:
            return []  # not created yet
        consumer.assign([TopicPartition(topic, 0, 0)])
        records: list[Any] = []
        deadline = time.monotonic() + 15
        while len(records) < high and time.monotonic() < deadline:
            records.extend(r for r in consumer.consume(100, 0.5) if r.error() is None)
        return records
    finally:
        consumer.close()


@pytest.fixture
def dead(connection: Connection, bootstrap: str, prefix: str) -> dict[str, str]:
    """Three dead letters: two rejected charges (one with its error), one refund over its limit."""
    ids = {
        "declined": _publish(connection, CHARGE, [], {"amount": 5, "currency": "EUR"}),
        "refund": _publish(connection, REFUND, [7], {}),
        "plain": _publish(connection, CHARGE, [], {"amount": 9, "currency": "USD"}),
    }
    received: list[Any] = []

    def settle(body: Any, message: Any) -> None:
        received.append(message)
        task_id = message.headers["id"]
        if task_id == ids["declined"]:
            failures.remember(task_id, ValueError("card declined"))
        if task_id == ids["refund"]:
            message.requeue()
        else:
            message.reject()

    consumer = connection.Consumer(
        [Queue(QUEUE, routing_key=QUEUE)], callbacks=[settle], prefetch_count=10
    )
    consumer.consume()
    _drain(connection, lambda: len(received) == 3)
    topic = f"{prefix}{QUEUE}.dlq"
    _drain(connection, lambda: flush_all(1.0) == 0 and len(_records(bootstrap, topic)) == 3)
    consumer.cancel()
    return ids


def _command(*args: str) -> str:
    out = StringIO()
    call_command("deadletters", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _rows(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    return [line.split("\t") for line in lines[1:-1]]


@pytest.mark.integration
@kafka_configured
@pytest.mark.usefixtures("kafka_settings")
def test_list_shows_each_dead_letter_with_its_reason(dead: dict[str, str]) -> None:
    rows = _rows(_command("list", "--queue", QUEUE))

    by_id = {row[3]: row for row in rows}
    assert set(by_id) == set(dead.values())
    declined, refund, plain = (by_id[dead[k]] for k in ("declined", "refund", "plain"))
    assert declined[:3] == [QUEUE, "0/0", CHARGE]
    assert declined[4:6] == ["rejected", "ValueError: card declined"]
    assert refund[2] == REFUND
    assert refund[4:6] == ["delivery-limit", "-"]
    assert plain[4:6] == ["rejected", "-"]
    assert len(_rows(_command("list", "--queue", QUEUE, "--limit", "1"))) == 1


@pytest.mark.integration
@kafka_configured
@pytest.mark.usefixtures("kafka_settings")
def test_inspect_decodes_the_task_and_the_dead_letter_headers(
    dead: dict[str, str], prefix: str
) -> None:
    shown = json.loads(_command("inspect", QUEUE, "0", "0"))

    assert shown["id"] == dead["declined"]
    assert shown["task"] == CHARGE
    assert shown["args"] == []
    assert shown["kwargs"] == {"amount": 5, "currency": "EUR"}
    assert shown["reason"] == "rejected"
    assert shown["error"] == "ValueError: card declined"
    assert shown["origin"] == f"{prefix}{QUEUE}/0/0"
    assert shown["topic"] == f"{prefix}{QUEUE}.dlq"
    assert shown["message_headers"]["task"] == CHARGE
    assert shown["record_headers"][wire.REASON] == "rejected"
    refund = json.loads(_command("inspect", QUEUE, "0", "1"))
    assert (refund["task"], refund["args"], refund["reason"]) == (REFUND, [7], "delivery-limit")
    with pytest.raises(CommandError, match="no dead letter"):
        _command("inspect", QUEUE, "0", "3")


@pytest.mark.integration
@kafka_configured
@pytest.mark.usefixtures("kafka_settings")
def test_replay_sends_each_dead_task_back_once(
    dead: dict[str, str], bootstrap: str, prefix: str
) -> None:
    work = f"{prefix}{QUEUE}"
    originals = {_task_id(r): r for r in _records(bootstrap, work)}
    assert len(originals) == 3

    nothing = _command("replay", "--queue", QUEUE, "--task", "tests.deadletters.nope*")
    assert nothing.startswith("replayed 0 of 3 dead letters")
    assert len(_records(bootstrap, work)) == 3

    one = _command("replay", "--queue", QUEUE, "--ids", dead["refund"])
    assert one.startswith("replayed 1 of 3 dead letters (0 replayed before")
    rest = _command("replay", "--queue", QUEUE, "--task", "tests.deadletters.*")
    assert rest.startswith("replayed 2 of 3 dead letters (1 replayed before")
    again = _command("replay", "--queue", QUEUE)
    assert again.startswith("replayed 0 of 3 dead letters (3 replayed before")

    records = _records(bootstrap, work)
    assert len(records) == 6
    replays = records[3:]
    assert [_task_id(r) for r in replays] == [dead["refund"], dead["declined"], dead["plain"]]
    for replayed in replays:
        original = originals[_task_id(replayed)]
        assert replayed.value() == original.value()
        assert wire.header(replayed.headers(), wire.ENVELOPE) == wire.header(
            original.headers(), wire.ENVELOPE
        )
        names = {name for name, _ in replayed.headers()}
        assert names.isdisjoint({wire.REASON, wire.ERROR, wire.ORIGIN, wire.DELIVERIES})


@pytest.mark.integration
@kafka_configured
@pytest.mark.usefixtures("kafka_settings")
def test_replayed_task_reaches_a_worker_as_a_first_delivery(
    dead: dict[str, str], connection: Connection
) -> None:
    _command("replay", "--queue", QUEUE, "--ids", dead["declined"])
    received: list[tuple[Any, Any]] = []

    def take(body: Any, message: Any) -> None:
        received.append((body, message))
        message.ack()

    consumer = connection.Consumer([Queue(QUEUE, routing_key=QUEUE)], callbacks=[take])
    consumer.consume()
    _drain(connection, lambda: len(received) == 1)

    body, message = received[0]
    assert message.headers["id"] == dead["declined"]
    assert message.headers["task"] == CHARGE
    assert body == [[], {"amount": 5, "currency": "EUR"}, body[2]]
    assert message.delivery_info["redelivered"] is False


def _task_id(record: Any) -> str:
    return str(wire.decode(record.value(), record.headers())["headers"]["id"])


def test_list_on_another_broker_explains_and_succeeds(settings: Settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    out = _command("list")
    assert "Kafka transport" in out
    assert "manage.py postbacks replay" in out


@pytest.mark.parametrize("action", [["replay"], ["inspect", QUEUE, "0", "0"]])
def test_replay_and_inspect_on_another_broker_fail(settings: Settings, action: list[str]) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    with pytest.raises(CommandError, match=r"Kafka transport.*postbacks replay"):
        _command(*action)
