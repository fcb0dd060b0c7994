"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connections

from attribution.models import Project
from hazelnut import embedded
from hazelnut.settings.runtime import STATE_DIR


@pytest.fixture(scope="session", autouse=True)
def _release_test_database(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    """Close every connection to the test database before pytest-django drops it.

    The connection pool and the worker threads some tests start (the postbacks sender's
    database thread, the warehouse sink) keep connections open; PostgreSQL refuses to drop a
    database anyone is connected to. This fixture is set up after the database and so torn
    down before it.
    """
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        connection = connections["default"]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connections.close_all()


@pytest.fixture
def project_with_key(db: None) -> tuple[Project, str]:
    project, key = Project.new("Test project", website="https://example.test")
    project.save()
    return project, key


@pytest.fixture
def project(project_with_key: tuple[Project, str]) -> Project:
    return project_with_key[0]


_STATE_REDIS_WAS_UP = pytest.StashKey[bool]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STATE_REDIS_WAS_UP] = embedded.running(STATE_DIR)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the embedded Redis servers this run started, so no daemon outlives the tests: its
    own, and the one of its state directory that a command run by a test may have started."""
    for state_dir in list(embedded.started_here):
        embedded.stop(state_dir)
    if not session.config.stash.get(_STATE_REDIS_WAS_UP, True):
        embedded.stop(STATE_DIR)


_KAFKA_DESELECTED = pytest.StashKey[int]()


def _kafka_configured() -> bool:
    return os.environ.get("CELERY_BROKER_URL", "").startswith("kafka://")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a kafka:// CELERY_BROKER_URL (a laptop's embedded run), the tests that need a real
    Kafka are deselected and the run says so, as the ClickHouse ones are without CLICKHOUSE_URL.
    CI always names the broker (and sets CI): there they run, and fail loudly if Kafka is down."""
    if _kafka_configured() or os.environ.get("CI"):
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        needs_kafka = item.get_closest_marker("kafka") or "kafka_bootstrap" in getattr(
            item, "fixturenames", ()
        )
        (dropped if needs_kafka else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        config.stash[_KAFKA_DESELECTED] = len(dropped)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    count = terminalreporter.config.stash.get(_KAFKA_DESELECTED, 0)
    if count:
        terminalreporter.write_line(
            f"CELERY_BROKER_URL is not a kafka:// URL: {count} tests that need Kafka deselected",
            yellow=True,
        )
