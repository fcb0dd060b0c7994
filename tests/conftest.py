"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections

from attribution.models import Project
from hazelnut import embedded


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the embedded Redis this run started, so no daemon outlives the tests."""
    for state_dir in list(embedded.started_here):
        embedded.stop(state_dir)
