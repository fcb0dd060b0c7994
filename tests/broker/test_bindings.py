"""Binding matching for exchange topics (direct, fanout and AMQP topic patterns)."""

from __future__ import annotations

import pytest

from hazelnut.broker.bindings import Binding, BindingIndex, topic_matches
from hazelnut.broker.naming import Names, sanitize


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "task.succeeded", True),
        ("#", "", True),
        ("task.#", "task", True),
        ("task.#", "task.succeeded", True),
        ("task.#", "task.a.b", True),
        ("task.#", "worker.heartbeat", False),
        ("*.heartbeat", "worker.heartbeat", True),
        ("*.heartbeat", "worker.x.heartbeat", False),
        ("*", "task", True),
        ("*", "task.succeeded", False),
        ("#.failed", "task.failed", True),
        ("#.failed", "failed", True),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.#.z", "a.b.c", False),
        ("task.succeeded", "task.succeeded", True),
    ],
)
def test_topic_patterns(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def test_index_routes_by_exchange_type() -> None:
    index = BindingIndex()
    index.bind(Binding("events.1", "celeryev", "topic", "task.#"))
    index.bind(Binding("events.2", "celeryev", "topic", "#"))
    index.bind(Binding("node1.pidbox", "celery.pidbox", "fanout", ""))
    index.bind(Binding("oid1.reply", "reply.celery.pidbox", "direct", "oid1"))

    assert index.queues_for("celeryev", "task.started") == {"events.1", "events.2"}
    assert index.queues_for("celeryev", "worker.heartbeat") == {"events.2"}
    assert index.queues_for("celery.pidbox", "anything") == {"node1.pidbox"}
    assert index.queues_for("reply.celery.pidbox", "oid1") == {"oid1.reply"}
    assert index.queues_for("reply.celery.pidbox", "oid2") == set()
    assert index.exchanges_of("events.1") == {"celeryev"}


def test_unbinding_a_queue_removes_all_its_bindings() -> None:
    index = BindingIndex()
    assert index.bind(Binding("q", "x", "direct", "a")) is True
    assert index.bind(Binding("q", "x", "direct", "a")) is False
    index.bind(Binding("q", "y", "fanout", ""))
    assert len(index.unbind_queue("q")) == 2
    assert index.queues_for("y", "") == set()


def test_names_keep_queues_and_exchanges_apart() -> None:
    names = Names("run1.")
    assert names.queue("celery") == "run1.celery"
    assert names.exchange("celery") == "run1.exchange.celery"
    assert names.retry("celery") == "run1.celery.retry"
    assert names.dead_letter("celery") == "run1.celery.dlq"
    assert names.delay(16) == "run1.delay.16s"
    assert sanitize("worker@host:1/x") == "worker_host_1_x"
    with pytest.raises(ValueError, match="249"):
        sanitize("x" * 300)
