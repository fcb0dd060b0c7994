"""flush_all and the ways acknowledgers call it: hooks, the task wrapper, Celery signals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import signals

from hazelnut.warehouse import Warehouse, flush_after, flush_all, hooks, register_flusher


@pytest.fixture
def isolated_flushers() -> Iterator[dict[str, hooks.Flusher]]:
    saved = dict(hooks._flushers)
    hooks._flushers.clear()
    yield hooks._flushers
    hooks._flushers.clear()
    hooks._flushers.update(saved)


def test_flush_all_runs_every_flusher_then_raises_the_first_failure(
    isolated_flushers: dict[str, hooks.Flusher],
) -> None:
    calls: list[str] = []

    def broken() -> int:
        calls.append("broken")
        raise ConnectionError("down")

    def fine() -> int:
        calls.append("fine")
        return 3

    register_flusher("broken", broken)
    register_flusher("fine", fine)

    with pytest.raises(ConnectionError, match="down"):
        flush_all()
    assert calls == ["broken", "fine"]


def test_flush_all_sums_rows_written(isolated_flushers: dict[str, hooks.Flusher]) -> None:
    register_flusher("a", lambda: 2)
    register_flusher("b", lambda: 5)
    register_flusher("a", lambda: 1)  # a name registered again replaces the old flusher

    assert flush_all() == 6


def test_flush_after_returns_only_once_rows_are_written(warehouse: Warehouse) -> None:
    @flush_after
    def handler(click_id: str) -> str:
        warehouse.write("clicks", [{"project_id": 7, "click_id": click_id}])
        return "done"

    assert handler("c9") == "done"
    assert warehouse.pending() == 0
    assert [row["click_id"] for row in warehouse.select("clicks", 7)] == ["c9"]


def test_flush_after_fails_the_call_when_the_flush_fails(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(table: str, rows: object) -> None:
        raise ValueError("disk full")

    monkeypatch.setattr(warehouse, "insert", refuse)

    @flush_after
    def handler() -> None:
        warehouse.write("clicks", [{"project_id": 7, "click_id": "c1"}])

    with pytest.raises(ValueError, match="disk full"):
        handler()
    assert warehouse.pending() == 1


def test_celery_signals_flush_after_each_task(warehouse: Warehouse) -> None:
    hooks.connect_celery_signals()
    try:
        warehouse.write("clicks", [{"project_id": 7, "click_id": "c1"}])
        signals.task_postrun.send(sender=None, task_id="t1", task=None)
        assert warehouse.pending() == 0
        warehouse.write("clicks", [{"project_id": 7, "click_id": "c2"}])
        signals.worker_process_shutdown.send(sender=None, pid=1, exitcode=0)
        assert warehouse.pending() == 0
    finally:
        signals.task_postrun.disconnect(dispatch_uid="warehouse.flush")
        signals.worker_process_shutdown.disconnect(dispatch_uid="warehouse.flush.shutdown")

    assert sorted(row["click_id"] for row in warehouse.select("clicks", 7)) == ["c1", "c2"]
