"""Fixtures for the warehouse contract suite: one `warehouse` per backend (see backends.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django import Settings

from hazelnut.warehouse import Warehouse
from tests.warehouse import backends
from tests.warehouse.backends import (
    BACKENDS,
    deselect_clickhouse,
    open_backend,
    report_deselected,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_clickhouse(config, items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report_deselected(terminalreporter)


@pytest.fixture(params=BACKENDS)
def warehouse_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def warehouse(warehouse_backend: str, db: None, settings: Settings) -> Iterator[Warehouse]:
    yield from open_backend(warehouse_backend, settings)


@pytest.fixture
def kafka_bootstrap() -> str:
    bootstrap = backends.kafka_bootstrap()
    assert bootstrap is not None  # deselected otherwise
    return bootstrap
