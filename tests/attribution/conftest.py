"""Fixtures for the attribution engine: a private Redis database for the click store, a
warehouse writer that keeps rows in memory, and a broker stand-in that records published tasks
and runs the attribution app's own follow-up tasks in-process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import redis
from django.conf import settings

from attribution import clickstore, sink
from attribution.models import AdNetwork, Campaign, Project
from hazelnut.celery import app
from hazelnut.config import with_redis_db

# Engineers sharing one Redis server each pick their own database, or one test run's flush
# empties another's click store mid-test.
CLICK_STORE_DB = int(os.environ.get("HAZELNUT_TEST_CLICK_STORE_DB", "9"))


@pytest.fixture(autouse=True)
def click_store() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(with_redis_db(settings.REDIS_URL, CLICK_STORE_DB))
    connection.flushdb()
    clickstore._connection = connection
    yield connection
    connection.flushdb()
    clickstore._connection = None


@pytest.fixture(autouse=True)
def warehouse_rows() -> Iterator[dict[str, list[dict[str, Any]]]]:
    rows: dict[str, list[dict[str, Any]]] = {}

    def keep(table: str, batch: Any) -> None:
        rows.setdefault(table, []).extend(dict(row) for row in batch)

    with sink.use_writer(keep):
        yield rows


@pytest.fixture(autouse=True)
def fast_apple_retries(settings: Any) -> None:
    settings.HAZELNUT_APPLE_RETRY_SECONDS = 0


@dataclass
class Sent:
    tasks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for task_name, kwargs in self.tasks if task_name == name]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any) -> Sent:
    """Published tasks are recorded; attribution's own tasks run at once, in-process, and every
    on_commit callback runs as if the transaction had committed."""
    record = Sent()

    def send_task(name: str, args: Any = None, kwargs: Any = None, **_: Any) -> None:
        record.tasks.append((name, dict(kwargs or {})))
        if name.startswith("attribution."):
            app.tasks[name].apply(kwargs=kwargs).get()

    monkeypatch.setattr(app, "send_task", send_task)
    # The edge's fast path writes to the broker itself; here every publish goes through send_task.
    monkeypatch.setattr("ingest.publish.fast_path", lambda: None)
    return record


@pytest.fixture
def run(sent: Sent) -> Callable[[str, dict[str, Any]], None]:
    """Run a task by name in-process, with on_commit callbacks executed."""
    import attribution.tasks  # noqa: F401  (registers the tasks)

    def call(name: str, kwargs: dict[str, Any]) -> None:
        app.tasks[name].apply(kwargs=kwargs).get()

    return call


def iso(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()


@pytest.fixture
def make_campaign(project: Project) -> Callable[..., Campaign]:
    def build(
        display_id: str, network: str | None = None, network_campaign_id: str = ""
    ) -> Campaign:
        ad_network = None
        if network:
            ad_network, _ = AdNetwork.objects.get_or_create(
                code=network, defaults={"name": network}
            )
        return Campaign.objects.create(
            project=project,
            display_id=display_id,
            name=display_id,
            network=ad_network,
            ad_network_campaign_id=network_campaign_id,
        )

    return build


def click_message(
    project: Project,
    click_id: str,
    *,
    at: str,
    url: str = "https://go.example.test/c/x",
    ip: str | None = None,
    user_agent: str = "",
    params: dict[str, str] | None = None,
    campaign: Campaign | None = None,
) -> dict[str, Any]:
    return {
        "project_id": project.pk,
        "campaign_id": campaign.pk if campaign else None,
        "click_id": click_id,
        "clicked_at": iso(at),
        "ip": ip,
        "user_agent": user_agent,
        "url": url,
        "host": "go.example.test",
        "params": params or {},
    }


def install_message(
    project: Project,
    install_instance_id: str,
    *,
    at: str,
    platform: str = "ANDROID",
    device_data: dict[str, Any] | None = None,
    ip: str | None = None,
    user_agent: str = "",
) -> dict[str, Any]:
    return {
        "project_id": project.pk,
        "install_instance_id": install_instance_id,
        "platform": platform,
        "app_version": "1.0.0",
        "package_version": "3.0.0",
        "device_data": device_data or {},
        "ip": ip,
        "user_agent": user_agent,
        "received_at": iso(at),
    }
