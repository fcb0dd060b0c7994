"""The warehouse backends a contract test runs against, shared by tests/warehouse and tests/reports.

Each test taking `warehouse` runs once per backend: `sql` on the Django test database, and
`clickhouse` on a throwaway database of the server named by CLICKHOUSE_URL. When CLICKHOUSE_URL is
set, that server must answer: a test fails if it does not. When it is unset (a laptop without
services), the ClickHouse variants are deselected and the run says so; CI always sets it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from pytest_django import Settings

from hazelnut.warehouse import Warehouse, reset_warehouse

BACKENDS = ["sql", pytest.param("clickhouse", marks=pytest.mark.integration)]
DESELECT_REASON = (
    "CLICKHOUSE_URL (ClickHouse variants) or a kafka:// CELERY_BROKER_URL (spool tests) "
    "is not set: those tests deselected"
)


def clickhouse_url() -> str | None:
    return os.environ.get("CLICKHOUSE_URL") or None


def throwaway_clickhouse_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/hazelnut_test_{uuid.uuid4().hex[:12]}"))


def kafka_bootstrap() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url.split("://", 1)[1].split("/", 1)[0] if url.startswith("kafka://") else None


def _needs_missing_service(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("warehouse_backend") if callspec else None
    if backend == "clickhouse" and clickhouse_url() is None:
        return True
    return "kafka_bootstrap" in getattr(item, "fixturenames", ()) and kafka_bootstrap() is None


def deselect_clickhouse(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if _needs_missing_service(item) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        config.stash[_deselected_key] = len(dropped)


_deselected_key = pytest.StashKey[int]()


def report_deselected(terminalreporter: pytest.TerminalReporter) -> None:
    # Both suites' conftests call this; say it once.
    count = terminalreporter.config.stash.get(_deselected_key, 0)
    if count:
        terminalreporter.write_line(f"{DESELECT_REASON} ({count} tests)", yellow=True)
        terminalreporter.config.stash[_deselected_key] = 0


def open_backend(backend: str, settings: Settings) -> Iterator[Warehouse]:
    """Yield a migrated, empty warehouse and make it the shared one for the test."""
    if backend == "sql":
        url = "sql://default"
    else:
        base = clickhouse_url()
        assert base is not None
        url = throwaway_clickhouse_url(base)
    settings.WAREHOUSE_URL = url
    reset_warehouse()
    from hazelnut.warehouse import get_warehouse

    warehouse = get_warehouse()
    warehouse.migrate()
    try:
        yield warehouse
    finally:
        reset_warehouse()
        drop = getattr(warehouse, "drop_database", None)
        if drop is not None:
            drop()
