"""Fixtures for the Kafka transport tests: an in-memory cluster, and the real broker's address.

Real-broker tests are marked `integration` and FAIL (never skip) when Kafka is unreachable, with
the address they tried in the message. The address comes from CELERY_BROKER_URL when that is a
kafka:// URL, else 127.0.0.1:9092. Each test gets its own topic prefix, so runs never share
topics or consumer groups.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from kombu import Connection

from hazelnut import broker
from hazelnut.broker.clients import ConfluentClients
from tests.broker.fakekafka import FakeClients

ConnectionFactory = Callable[..., Connection]


def kafka_address() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("kafka://"):
        parts = urlsplit(url)
        return f"{parts.hostname or '127.0.0.1'}:{parts.port or 9092}"
    return "127.0.0.1:9092"


@pytest.fixture(autouse=True, scope="session")
def _register_kafka_scheme() -> None:
    broker.register()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def fake() -> FakeClients:
    return FakeClients()


def _factory(
    clients: Any, bootstrap: str, prefix: str, opened: list[Connection]
) -> ConnectionFactory:
    def connect(**options: Any) -> Connection:
        transport_options = {
            "clients": clients,
            "topic_prefix": prefix,
            "default_partitions": 3,
            "commit_interval_s": 0.0,
            "delay_relay": False,
            "connect_timeout_s": 5.0,
            **options,
        }
        connection = Connection(f"kafka://{bootstrap}", transport_options=transport_options)
        connection.connect()
        opened.append(connection)
        return connection

    return connect


@pytest.fixture
def fake_connect(fake: FakeClients, prefix: str) -> Iterator[ConnectionFactory]:
    opened: list[Connection] = []
    yield _factory(fake, "fake:9092", prefix, opened)
    for connection in opened:
        connection.release()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The real broker's address; fails the test loudly when Kafka does not answer."""
    address = kafka_address()
    if not ConfluentClients().reachable(address, timeout=10.0):
        pytest.fail(
            f"Kafka is not reachable at {address} (start it with `scripts/services.sh start "
            "kafka`, or point CELERY_BROKER_URL at a kafka:// broker)",
            pytrace=False,
        )
    return address


@pytest.fixture
def kafka_connect(kafka_bootstrap: str, prefix: str) -> Iterator[ConnectionFactory]:
    from hazelnut.broker.transport import DEFAULT_CLIENTS

    opened: list[Connection] = []
    yield _factory(DEFAULT_CLIENTS, kafka_bootstrap, prefix, opened)
    for connection in opened:
        connection.release()
