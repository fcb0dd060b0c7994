"""`ensure_topics` returns only once every partition of a new topic answers on its leader."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from hazelnut.broker.clients import ConfluentClients
from hazelnut.broker.options import TopicSpec


class LaggingAdmin:
    """A broker that knows the topic at once but loads partition 2's log only on the third ask."""

    def __init__(self, offline_rounds: int) -> None:
        self.offline_rounds = offline_rounds
        self.rounds = 0

    def create_topics(self, requests: list[Any], **_: Any) -> dict[str, Future[None]]:
        return {request.topic: _done(None) for request in requests}

    def list_topics(self, topic: str, timeout: float) -> Any:
        partitions = {p: object() for p in range(3)}
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions=partitions)})

    def list_offsets(
        self, probes: dict[Any, Any], request_timeout: float
    ) -> dict[Any, Future[Any]]:
        self.rounds += 1
        answers: dict[Any, Future[Any]] = {}
        for partition in probes:
            answer: Future[Any] = Future()
            if partition.partition == 2 and self.rounds <= self.offline_rounds:
                answer.set_exception(
                    KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION))
                )
            else:
                answer.set_result(SimpleNamespace(offset=0))
            answers[partition] = answer
        return answers


def _done(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def _clients(admin: LaggingAdmin) -> ConfluentClients:
    clients = ConfluentClients()
    clients._admins["lagging:9092"] = admin  # type: ignore[assignment]
    return clients


def test_ensure_topics_waits_until_every_partition_is_online() -> None:
    admin = LaggingAdmin(offline_rounds=2)
    _clients(admin).ensure_topics("lagging:9092", {"work": TopicSpec(3, None)}, 1, timeout=5)
    assert admin.rounds == 3


def test_ensure_topics_gives_up_with_the_topic_named() -> None:
    admin = LaggingAdmin(offline_rounds=10**6)
    with pytest.raises(KafkaException, match="topics not online: \\['work'\\]"):
        _clients(admin).ensure_topics("lagging:9092", {"work": TopicSpec(3, None)}, 1, timeout=0.3)
