"""The edge's fast publish path: template copies that Celery workers run, confirmed or outboxed.

The in-memory Kafka cluster of tests/broker stands in for Kafka here, and kombu's memory
transport for the other brokers, so these run in every mode; the last test runs a worker on
the real Kafka broker (integration).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from kombu import Connection

from attribution.contracts import ATTRIBUTE_INSTALL
from hazelnut import broker
from hazelnut.broker import BrokerUnavailable, message_key, wire
from hazelnut.broker.clients import ConfluentClients
from hazelnut.broker.direct import DirectPublisher, direct_publisher
from hazelnut.broker.publisher import flush_all
from hazelnut.celery import app as platform_app
from ingest import publish
from ingest.models import OutboxMessage
from tests.broker.conftest import kafka_address
from tests.broker.fakekafka import FakeClients
from tests.ingest.conftest import Api

PREFIX = "tfast."
TASK_RECORD = "hztest.fast.record"
QUEUE = "work"
KWARGS = {"project_id": 7, "install_instance_id": "inst-7", "device_data": {"idfv": "v"}}


@pytest.fixture
def fake() -> Iterator[FakeClients]:
    clients = FakeClients()
    yield clients
    # Deliver what an outage left queued, so the process's exit flush finds nothing pending.
    clients.cluster.down = False
    flush_all(1.0)


@pytest.fixture
def connection(fake: FakeClients) -> Iterator[Connection]:
    options = {"clients": fake, "topic_prefix": PREFIX, "confirm_timeout_s": 0.3}
    kafka = Connection("kafka://fake:9092", transport_options=options)
    yield kafka
    kafka.release()


@pytest.fixture
def direct(connection: Connection) -> DirectPublisher:
    publisher = direct_publisher(connection)
    assert publisher is not None
    return publisher


def _record(fake: FakeClients, index: int) -> dict[str, Any]:
    record = fake.cluster.records(f"{PREFIX}attribution")[index]
    decoded = wire.decode(record.value(), record.headers())
    decoded["key"] = record.key()
    return decoded


def test_template_copy_is_the_message_send_task_writes(
    fake: FakeClients, connection: Connection, direct: DirectPublisher
) -> None:
    with connection.Producer() as producer:
        platform_app.send_task(
            ATTRIBUTE_INSTALL, kwargs=KWARGS, producer=producer, **message_key("7:inst-7")
        )
    template = publish.record_template(ATTRIBUTE_INSTALL)
    direct.publish(template.message(KWARGS, "7:inst-7"), template.queue)

    celery, ours = _record(fake, 0), _record(fake, 1)
    assert template.queue == "attribution"
    assert ours["key"] == celery["key"] == b"7:inst-7"
    assert ours["properties"].pop("correlation_id") == ours["headers"]["id"]
    assert celery["properties"].pop("correlation_id") == celery["headers"]["id"]
    assert ours["headers"]["root_id"] == ours["headers"].pop("id")
    assert celery["headers"]["root_id"] == celery["headers"].pop("id")
    for message in (ours, celery):
        message["headers"].pop("root_id")
        message["body"] = _body(message["body"])
        message.pop("key")
    assert ours == celery


def _body(raw: bytes | str | None) -> Any:
    assert raw is not None
    return json.loads(raw)


def test_each_copy_has_its_own_id_arguments_and_key() -> None:
    template = publish.record_template(ATTRIBUTE_INSTALL)

    first = template.message(KWARGS, "7:a")
    second = template.message({**KWARGS, "install_instance_id": "b"}, None)

    assert first["headers"]["id"] != second["headers"]["id"]
    assert first["properties"]["kafka_key"] == "7:a"
    assert "kafka_key" not in second["properties"]
    assert "'install_instance_id': 'b'" in second["headers"]["kwargsrepr"]
    assert _body(first["body"])[1] == KWARGS


def test_a_long_argument_repr_is_cut_like_celerys() -> None:
    template = publish.record_template(ATTRIBUTE_INSTALL)

    message = template.message({"device_data": {"pad": "x" * 5000}}, None)

    assert len(message["headers"]["kwargsrepr"]) == platform_app.amqp.kwargsrepr_maxsize
    assert message["headers"]["kwargsrepr"].endswith("...")


def test_a_template_refuses_a_delayed_task(direct: DirectPublisher) -> None:
    template = publish.record_template(ATTRIBUTE_INSTALL)
    message = template.message(KWARGS, None)
    message["headers"]["eta"] = "2030-01-01T00:00:00+00:00"

    with pytest.raises(ValueError, match="ETA"):
        direct.publish(message, template.queue)


@pytest.fixture
def own_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test apps use the broker they are given: Celery prefers CELERY_BROKER_URL to it."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)


def _worker_app(broker_url: str, prefix: str, out_dir: Path, **transport: Any) -> Celery:
    """A bare Celery app on `broker_url` whose one task leaves a file per number."""
    broker.register()
    worker_app = Celery("hztest-fast", broker=broker_url, fixups=[], set_as_current=False)
    worker_app.conf.update(
        broker_transport_options={"topic_prefix": prefix, "commit_interval_s": 0.0, **transport},
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )

    @worker_app.task(name=TASK_RECORD, shared=False)
    def record(number: int) -> None:
        with (out_dir / str(number)).open("a") as done:
            done.write("ran\n")

    return worker_app


@pytest.mark.usefixtures("own_broker")
def test_a_worker_runs_the_copies(fake: FakeClients, tmp_path: Path) -> None:
    worker_app = _worker_app("kafka://fake:9092", PREFIX, tmp_path, clients=fake, delay_relay=False)
    _publish_and_run(worker_app, tmp_path)


def _publish_and_run(worker_app: Celery, out_dir: Path) -> None:
    template = publish.record_template(TASK_RECORD, worker_app)
    direct = direct_publisher(worker_app.connection_for_write())
    assert direct is not None
    assert template.queue == QUEUE
    for number in range(3):
        direct.publish(template.message({"number": number}, f"n{number}"), template.queue)

    with start_worker(
        worker_app, pool="solo", perform_ping_check=False, queues=[QUEUE], loglevel="WARNING"
    ):
        deadline = time.monotonic() + 60
        while len(list(out_dir.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)

    assert sorted(path.name for path in out_dir.iterdir()) == ["0", "1", "2"]
    assert all(path.read_text().count("\n") == 1 for path in out_dir.iterdir())


def test_concurrent_confirmations_all_return_once_stored(
    fake: FakeClients, direct: DirectPublisher
) -> None:
    template = publish.record_template(ATTRIBUTE_INSTALL)
    errors: list[BrokerUnavailable] = []

    def confirm(number: int) -> None:
        try:
            direct.publish(template.message({"n": number}, None), template.queue)
        except BrokerUnavailable as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert errors == []
    stored = fake.cluster.records(f"{PREFIX}attribution")
    assert sorted(_body(record.value())[1]["n"] for record in stored) == list(range(40))


def test_an_unacknowledged_copy_raises_broker_unavailable(
    fake: FakeClients, direct: DirectPublisher
) -> None:
    template = publish.record_template(ATTRIBUTE_INSTALL)
    fake.cluster.down = True
    started = time.monotonic()

    with pytest.raises(BrokerUnavailable, match="did not acknowledge"):
        direct.publish(template.message(KWARGS, None), template.queue)

    assert 0.3 <= time.monotonic() - started < 2.0


@pytest.fixture
def kafka_fast_path(direct: DirectPublisher, monkeypatch: pytest.MonkeyPatch) -> publish.FastPath:
    fast = publish.FastPath(direct.publish)
    monkeypatch.setattr(publish, "fast_path", lambda: fast)
    return fast


BODY = {"platform": "ANDROID", "install_instance_id": "inst-f", "device_data": {"gaid": "g"}}


def test_init_goes_out_through_the_fast_path(
    api: Api, fake: FakeClients, kafka_fast_path: publish.FastPath
) -> None:
    response = api.sdk("init", BODY)

    assert response.status_code == 200
    (record,) = fake.cluster.records(f"{PREFIX}attribution")
    message = wire.decode(record.value(), record.headers())
    assert message["headers"]["task"] == ATTRIBUTE_INSTALL
    assert _body(message["body"])[1]["install_instance_id"] == "inst-f"
    assert record.key() == f"{api.project.pk}:inst-f".encode()
    assert OutboxMessage.objects.count() == 0


def test_kafka_down_parks_the_init_in_the_outbox(
    api: Api, fake: FakeClients, kafka_fast_path: publish.FastPath
) -> None:
    fake.cluster.down = True

    response = api.sdk("init", BODY)

    assert response.status_code == 200
    (parked,) = OutboxMessage.objects.all()
    assert parked.task_name == ATTRIBUTE_INSTALL
    assert parked.payload["install_instance_id"] == "inst-f"
    assert "did not acknowledge" in parked.last_error


def test_no_fast_path_while_something_listens_to_publishes(
    direct: DirectPublisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery import signals

    fast = publish.FastPath(direct.publish)
    monkeypatch.setattr(publish, "_fast_path", fast)
    monkeypatch.setattr(publish, "_fast_path_pid", os.getpid())

    def listener(**_: Any) -> None:
        return None

    assert publish.fast_path() is fast
    signals.before_task_publish.connect(listener)
    try:
        assert publish.fast_path() is None
    finally:
        signals.before_task_publish.disconnect(listener)


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.usefixtures("own_broker")
def test_a_worker_runs_the_copies_over_kafka(tmp_path: Path) -> None:
    address = kafka_address()
    if not ConfluentClients().reachable(address, timeout=10.0):
        pytest.fail(f"Kafka is not reachable at {address}", pytrace=False)
    prefix = f"tfast{time.time_ns()}."
    worker_app = _worker_app(f"kafka://{address}", prefix, tmp_path)
    try:
        _publish_and_run(worker_app, tmp_path)
    finally:
        worker_app.close()


@pytest.fixture
def memory_app(
    own_broker: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Celery]:
    """The platform's routing on kombu's memory transport, as the app the edge publishes with."""
    memory = _worker_app("memory://", "", tmp_path)
    memory.conf.task_routes = platform_app.conf.task_routes
    monkeypatch.setattr(publish, "app", memory)
    # This process's fast path is built for the app it first sees; the test's must not stay.
    monkeypatch.setattr(publish, "_fast_path", None)
    monkeypatch.setattr(publish, "_fast_path_pid", 0)
    with memory.connection_for_write() as connection:
        for queue in ("attribution", QUEUE):
            connection.SimpleQueue(queue).clear()
    yield memory
    memory.close()


def _take(celery: Celery, queue: str, count: int) -> list[dict[str, Any]]:
    taken = []
    with celery.connection_for_read() as connection, connection.SimpleQueue(queue) as simple:
        for _ in range(count):
            message = simple.get(timeout=5)
            taken.append(
                {
                    "body": message.decode(),
                    "headers": message.headers,
                    "properties": {
                        key: value
                        for key, value in message.properties.items()
                        if key not in ("delivery_info", "delivery_tag", "body_encoding")
                    },
                }
            )
            message.ack()
    return taken


def test_other_brokers_get_the_message_send_task_writes(memory_app: Celery) -> None:
    memory_app.send_task(ATTRIBUTE_INSTALL, kwargs=KWARGS, retry=False, **message_key("7:i"))
    template = publish.record_template(ATTRIBUTE_INSTALL)
    publish._publish_with_kombu(template.message(KWARGS, "7:i"), template.queue)

    celery, ours = _take(memory_app, "attribution", 2)
    for message in (celery, ours):
        task_id = message["headers"].pop("id")
        assert message["headers"].pop("root_id") == task_id
        assert message["properties"].pop("correlation_id") == task_id
    assert ours == celery
    assert ours["body"][1] == KWARGS


def test_a_worker_runs_the_copies_on_other_brokers(memory_app: Celery, tmp_path: Path) -> None:
    fast = publish.FastPath(publish._publish_with_kombu)
    for number in range(3):
        fast.send(TASK_RECORD, {"number": number}, None)

    with start_worker(
        memory_app, pool="solo", perform_ping_check=False, queues=[QUEUE], loglevel="WARNING"
    ):
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["0", "1", "2"]
