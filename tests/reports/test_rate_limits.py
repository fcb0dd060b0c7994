"""The reporting routes' rate limits, with the contract's values from settings."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from attribution.models import Project
from hazelnut import ratelimit


def test_reporting_allows_one_request_a_minute_per_key(
    project_with_key: tuple[Project, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 15 s into a clock minute: the window opens again in 45 s, as Retry-After says.
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_015.5)
    settings.ROOT_URLCONF = "tests.reports.urls"
    _, key = project_with_key
    client = Client(headers={"linkrunner-key": key})
    june = {"from": "2026-06-01", "to": "2026-06-30"}

    first = client.get("/api/v1/reporting/campaigns", june)
    second = client.get("/api/v1/reporting/campaigns", june)

    assert first.status_code == 200
    assert (second.status_code, second["Retry-After"]) == (429, "45")
    assert second.json() == {
        "msg": "Rate limit exceeded. Please try again later.",
        "status": 429,
        "data": {"error": "rate_limited"},
    }


def test_campaign_list_is_limited_per_second(
    project_with_key: tuple[Project, str], settings: Settings
) -> None:
    settings.ROOT_URLCONF = "tests.reports.urls"
    settings.HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND = 3
    _, key = project_with_key
    client = Client(headers={"linkrunner-key": key})

    # A window boundary may fall inside the burst; then the next window allows 3 more.
    codes = [client.get("/api/v1/campaigns").status_code for _ in range(8)]

    assert codes.count(429) >= 2
    assert codes[:3] == [200, 200, 200]
