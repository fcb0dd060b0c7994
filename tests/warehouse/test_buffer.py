"""The batch writer on its own: size and age triggers, failures, order, with a fake clock."""

from __future__ import annotations

import pytest

from hazelnut.warehouse.buffer import BatchWriter
from hazelnut.warehouse.rows import Row


class Sink:
    def __init__(self) -> None:
        self.inserts: list[tuple[str, list[Row]]] = []
        self.fail_next = 0

    def __call__(self, table: str, rows: list[Row]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("down")
        self.inserts.append((table, list(rows)))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def writer(sink: Sink, clock: Clock) -> BatchWriter:
    return BatchWriter(sink, flush_rows=3, flush_seconds=1.0, background=False, clock=clock)


def test_size_triggers_one_insert_per_table(writer: BatchWriter, sink: Sink) -> None:
    writer.add("a", [(1,), (2,)])
    writer.add("b", [(9,)])
    assert sink.inserts == []

    writer.add("a", [(3,)])

    assert sink.inserts == [("a", [(1,), (2,), (3,)])]
    assert (writer.pending("a"), writer.pending("b")) == (0, 1)


def test_age_triggers_on_the_next_write(writer: BatchWriter, sink: Sink, clock: Clock) -> None:
    writer.add("a", [(1,)])
    clock.now += 0.9
    writer.add("a", [(2,)])
    assert sink.inserts == []

    clock.now += 0.2
    writer.add("b", [(5,)])  # another table ages on its own
    writer.add("a", [(4,)])

    assert sink.inserts == [("a", [(1,), (2,), (4,)])]


def test_failed_insert_keeps_rows_in_order_for_the_next_flush(
    writer: BatchWriter, sink: Sink
) -> None:
    writer.add("a", [(1,)])
    sink.fail_next = 1

    with pytest.raises(ConnectionError):
        writer.flush()
    writer.add("a", [(2,)])
    assert writer.flush() == 2

    assert sink.inserts == [("a", [(1,), (2,)])]
    assert writer.inserts == 1


def test_flush_with_nothing_buffered_inserts_nothing(writer: BatchWriter, sink: Sink) -> None:
    assert writer.flush() == 0
    assert sink.inserts == []
