"""GET /api/v1/campaigns and GET /api/v1/attributed-users (models only; no warehouse numbers)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.reports.month import Month


def _data(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_campaigns_list_with_shape_and_counts(api: Client, month: Month) -> None:
    data = _data(api.get("/api/v1/campaigns"))

    assert data["total_campaigns"] == 3
    assert data["pagination"] == {"total": 3, "pages": 1, "page": 1, "limit": 100}
    a = next(c for c in data["campaigns"] if c["display_id"] == "sum-a")
    assert (a["name"], a["google"], a["meta"], a["active"], a["attributed_users"]) == (
        "Summer Google",
        True,
        False,
        True,
        30,
    )
    assert a["link"] == "https://go.example.test/sum-a"
    assert a["domain"] == "go.example.test"
    assert set(a) >= {"created_at", "update_at", "shareable_link", "store_listings"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter": "ACTIVE"}, {"sum-a", "ret-b"}),
        ({"filter": "inactive"}, {"tik-c"}),
        ({"channel": "meta"}, {"ret-b"}),
        ({"domain": "go.example.test"}, set()),
        ({"link": "https://go.example.test/tik-c"}, {"tik-c"}),
    ],
)
def test_campaign_filters(
    api: Client, month: Month, params: dict[str, str], expected: set[str]
) -> None:
    campaigns = _data(api.get("/api/v1/campaigns", params))["campaigns"]

    assert {c["display_id"] for c in campaigns} == expected


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"channel": "MYSPACE"}, 400),
        ({"domain": "elsewhere.test"}, 400),
        ({"link": "not a link"}, 400),
        ({"limit": "1001"}, 422),
        ({"page": "x"}, 422),
        ({"page": "100000000000000000"}, 422),
        ({"filter": "SOME"}, 400),
    ],
)
def test_campaign_bad_parameters(
    api: Client, month: Month, params: dict[str, str], status: int
) -> None:
    response = api.get("/api/v1/campaigns", params)

    assert (response.status_code, response.json()["status"]) == (status, status)


def test_attributed_users_paginate_newest_first(api: Client, month: Month) -> None:
    last = _data(
        api.get("/api/v1/attributed-users", {"display_id": "sum-a", "limit": "7", "page": "5"})
    )

    assert last["total_users"] == 30
    assert last["pagination"] == {"total": 30, "pages": 5, "page": 5, "limit": 7}
    assert [u["user_data"]["id"] for u in last["users"]] == ["user-1002", "user-1001"]
    first = last["users"][-1]
    assert (first["campaign_display_id"], first["ad_channel"]) == ("sum-a", "GOOGLE")
    assert first["installed_at"] == "2026-06-01T10:00:00.000+00:00"


def test_attributed_users_window_is_read_in_the_given_time_zone(api: Client, month: Month) -> None:
    # 2 June 15:30 in Kolkata is 10:00 UTC, the moment user-1002 signed up.
    data = _data(
        api.get(
            "/api/v1/attributed-users",
            {
                "display_id": "sum-a",
                "start_timestamp": "2026-06-02T15:30:00.000",
                "end_timestamp": "2026-06-03T15:29:59.999",
                "timezone": "Asia/Kolkata",
            },
        )
    )

    assert [u["user_data"]["id"] for u in data["users"]] == ["user-1002"]
    assert data["users"][0]["attributed_at"] == "2026-06-02T15:30:00.000+05:30"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"display_id": "nope"}, 404),
        ({"display_id": "sum-a", "timezone": "Mars/Base"}, 400),
        ({"display_id": "sum-a", "start_timestamp": "yesterday"}, 400),
        ({"display_id": "sum-a", "limit": "5000"}, 422),
        ({"display_id": "sum-a", "page": "9223372036854775807"}, 422),
    ],
)
def test_attributed_users_errors(
    api: Client, month: Month, params: dict[str, str], status: int
) -> None:
    response = api.get("/api/v1/attributed-users", params)

    assert (response.status_code, response.json()["status"]) == (status, status)


def test_campaign_list_runs_a_fixed_number_of_queries(
    api: Client, month: Month, django_assert_num_queries: Any
) -> None:
    # project by key, count, default domain, the page, its store listings
    with django_assert_num_queries(5):
        api.get("/api/v1/campaigns")
