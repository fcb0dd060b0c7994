"""The Kafka spool: rows cross Kafka unchanged, reach the warehouse, and offsets are committed
only after the insert, so a failed insert redelivers instead of losing rows."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from confluent_kafka.admin import AdminClient

from hazelnut.warehouse import Warehouse
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
