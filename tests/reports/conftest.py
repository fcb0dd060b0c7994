"""Fixtures for the reporting tests: a warehouse per backend and a simulated month in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from pytest_django import Settings

from attribution.models import Project
from hazelnut.warehouse import Warehouse
from tests.reports.month import Month, build
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
    settings.ROOT_URLCONF = "tests.reports.urls"
    yield from open_backend(warehouse_backend, settings)


@pytest.fixture
def month(project_with_key: tuple[Project, str], warehouse: Warehouse) -> Month:
    project, key = project_with_key
    return build(project, key, warehouse)


@pytest.fixture
def api(month: Month, settings: Settings) -> Client:
    # The contract's limits (1 report a minute) would stop a test after its first call;
    # test_rate_limits.py checks them with the real values.
    settings.HAZELNUT_RATE_LIMIT_REPORTING_PER_MINUTE = 10_000
    settings.HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND = 10_000
    settings.HAZELNUT_RATE_LIMIT_DATA_PER_SECOND = 10_000
    return Client(headers={"linkrunner-key": month.key})
