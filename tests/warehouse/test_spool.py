"""The Kafka spool: rows cross Kafka unchanged, reach the warehouse, and offsets are committed
only after the insert, so a failed insert redelivers instead of losing rows."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient
from pytest_django import Settings

from attribution.management.commands.warehouse_sink import Command
from hazelnut.queues import TOPICS, Topic, broker_topic_options
from hazelnut.warehouse import Warehouse, open_warehouse
from hazelnut.warehouse.codec import decode, encode
from hazelnut.warehouse.rows import normalize
from hazelnut.warehouse.sink import Sink, consumer_for, ensure_topic
from hazelnut.warehouse.spool import SpoolWarehouse
from hazelnut.warehouse.tables import USER_EVENTS

ROWS = [
    {"project_id": 7, "install_id": n, "campaign_id": 1, "kind": "payment", "event_key": f"p{n}",
     "amount": "1.25", "occurred_at": dt.datetime(2026, 6, 3, 9, n, tzinfo=dt.UTC)}
    for n in range(3)
]  # fmt: skip


def test_codec_round_trips_typed_rows() -> None:
    rows = normalize(USER_EVENTS, ROWS)

    table, decoded = decode(encode("user_events", rows))

    assert table == "user_events"
    assert [r[USER_EVENTS.column_names.index("amount")] for r in decoded] == [Decimal("1.2500")] * 3
    assert decoded[2][USER_EVENTS.column_names.index("occurred_at")] == ROWS[2]["occurred_at"]
    assert decoded[0][USER_EVENTS.column_names.index("installed_at")] == dt.datetime(
        1970, 1, 1, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("prefix", "topic"),
    [("", "hazelnut.warehouse.rows"), ("run7-", "run7-hazelnut.warehouse.rows")],
)
def test_the_spool_produces_to_the_registered_topic_under_the_prefix(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, prefix: str, topic: str
) -> None:
    producers: list[dict[str, object]] = []  # made, never connected: the test only reads names
    monkeypatch.setattr(confluent_kafka, "Producer", producers.append)
    settings.WAREHOUSE_URL = "sql://default"
    settings.CELERY_BROKER_URL = "kafka://kafka.test:9092"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"topic_prefix": prefix}

    spool = open_warehouse(settings.WAREHOUSE_URL, spool=True)

    assert isinstance(spool, SpoolWarehouse)
    assert spool.topic == topic
    assert [config["bootstrap.servers"] for config in producers] == ["kafka.test:9092"]


def test_the_sink_reads_the_spool_topic_in_its_own_group_under_the_prefix(
    settings: Settings,
) -> None:
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"topic_prefix": "run7-"}

    options = Command().create_parser("manage.py", "warehouse_sink").parse_args([])

    assert (options.topic, options.group) == (
        "run7-hazelnut.warehouse.rows",
        "run7-hazelnut-warehouse-sink",
    )


def test_the_spool_topic_is_registered_apart_from_the_celery_queues() -> None:
    spec = TOPICS[Topic.WAREHOUSE_ROWS]

    assert (spec.partitions, spec.retention_ms) == (6, 7 * 24 * 3_600_000)
    # The Kafka transport creates and consumes only the work topics; the sink owns this one.
    assert "hazelnut.warehouse.rows" not in broker_topic_options()["topics"]


@pytest.fixture
def topic(kafka_bootstrap: str) -> Iterator[str]:
    name = f"hazelnut.warehouse.rows.test-{uuid.uuid4().hex[:8]}"
    ensure_topic(kafka_bootstrap, name, partitions=1)
    yield name
    AdminClient({"bootstrap.servers": kafka_bootstrap}).delete_topics([name])


def _spool(warehouse: Warehouse, bootstrap: str, topic: str) -> SpoolWarehouse:
    return SpoolWarehouse(warehouse, bootstrap, topic=topic, flush_rows=100, flush_seconds=1)


def _committed(consumer: object) -> int:
    partitions = consumer.committed(consumer.assignment(), timeout=10)  # type: ignore[attr-defined]
    return sum(max(p.offset, 0) for p in partitions)


@pytest.mark.integration
def test_spooled_rows_reach_the_warehouse_then_offsets_commit(
    warehouse: Warehouse, kafka_bootstrap: str, topic: str
) -> None:
    spool = _spool(warehouse, kafka_bootstrap, topic)
    spool.write("user_events", ROWS)
    spool.flush()
    assert warehouse.select("user_events", 7) == []  # only in Kafka so far

    consumer = consumer_for(kafka_bootstrap, topic, group=f"g-{uuid.uuid4().hex[:8]}")
    try:
        stats = Sink(warehouse, consumer, flush_seconds=0.5).run(
            threading.Event(), idle_exit_seconds=30, stop_after_rows=3
        )
        assert (stats.messages, stats.rows) == (1, 3)
        assert _committed(consumer) == 1
    finally:
        consumer.close()
    assert sorted(r["event_key"] for r in warehouse.select("user_events", 7)) == ["p0", "p1", "p2"]


@pytest.mark.integration
def test_a_failed_insert_commits_nothing_and_the_rows_come_again(
    warehouse: Warehouse, kafka_bootstrap: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = _spool(warehouse, kafka_bootstrap, topic)
    spool.write("user_events", ROWS)
    spool.flush()
    group = f"g-{uuid.uuid4().hex[:8]}"
    real_insert = warehouse.insert

    def refuse(table: str, rows: object) -> None:
        raise ValueError("warehouse refused")

    monkeypatch.setattr(warehouse, "insert", refuse)
    first = consumer_for(kafka_bootstrap, topic, group=group)
    try:
        with pytest.raises(ValueError, match="refused"):
            Sink(warehouse, first, flush_seconds=0.2).run(threading.Event(), idle_exit_seconds=30)
        assert _committed(first) == 0
    finally:
        first.close()

    monkeypatch.setattr(warehouse, "insert", real_insert)
    second = consumer_for(kafka_bootstrap, topic, group=group)
    try:
        stats = Sink(warehouse, second, flush_seconds=0.2).run(
            threading.Event(), idle_exit_seconds=30, stop_after_rows=3
        )
    finally:
        second.close()
    assert stats.rows == 3  # redelivered from the last commit
    # The failed sink's kept rows and the redelivered ones: duplicates, counted once by reports.
    assert {r["event_key"] for r in warehouse.select("user_events", 7)} == {"p0", "p1", "p2"}
