"""GET /api/v1/reporting/campaigns over the simulated June (see month.py for the data).

Expected numbers, worked out by hand from month.py:
- A: clicks 30 days x 2 = 60 (views excluded); installs 30 (each written twice, counted once);
  reinstalls days 10, 20, 30 = 3; sign-ups 30; payments: installs of days 1..10 = 10, revenue
  10 x 9.99 = 99.90; d1: the 10 payers of 30 installs = 33.33 %; d7: 5 of 30 = 16.67 %.
- B: clicks 15, installs 15, re-engagements 15, sign-ups 15, payments 2 - 1 removed = 1,
  revenue 100.00 + 50.00 - 50.00 = 100.00, no retention events.
- C: zeros. Organic: 2 x 30 = 60 installs.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.reports.month import Month

URL = "/api/v1/reporting/campaigns"
JUNE = {"from": "2026-06-01", "to": "2026-06-30"}


def _report(api: Client, **params: Any) -> dict[str, Any]:
    response = api.get(URL, {**JUNE, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["msg"]) == (200, "Success")
    return body["data"]


def _by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["display_id"]: row for row in data["campaigns"]}


def _numbers(row: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("clicks", "installs", "reinstalls", "reengagements", "sign-ups", "payments", "revenue")
    return (*(row[key] for key in keys), row["retention"]["d1"], row["retention"]["d7"])


def test_month_totals_match_hand_computed(api: Client, month: Month) -> None:
    data = _report(api)
    rows = _by_id(data)

    assert _numbers(rows["sum-a"]) == ("60", "30", "3", "0", "30", "10", "99.90", "33.33", "16.67")
    assert _numbers(rows["ret-b"]) == ("15", "15", "0", "15", "15", "1", "100.00", "0.00", "0.00")
    assert _numbers(rows["tik-c"]) == ("0", "0", "0", "0", "0", "0", "0.00", "0.00", "0.00")
    assert data["organic"]["installs"] == "60"
    assert data["pagination"] == {"total": 3, "pages": 1, "page": 1, "limit": 10}
    assert (data["display_currency"], data["view"]) == ("USD", "user_acquisition")


def test_days_are_reported_per_campaign(api: Client, month: Month) -> None:
    days = {day["date"]: day for day in _by_id(_report(api))["sum-a"]["daywise"]}

    assert len(days) == 30
    day_2 = days["2026-06-02"]
    assert (day_2["clicks"], day_2["installs"], day_2["payments"], day_2["revenue"]) == (
        "2",
        "1",
        "1",
        "9.99",
    )
    assert (days["2026-06-10"]["reinstalls"], days["2026-06-01"]["retention"]["d1"]) == (
        "1",
        "100.00",
    )
    assert days["2026-06-12"]["payments"] == "0"


def test_a_shorter_period_and_filters(api: Client, month: Month) -> None:
    mid = _by_id(_report(api, **{"from": "2026-06-11", "to": "2026-06-20"}))["sum-a"]
    assert (mid["installs"], mid["reinstalls"], mid["payments"], mid["revenue"]) == (
        "10",
        "1",
        "1",
        "9.99",
    )

    ios = _by_id(_report(api, platform="ios"))
    assert (ios["sum-a"]["installs"], ios["sum-a"]["sign-ups"], ios["ret-b"]["installs"]) == (
        "15",
        "15",
        "15",
    )
    assert [r["display_id"] for r in _report(api, network="meta")["campaigns"]] == ["ret-b"]
    assert [r["display_id"] for r in _report(api, active="false")["campaigns"]] == ["tik-c"]
    assert [r["display_id"] for r in _report(api, search="summer")["campaigns"]] == ["sum-a"]


def test_custom_and_payment_event_counts(api: Client, month: Month) -> None:
    rows = _by_id(
        _report(api, events="level_completed,missing", payment_events="FIRST_PAYMENT,ONE_TIME")
    )

    assert rows["sum-a"]["custom_events"] == {"level_completed": "5", "missing": "0"}
    assert rows["sum-a"]["payment_events"] == {"FIRST_PAYMENT": "10", "ONE_TIME": "0"}
    assert rows["ret-b"]["payment_events"] == {"FIRST_PAYMENT": "0", "ONE_TIME": "1"}  # 2 - removed
    assert _report(api)["campaigns"][0]["custom_events"] == {}


def test_sorting_and_pages(api: Client, month: Month) -> None:
    by_revenue = _report(api, sort_field="revenue", sort_order="desc")
    assert [r["display_id"] for r in by_revenue["campaigns"]] == ["ret-b", "sum-a", "tik-c"]

    second = _report(api, sort_field="installs", sort_order="asc", limit=2, page=2)
    assert [r["display_id"] for r in second["campaigns"]] == ["sum-a"]
    assert second["pagination"] == {"total": 3, "pages": 2, "page": 2, "limit": 2}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-13-01"}, 422, "invalid_date"),
        ({"from": "2026-06-30", "to": "2026-06-01"}, 422, "invalid_period"),
        ({"limit": "101"}, 422, "invalid_limit"),
        ({"page": "0"}, 422, "invalid_page"),
        ({"page": "99999999999999999999"}, 422, "invalid_page"),
        ({"view": "everything"}, 400, "invalid_view"),
        ({"platform": "web"}, 400, "invalid_platform"),
        ({"sort_field": "ip"}, 400, "invalid_sort_field"),
        ({"events": ",".join(f"e{n}" for n in range(21))}, 422, "invalid_events"),
    ],
)
def test_bad_parameters_get_a_clear_error(
    api: Client, month: Month, params: dict[str, str], status: int, code: str
) -> None:
    response = api.get(URL, {**JUNE, **params})

    body = response.json()
    assert (response.status_code, body["status"], body["data"]["error"]) == (status, status, code)


def test_the_server_key_is_required(month: Month) -> None:
    missing = Client().get(URL, JUNE)
    wrong = Client(headers={"linkrunner-key": "not-the-key"}).get(URL, JUNE)

    assert (missing.status_code, missing.json()["msg"]) == (401, "Server key missing!")
    assert (wrong.status_code, wrong.json()["msg"]) == (401, "Server key invalid!")
