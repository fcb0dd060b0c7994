"""The transport against the real Kafka 4.4 broker: crash recovery, routing, retries, delays."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer
from kombu import Connection, Exchange

from hazelnut.broker import BrokerUnavailable, confirmed_publish, wire
from tests.broker.conftest import ConnectionFactory
from tests.broker.helpers import (
    Received,
    broadcast_queue,
    drain_for,
    drain_until,
    publish,
    start_consumer,
    work_queue,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _numbers(received: Received) -> set[int]:
    return {body["n"] for body, _ in received}


def _read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 15.0) -> list[Any]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < expected and time.monotonic() < deadline:
        records.extend(r for r in consumer.consume(100, 0.5) if r.error() is None)
    consumer.close()
    return records


def test_out_of_order_acks_then_kill_and_restart_lose_nothing(
    kafka_bootstrap: str, kafka_connect: ConnectionFactory, prefix: str
) -> None:
    count = 60
    publish(kafka_connect(), work_queue("work"), [{"n": n} for n in range(count)])

    crashed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.broker.crashing_consumer",
            kafka_bootstrap,
            prefix,
            str(count),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    acked = set(json.loads(crashed.stdout.strip().splitlines()[-1]))
    assert 0 < len(acked) < count

    restarted = kafka_connect(session_timeout_ms=6000)
    again: Received = []
    start_consumer(restarted, [work_queue("work")], again, on_message=lambda _b, m: m.ack())
    unacked = set(range(count)) - acked
    drain_until([restarted], lambda: _numbers(again) >= unacked, timeout=60)

    assert unacked <= _numbers(again), "every unacknowledged message comes back"
    assert acked | _numbers(again) == set(range(count)), "none is lost"


def test_fanout_topic_and_direct_exchanges_work_across_connections(
    kafka_connect: ConnectionFactory,
) -> None:
    pidbox = Exchange("celery.pidbox", type="fanout", durable=False)
    events = Exchange("celeryev", type="topic", durable=False)
    replies = Exchange("reply.celery.pidbox", type="direct", durable=False)
    worker_a, worker_b, monitor, client = (kafka_connect() for _ in range(4))

    got_a: Received = []
    got_b: Received = []
    got_events: Received = []
    got_reply: Received = []
    start_consumer(worker_a, [broadcast_queue("a.pidbox", pidbox)], got_a, no_ack=True)
    start_consumer(worker_b, [broadcast_queue("b.pidbox", pidbox)], got_b, no_ack=True)
    start_consumer(monitor, [broadcast_queue("ev.x", events, "task.#")], got_events, no_ack=True)
    start_consumer(client, [broadcast_queue("oid.reply", replies, "oid")], got_reply, no_ack=True)

    with client.Producer() as producer:
        producer.publish({"n": 1}, exchange=pidbox, declare=[pidbox])
    with worker_a.Producer() as producer:
        producer.publish({"n": 2}, exchange=events, routing_key="task.succeeded")
        producer.publish({"n": 3}, exchange=events, routing_key="worker.heartbeat")
        producer.publish({"n": 4}, exchange=replies, routing_key="oid")
        producer.publish({"n": 5}, exchange=replies, routing_key="someone-else")
    everyone = [worker_a, worker_b, monitor, client]
    drain_until(
        everyone, lambda: len(got_a) == len(got_b) == len(got_events) == len(got_reply) == 1
    )
    drain_for(everyone, 0.3)

    assert _numbers(got_a) == _numbers(got_b) == {1}
    assert _numbers(got_events) == {2}
    assert _numbers(got_reply) == {4}


def test_requeue_retries_then_dead_letters(
    kafka_bootstrap: str, kafka_connect: ConnectionFactory, prefix: str
) -> None:
    worker = kafka_connect(max_deliveries=2)
    publish(worker, work_queue("work"), [{"n": 1}, {"n": 2}])
    received: Received = []

    def settle(body: Any, message: Any) -> None:
        if body["n"] == 1:
            message.requeue()
        else:
            message.reject()

    start_consumer(worker, [work_queue("work")], received, on_message=settle)
    drain_until([worker], lambda: len(received) == 3)
    drain_for([worker], 0.5)

    assert sorted(_numbers(received)) == [1, 2]
    assert [m.delivery_info["redelivered"] for b, m in received if b["n"] == 1] == [False, True]
    dead = _read_topic(kafka_bootstrap, f"{prefix}work.dlq", expected=2)
    reasons = {wire.header(r.headers(), wire.REASON) for r in dead}
    assert reasons == {b"rejected", b"delivery-limit"}


def test_countdown_task_waits_in_a_delay_topic(
    kafka_bootstrap: str, kafka_connect: ConnectionFactory, prefix: str
) -> None:
    worker = kafka_connect(delay_relay=True, delay_tiers_s=[1, 4], delay_threshold_s=0.5)
    eta = datetime.now(UTC) + timedelta(seconds=1.5)
    sent = time.monotonic()
    publish(worker, work_queue("work"), [{"n": 9}], headers={"eta": eta.isoformat()})

    received: Received = []
    start_consumer(worker, [work_queue("work")], received, on_message=lambda _b, m: m.ack())
    drain_until([worker], lambda: len(received) == 1, timeout=30)

    assert time.monotonic() - sent >= 1.0
    [delayed] = _read_topic(kafka_bootstrap, f"{prefix}delay.1s", expected=1)
    assert wire.header(delayed.headers(), wire.TARGET) == f"{prefix}work".encode()


def test_confirmed_publish_acknowledged_or_broker_unavailable(
    kafka_bootstrap: str, kafka_connect: ConnectionFactory, prefix: str
) -> None:
    client = kafka_connect()
    with confirmed_publish(timeout=10):
        publish(client, work_queue("web"), [{"n": 1}])
    # Confirmed means stored: a fresh reader sees it without any flush from us.
    assert len(_read_topic(kafka_bootstrap, f"{prefix}web", expected=1)) == 1

    dead = Connection(
        "kafka://127.0.0.1:1", transport_options={"connect_timeout_s": 0.5}, connect_timeout=1
    )
    try:
        with pytest.raises(BrokerUnavailable), confirmed_publish(timeout=1):
            dead.ensure_connection(max_retries=1)
    finally:
        dead.release()  # or its producer keeps redialling port 1 for the rest of the run


def test_back_pressure_pause_and_resume_lose_and_repeat_nothing(
    kafka_connect: ConnectionFactory,
) -> None:
    count = 300
    worker = kafka_connect(default_partitions=3, buffer_max=8, fetch_batch=4)
    publish(worker, work_queue("work"), [{"n": n} for n in range(count)])
    received: Received = []
    start_consumer(
        worker, [work_queue("work")], received, prefetch=1, on_message=lambda _b, m: m.ack()
    )
    drain_until([worker], lambda: len(received) >= count, timeout=60)
    drain_for([worker], 0.5)

    numbers = [body["n"] for body, _ in received]
    assert sorted(numbers) == list(range(count)), "each message exactly once"
    by_partition: dict[int, list[int]] = {}
    for body, message in received:
        by_partition.setdefault(message.delivery_info["kafka_partition"], []).append(body["n"])
    assert all(values == sorted(values) for values in by_partition.values())
