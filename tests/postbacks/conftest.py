"""Fixtures for postback tests: an attributed install with its click and network accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from django.utils import timezone

from attribution.models import AdNetwork, App, Campaign, Click, Install, NetworkAccount, Project
from hazelnut.http import CircuitBreaker, HttpClient
from postbacks import throttle


@pytest.fixture(autouse=True)
def _allow_loopback(settings: Any) -> None:
    settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = True


@pytest.fixture(autouse=True)
def _clean_throttle() -> None:
    client = throttle.connection()
    for key in client.scan_iter("hz:pb:*"):
        client.delete(key)
    return


@pytest.fixture
def http() -> HttpClient:
    return HttpClient(
        timeout_seconds=2.0, connect_timeout_seconds=1.0, breaker=CircuitBreaker(threshold=1000)
    )


def network(
    code: str, kind: str = AdNetwork.Kind.SELF_ATTRIBUTING, template: str = ""
) -> AdNetwork:
    row, _ = AdNetwork.objects.get_or_create(
        code=code, defaults={"name": code.title(), "kind": kind, "postback_url_template": template}
    )
    return row


@pytest.fixture
def make_install(project: Project) -> Callable[..., Install]:
    def make(
        code: str = "META",
        instance: str = "inst-1",
        click_ids: dict[str, str] | None = None,
        platform: str = "IOS",
        attributed: bool = True,
        **fields: Any,
    ) -> Install:
        now = timezone.now()
        App.objects.get_or_create(
            project=project,
            platform=platform if platform in ("IOS", "ANDROID") else "IOS",
            bundle_id="com.example.app",
            defaults={"name": "Example", "store_id": "1234567" if platform == "IOS" else ""},
        )
        campaign = Campaign.objects.create(
            project=project,
            display_id=f"cmp-{instance}",
            name="Spring sale",
            network=network(code),
            ad_network_campaign_id="2384",
        )
        click = Click.objects.create(
            project=project,
            campaign=campaign,
            click_id=f"clk-{instance}",
            clicked_at=now - dt.timedelta(minutes=5),
            ad_click_ids=click_ids or {},
            utm={"utm_source": code.lower()},
            url="https://link.example.test/c/x",
        )
        defaults: dict[str, Any] = {
            "project": project,
            "install_instance_id": instance,
            "platform": platform,
            "app_version": "2.3.0",
            "idfv": "c12b0000-0000-4000-8000-000000000012" if platform == "IOS" else "",
            "gaid": "" if platform == "IOS" else "38400000-8cf0-11bd-b23e-10b96e40000d",
            "ip": "203.0.113.12",
            "user_agent": "Linkrunner-iOS/2.3.0 (iPhone15,2; iOS 17.4; Build/1)",
            "device_data": {"system_version": "17.4", "device": "iPhone15,2", "locale": "en-US"},
            "status": Install.Status.ATTRIBUTED if attributed else Install.Status.PENDING,
            "attribution_type": "INORGANIC",
            "campaign": campaign,
            "network_code": code,
            "click": click,
            "installed_at": now - dt.timedelta(minutes=1),
            "attributed_at": now if attributed else None,
            "last_seen_at": now,
        }
        defaults.update(fields)
        return Install.objects.create(**defaults)

    return make


@pytest.fixture
def account(project: Project) -> Callable[..., NetworkAccount]:
    def make(code: str, endpoint: str, **credentials: Any) -> NetworkAccount:
        return NetworkAccount.objects.create(
            project=project,
            network=network(code),
            account_id=f"acct-{code}",
            credentials=cast(Any, {"endpoint": endpoint, **credentials}),
        )

    return make


@pytest.fixture
def run_tasks(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Run every published task in-process as a worker would; returns the publication log.

    After-commit callbacks run at once: the test database never commits, and each task reads
    through the same connection, so it sees what the publisher wrote.
    """
    from django.db import transaction

    import analytics.tasks  # noqa: F401
    import postbacks.tasks  # noqa: F401
    from hazelnut.celery import app

    published: list[tuple[str, dict[str, Any]]] = []
    # The batched sender works from its own database thread, which cannot see the rows of a
    # test transaction; tests of the batcher itself use transactional databases.
    settings.HAZELNUT_POSTBACK_BATCHING = False

    def send_task(name: str, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        published.append((name, dict(kwargs or {})))
        app.tasks[name].apply(kwargs=kwargs or {}, throw=True)

    monkeypatch.setattr(app, "send_task", send_task)
    # The edge's fast path writes to the broker itself; here every publish goes through send_task.
    monkeypatch.setattr("ingest.publish.fast_path", lambda: None)
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield published
    app.conf.task_always_eager = eager


class FakeWarehouse:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def write(self, table: str, rows: list[dict[str, Any]]) -> None:
        from hazelnut.warehouse.rows import normalize, table_named

        normalize(table_named(table), rows)  # the real column check: unknown columns raise
        self.rows.setdefault(table, []).extend(rows)

    def flush(self) -> int:
        return 0  # rows land at once; nothing is ever buffered

    def close(self) -> None:
        return


@pytest.fixture(autouse=True)
def warehouse(monkeypatch: pytest.MonkeyPatch) -> FakeWarehouse:
    """Warehouse writes land here, checked against the real table definitions.

    The fake replaces the shared instance, not `get_warehouse` itself: modules that import the
    function by name (the reports) may be first imported during one of these tests, and would
    otherwise keep the fake for the rest of the run.
    """
    import hazelnut.warehouse

    fake = FakeWarehouse()
    monkeypatch.setattr(hazelnut.warehouse, "_warehouse", fake)
    return fake
