"""The project dashboard: access rules through Django's client, and the page as Chromium sees it.

The browser test loads the page from a live server with the simulated June in the warehouse and
some postback deliveries, reads the rendered DOM and keeps a screenshot under artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from attribution.models import Project
from hazelnut.warehouse import Warehouse
from postbacks.models import Delivery
from tests.reports import browser
from tests.reports.month import Month, build

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
JUNE = "from=2026-06-01&to=2026-06-30"


def _deliveries(project: Project) -> None:
    states = [("META", "delivered")] * 3 + [
        ("META", "dead"),
        ("GOOGLE", "delivered"),
        ("GOOGLE", "retrying"),
    ]
    for n, (destination, state) in enumerate(states):
        Delivery.objects.create(
            project=project,
            destination=destination,
            event_kind="install",
            idempotency_key=f"dash-{project.id}-{n}",
            state=state,
        )


@pytest.fixture
def live_month(
    project_with_key: tuple[Project, str], warehouse: Warehouse, transactional_db: None
) -> Iterator[Month]:
    project, key = project_with_key
    month = build(project, key, warehouse)
    _deliveries(project)
    yield month
    # The live server needs committed data, so rows outlive the test unless removed.
    warehouse.forget_project(project.id)
    warehouse.forget_project(project.id + 1000)


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_user("staff", password="x", is_staff=True)


def test_dashboard_requires_a_staff_login(month: Month) -> None:
    url = f"/dashboard/{month.project.id}/"
    anonymous = Client().get(url)
    user = User.objects.create_user("plain", password="x")
    plain = Client()
    plain.force_login(user)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert plain.get(url).status_code == 302


def test_dashboard_renders_totals_and_charts(month: Month, staff: User) -> None:
    client = Client()
    client.force_login(staff)

    page = client.get(f"/dashboard/{month.project.id}/?{JUNE}").content.decode()

    assert re.search(r'id="total-installs">105<', page)  # 30 + 15 + 60 organic
    assert 'data-series="Summer Google" data-total="30"' in page
    assert client.get(f"/dashboard/{month.project.id}/?from=June").status_code == 400
    assert client.get("/dashboard/999999/").status_code == 404


@pytest.mark.e2e
def test_dashboard_in_headless_chromium(
    live_server: object, live_month: Month, staff: User
) -> None:
    base = str(live_server)
    page = f"/dashboard/{live_month.project.id}/?{JUNE}"
    url = f"{base}/test-login/{staff.id}?next={page.replace('&', '%26')}"

    dom = browser.dump_dom(url)
    browser.screenshot(url, ARTIFACTS / "dashboard.png")

    def total(name: str) -> str:
        found = re.search(rf'id="total-{name}">([^<]*)<', dom)
        assert found, f"no total-{name} in the page"
        return found.group(1)

    assert [total(n) for n in ("clicks", "installs", "signups", "payments", "revenue")] == [
        "75",
        "105",
        "45",
        "11",
        "199.90",
    ]
    assert 'data-series="Summer Google" data-total="30"' in dom  # installs chart
    assert 'data-series="Meta Retarget" data-total="100"' in dom  # revenue chart
    assert 'data-series="Organic" data-total="60"' in dom
    assert 'data-series="Paid" data-total="45"' in dom
    assert re.search(r'data-destination="META"><td>META</td><td>3</td><td>1</td><td>0</td>', dom)
    assert re.search(
        r'data-destination="GOOGLE"><td>GOOGLE</td><td>1</td><td>0</td><td>1</td>', dom
    )
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
