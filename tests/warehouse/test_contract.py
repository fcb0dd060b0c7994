"""The warehouse contract: every backend stores, buffers, flushes and reports the same way."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from hazelnut.warehouse import (
    Breakdown,
    ReportFilter,
    UnknownColumn,
    UnknownTable,
    Warehouse,
    flush_all,
    get_warehouse,
)
from hazelnut.warehouse.clickhouse_schema import MIGRATIONS as CLICKHOUSE_MIGRATIONS
from hazelnut.warehouse.rows import Row
from hazelnut.warehouse.sql_schema import MIGRATIONS as SQL_MIGRATIONS

JUNE = ReportFilter(project_id=7, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))


def _install(install_id: int, day: int, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "project_id": 7,
        "install_id": install_id,
        "install_instance_id": f"iid-{install_id}",
        "campaign_id": 1,
        "network": "GOOGLE",
        "platform": "ANDROID",
        "attribution_type": "INORGANIC",
        "installed_at": dt.datetime(2026, 6, day, 12, 0, tzinfo=dt.UTC),
    }
    row.update(fields)
    return row


def test_migrate_is_idempotent_and_versioned(warehouse: Warehouse) -> None:
    latest = max(version for version, _ in SQL_MIGRATIONS)
    assert latest == max(version for version, _ in CLICKHOUSE_MIGRATIONS)

    assert warehouse.migrate() == []
    assert warehouse.schema_version() == latest


def test_written_rows_read_back_with_defaults(warehouse: Warehouse) -> None:
    warehouse.write("installs", [_install(1, 3, is_reinstall=True)])
    warehouse.flush()

    [row] = warehouse.select("installs", 7)
    assert row["install_id"] == 1
    assert row["is_reinstall"] == 1
    assert row["installed_at"] == dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)
    assert row["source"] == ""
    assert row["click_to_install_seconds"] == 0
    assert row["attributed_at"] == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def test_aware_datetimes_are_stored_as_utc(warehouse: Warehouse) -> None:
    kolkata = dt.datetime(2026, 6, 3, 2, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    warehouse.write("installs", [_install(1, 3, installed_at=kolkata)])
    warehouse.flush()

    [row] = warehouse.select("installs", 7)
    assert row["installed_at"] == dt.datetime(2026, 6, 2, 20, 30, tzinfo=dt.UTC)


def test_decimal_amounts_are_exact(warehouse: Warehouse) -> None:
    warehouse.write("user_events", [{"project_id": 7, "amount": "0.1"}])
    warehouse.flush()

    [row] = warehouse.select("user_events", 7)
    assert row["amount"] == Decimal("0.1000")


def test_unknown_table_or_column_is_refused_at_write(warehouse: Warehouse) -> None:
    with pytest.raises(UnknownTable):
        warehouse.write("nope", [{"project_id": 7}])
    with pytest.raises(UnknownColumn, match="colour"):
        warehouse.write("installs", [_install(1, 3), {"project_id": 7, "colour": "red"}])

    assert warehouse.pending() == 0


def test_rows_wait_in_the_buffer_until_flushed(warehouse: Warehouse) -> None:
    warehouse.write("installs", [_install(1, 3), _install(2, 3)])

    assert warehouse.pending() == 2
    assert warehouse.select("installs", 7) == []
    assert warehouse.flush() == 2
    assert warehouse.pending() == 0
    assert len(warehouse.select("installs", 7)) == 2


def test_a_full_buffer_flushes_itself(warehouse: Warehouse) -> None:
    warehouse.writer.flush_rows = 3
    warehouse.write("installs", [_install(1, 3), _install(2, 3)])
    assert warehouse.select("installs", 7) == []

    warehouse.write("installs", [_install(3, 3)])

    assert warehouse.pending() == 0
    assert len(warehouse.select("installs", 7)) == 3


def test_flush_all_flushes_the_shared_warehouse(warehouse: Warehouse) -> None:
    assert get_warehouse() is warehouse
    warehouse.write("clicks", [{"project_id": 7, "click_id": "c1"}])

    assert flush_all() == 1
    assert [row["click_id"] for row in warehouse.select("clicks", 7)] == ["c1"]


def test_transient_insert_errors_are_retried(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = warehouse.insert
    calls: list[int] = []

    def flaky(table: str, rows: Sequence[Row]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise warehouse.transient_errors[0]("server went away")
        real_insert(table, rows)

    monkeypatch.setattr(warehouse, "insert", flaky)
    monkeypatch.setattr("hazelnut.warehouse.base.wait_exponential", lambda **_: lambda _: 0)
    warehouse.write("installs", [_install(1, 3)])

    assert warehouse.flush() == 1
    assert len(calls) == 3
    assert len(warehouse.select("installs", 7)) == 1


def test_a_failed_flush_raises_and_keeps_the_rows(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = warehouse.insert

    def broken(table: str, rows: object) -> None:
        raise ValueError("not transient")

    monkeypatch.setattr(warehouse, "insert", broken)
    warehouse.write("installs", [_install(1, 3)])
    with pytest.raises(ValueError, match="not transient"):
        flush_all()
    assert warehouse.pending() == 1

    monkeypatch.setattr(warehouse, "insert", real_insert)
    assert warehouse.flush() == 1
    assert len(warehouse.select("installs", 7)) == 1


def test_campaign_days_count_each_row_once_even_if_written_twice(warehouse: Warehouse) -> None:
    rows = [
        _install(1, 3),
        _install(2, 3, is_reinstall=True),
        _install(3, 4, is_reengagement=True),
    ]
    warehouse.write("installs", rows + rows)
    warehouse.write(
        "clicks",
        [
            {
                "project_id": 7,
                "click_id": "a",
                "campaign_id": 1,
                "clicked_at": dt.datetime(2026, 6, 3, tzinfo=dt.UTC),
            },
            {
                "project_id": 7,
                "click_id": "a",
                "campaign_id": 1,
                "clicked_at": dt.datetime(2026, 6, 3, tzinfo=dt.UTC),
            },
            {
                "project_id": 7,
                "click_id": "v",
                "campaign_id": 1,
                "is_view": 1,
                "clicked_at": dt.datetime(2026, 6, 3, tzinfo=dt.UTC),
            },
        ],
    )
    warehouse.flush()

    days = warehouse.campaign_days(JUNE)

    assert [
        (d.campaign_id, d.day, d.clicks, d.installs, d.reinstalls, d.reengagements) for d in days
    ] == [
        (1, dt.date(2026, 6, 3), 1, 1, 1, 0),
        (1, dt.date(2026, 6, 4), 0, 0, 0, 1),
    ]


def test_revenue_subtracts_removed_payments(warehouse: Warehouse) -> None:
    paid = dt.datetime(2026, 6, 5, 9, 0, tzinfo=dt.UTC)
    payment = {"project_id": 7, "campaign_id": 2, "kind": "payment", "occurred_at": paid}
    warehouse.write(
        "user_events",
        [
            {**payment, "event_key": "p1", "amount": "10.10"},
            {**payment, "event_key": "p2", "amount": "0.20"},
            {**payment, "event_key": "p2", "amount": "0.20", "kind": "payment_removed"},
            {**payment, "event_key": "s1", "kind": "signup"},
        ],
    )
    warehouse.flush()

    [day] = warehouse.campaign_days(JUNE)

    assert (day.campaign_id, day.signups, day.payments, day.revenue) == (
        2,
        1,
        1,
        Decimal("10.1000"),
    )


def test_retention_counts_cohort_users_active_on_day_1_and_7(warehouse: Warehouse) -> None:
    installed = dt.datetime(2026, 6, 10, 23, 0, tzinfo=dt.UTC)

    def event(install_id: int, key: str, days_later: int) -> dict[str, object]:
        return {
            "project_id": 7,
            "install_id": install_id,
            "campaign_id": 1,
            "kind": "custom",
            "event_key": key,
            "installed_at": installed,
            "occurred_at": installed + dt.timedelta(days=days_later, minutes=30),
        }

    warehouse.write(
        "user_events",
        [
            event(1, "a", 0),
            event(1, "b", 1),
            event(1, "c", 7),
            event(2, "d", 1),
            event(2, "e", 1),
            event(3, "f", 6),
        ],
    )
    warehouse.flush()

    cohort = [d for d in warehouse.campaign_days(JUNE) if d.day == dt.date(2026, 6, 10)]

    assert [(d.d1_retained, d.d7_retained) for d in cohort] == [(2, 1)]


def test_filters_narrow_by_network_platform_and_campaign(warehouse: Warehouse) -> None:
    warehouse.write(
        "installs",
        [
            _install(1, 3),
            _install(2, 3, network="META", campaign_id=2),
            _install(3, 3, platform="IOS"),
            _install(4, 3, campaign_id=0, network="", attribution_type="ORGANIC"),
        ],
    )
    warehouse.flush()

    def installs(**narrow: object) -> int:
        report = ReportFilter(**{**JUNE.__dict__, **narrow})
        return sum(day.installs for day in warehouse.campaign_days(report))

    assert installs() == 4
    assert installs(network="META") == 1
    assert installs(platform="IOS") == 1
    assert installs(campaign_ids=(1, 2)) == 3
    assert installs(campaign_ids=()) == 0
    assert installs(start=dt.date(2026, 6, 4)) == 0


def test_install_breakdown_is_largest_first(warehouse: Warehouse) -> None:
    warehouse.write(
        "installs",
        [
            _install(1, 3),
            _install(2, 3, network="META"),
            _install(3, 4, network="META"),
            _install(4, 4, network="", attribution_type="ORGANIC"),
            _install(5, 4, network="META", is_reinstall=True),
        ],
    )
    warehouse.flush()

    assert warehouse.install_breakdown(JUNE, "network") == [
        Breakdown("META", 2),
        Breakdown("", 1),
        Breakdown("GOOGLE", 1),
    ]
    assert warehouse.install_breakdown(JUNE, "attribution_type") == [
        Breakdown("INORGANIC", 3),
        Breakdown("ORGANIC", 1),
    ]
    with pytest.raises(ValueError, match="break installs down"):
        warehouse.install_breakdown(JUNE, "ip; DROP TABLE installs")


def test_forget_project_removes_only_that_project(warehouse: Warehouse) -> None:
    warehouse.write("installs", [_install(1, 3), _install(2, 3, project_id=8)])
    warehouse.flush()

    warehouse.forget_project(7)

    assert warehouse.select("installs", 7) == []
    assert len(warehouse.select("installs", 8)) == 1


def test_old_rows_are_flushed_by_age(warehouse: Warehouse) -> None:
    warehouse.writer.flush_seconds = 0.2
    warehouse.write("installs", [_install(1, 3)])
    time.sleep(0.4)

    if warehouse.background_flush:
        # ClickHouse: the writer's thread flushes without any further call.
        deadline = time.monotonic() + 5
        while warehouse.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        # SQL: no thread (it would need its own connection); the next write flushes.
        assert warehouse.pending() == 1
        warehouse.write("installs", [_install(2, 3)])

    assert warehouse.pending() == 0
    assert len(warehouse.select("installs", 7)) == (1 if warehouse.background_flush else 2)


def test_rollup_materializes_campaign_days_and_replaces_them(warehouse: Warehouse) -> None:
    warehouse.write("installs", [_install(1, 3), _install(2, 4, campaign_id=2)])
    warehouse.write(
        "user_events",
        [{"project_id": 7, "campaign_id": 1, "kind": "payment", "event_key": "p1",
          "amount": "2.50", "occurred_at": dt.datetime(2026, 6, 3, 13, tzinfo=dt.UTC)}],
    )  # fmt: skip
    warehouse.flush()

    assert warehouse.rollup(JUNE) == 2
    assert warehouse.daily(JUNE) == warehouse.campaign_days(JUNE)

    warehouse.write("installs", [_install(3, 3)])
    warehouse.flush()
    warehouse.rollup(JUNE)

    assert [(d.campaign_id, d.day.day, d.installs, d.revenue) for d in warehouse.daily(JUNE)] == [
        (1, 3, 2, Decimal("2.5000")),
        (2, 4, 1, Decimal("0.0000")),
    ]
    with pytest.raises(ValueError, match="unfiltered"):
        warehouse.rollup(ReportFilter(**{**JUNE.__dict__, "network": "META"}))
