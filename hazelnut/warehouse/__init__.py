"""The warehouse: where clicks, installs, events and deliveries go for reporting.

`get_warehouse()` returns this process's warehouse, chosen by `settings.WAREHOUSE_URL`:
`sql://default` keeps the tables in the Django database, `clickhouse://user:pass@host:9000/db`
uses ClickHouse over its native protocol. Writers call `.write(table, rows)`; rows are buffered,
and `flush_all()` makes everything buffered in this process durable. Whoever acknowledges work
(the Kafka transport before committing offsets, a task before it returns) calls `flush_all()`
first; see `hazelnut/warehouse/hooks.py`.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings

from hazelnut.warehouse.base import Warehouse
from hazelnut.warehouse.hooks import flush_after, flush_all, register_flusher
from hazelnut.warehouse.results import Breakdown, CampaignDay, EventCount, ReportFilter
from hazelnut.warehouse.rows import UnknownColumn, UnknownTable, WarehouseError

__all__ = [
    "Breakdown",
    "CampaignDay",
    "EventCount",
    "ReportFilter",
    "UnknownColumn",
    "UnknownTable",
    "Warehouse",
    "WarehouseError",
    "flush_after",
    "flush_all",
    "get_warehouse",
    "open_warehouse",
    "register_flusher",
    "reset_warehouse",
]

_lock = threading.Lock()
_warehouse: Warehouse | None = None


def open_warehouse(url: str, *, spool: bool | None = None) -> Warehouse:
    """A new warehouse for `url`; most code wants the shared `get_warehouse()` instead.

    With `spool` (default: settings.WAREHOUSE_SPOOL, with a Kafka broker), writes go through the
    Kafka spool to a `warehouse_sink` process; see `spool.py`.
    """
    flush_rows = int(settings.WAREHOUSE_FLUSH_ROWS)
    flush_seconds = float(settings.WAREHOUSE_FLUSH_SECONDS)
    if spool is None:
        spool = bool(getattr(settings, "WAREHOUSE_SPOOL", False))
    if spool:
        from hazelnut.warehouse.spool import SpoolWarehouse, bootstrap_servers, topic_name

        broker = str(settings.CELERY_BROKER_URL)
        if not broker.startswith("kafka://"):
            raise WarehouseError("WAREHOUSE_SPOOL needs a kafka:// CELERY_BROKER_URL")
        target = open_warehouse(url, spool=False)
        return SpoolWarehouse(
            target,
            bootstrap_servers(broker),
            topic=topic_name(),
            flush_rows=flush_rows,
            flush_seconds=flush_seconds,
        )
    if url.startswith("sql://"):
        from hazelnut.warehouse.sql import SqlWarehouse

        alias = url.removeprefix("sql://") or "default"
        return SqlWarehouse(alias=alias, flush_rows=flush_rows, flush_seconds=flush_seconds)
    if url.startswith(("clickhouse://", "clickhouses://")):
        from hazelnut.warehouse.clickhouse import ClickHouseWarehouse

        return ClickHouseWarehouse(url, flush_rows=flush_rows, flush_seconds=flush_seconds)
    raise WarehouseError("WAREHOUSE_URL must start with sql:// or clickhouse://")


def get_warehouse() -> Warehouse:
    global _warehouse
    with _lock:
        if _warehouse is None:
            _warehouse = open_warehouse(settings.WAREHOUSE_URL)
            register_flusher("warehouse", _flush_shared)
        return _warehouse


def reset_warehouse() -> None:
    """Drop the shared warehouse (tests, and forked children, which must not share sockets)."""
    global _warehouse
    with _lock:
        if _warehouse is not None:
            _warehouse.close()
        _warehouse = None


def _flush_shared() -> int:
    return _warehouse.flush() if _warehouse is not None else 0


def _forget_after_fork() -> None:
    # Buffered rows belong to the parent; a Celery prefork child starts empty, with its own socket.
    global _warehouse, _lock
    _lock = threading.Lock()
    _warehouse = None


os.register_at_fork(after_in_child=_forget_after_fork)
