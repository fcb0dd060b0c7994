"""Report queries, written once for ClickHouse, PostgreSQL and SQLite.

Rows may arrive twice (a task retried after its rows were flushed, a backfill over live data), so
every count first takes the DISTINCT rows of its table and counts those: duplicates are identical
rows, so the reports are exact under at-least-once writes. Each metric is one small GROUP BY and
the results are merged here, which avoids the joins old ClickHouse handles differently.

Metric definitions (the reporting API documents the same):
- clicks: distinct click_id with is_view = 0, on the day clicked;
- installs / reinstalls / reengagements: installs rows by flag, on the day of `installed_at`
  (for a re-engagement row, the moment of the re-engagement);
- signups, payments: user_events of that kind; revenue: sum of payment amounts, less the amounts
  of `payment_removed` rows (which repeat the payment's event_key, amount and occurred_at);
- dN retained: distinct installs of the day's cohort with any user event N days after install.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hazelnut.warehouse.dialect import Dialect
from hazelnut.warehouse.results import (
    BREAKDOWN_COLUMNS,
    Breakdown,
    CampaignDay,
    EventCount,
    ReportFilter,
)

Fetch = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
Key = tuple[int, Any]


def _where(
    report: ReportFilter, time_column: str, *, platform: bool = True
) -> tuple[str, dict[str, Any]]:
    start, end = report.bounds()
    clauses = [
        "project_id = %(project)s",
        f"{time_column} >= %(start)s",
        f"{time_column} < %(end)s",
    ]
    params: dict[str, Any] = {"project": report.project_id, "start": start, "end": end}
    if report.network is not None:
        clauses.append("network = %(network)s")
        params["network"] = report.network
    if platform and report.platform is not None:
        clauses.append("platform = %(platform)s")
        params["platform"] = report.platform
    if report.campaign_ids is not None:
        names = [f"c{index}" for index in range(len(report.campaign_ids))] or ["c_none"]
        params.update(zip(names, report.campaign_ids or (-1,), strict=True))
        clauses.append(f"campaign_id IN ({', '.join(f'%({name})s' for name in names)})")
    return " AND ".join(clauses), params


def _clicks(dialect: Dialect, fetch: Fetch, report: ReportFilter) -> dict[Key, dict[str, Any]]:
    where, params = _where(report, "clicked_at")
    sql = (
        f"SELECT campaign_id, {dialect.day('clicked_at')} AS day, COUNT(*) FROM ("
        f"SELECT DISTINCT click_id, campaign_id, clicked_at FROM {dialect.table('clicks')} "
        f"WHERE {where} AND is_view = 0) AS c GROUP BY campaign_id, day"
    )
    return {(int(c), dialect.as_date(d)): {"clicks": int(n)} for c, d, n in fetch(sql, params)}


def _installs(dialect: Dialect, fetch: Fetch, report: ReportFilter) -> dict[Key, dict[str, Any]]:
    where, params = _where(report, "installed_at")
    sql = (
        f"SELECT campaign_id, {dialect.day('installed_at')} AS day, "
        "SUM(CASE WHEN is_reinstall = 0 AND is_reengagement = 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_reinstall = 1 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN is_reengagement = 1 THEN 1 ELSE 0 END) FROM ("
        "SELECT DISTINCT install_id, campaign_id, installed_at, is_reinstall, is_reengagement "
        f"FROM {dialect.table('installs')} WHERE {where}) AS i GROUP BY campaign_id, day"
    )
    return {
        (int(c), dialect.as_date(d)): {
            "installs": int(new),
            "reinstalls": int(again),
            "reengagements": int(back),
        }
        for c, d, new, again, back in fetch(sql, params)
    }


def _events(dialect: Dialect, fetch: Fetch, report: ReportFilter) -> dict[Key, dict[str, Any]]:
    where, params = _where(report, "occurred_at")
    sql = (
        f"SELECT kind, campaign_id, {dialect.day('occurred_at')} AS day, COUNT(*), SUM(amount) "
        "FROM (SELECT DISTINCT event_key, kind, campaign_id, occurred_at, amount "
        f"FROM {dialect.table('user_events')} WHERE {where} "
        "AND kind IN ('signup', 'payment', 'payment_removed')) AS e "
        "GROUP BY kind, campaign_id, day"
    )
    result: dict[Key, dict[str, Any]] = defaultdict(
        lambda: {"signups": 0, "payments": 0, "revenue": Decimal("0.0000")}
    )
    for kind, campaign, day, count, amount in fetch(sql, params):
        metrics = result[(int(campaign), dialect.as_date(day))]
        sign = -1 if kind == "payment_removed" else 1
        if kind == "signup":
            metrics["signups"] += int(count)
        else:
            metrics["payments"] += sign * int(count)
            metrics["revenue"] += sign * dialect.amount(amount)
    return result


def _retention(dialect: Dialect, fetch: Fetch, report: ReportFilter) -> dict[Key, dict[str, Any]]:
    where, params = _where(report, "installed_at")
    sql = (
        "SELECT campaign_id, cohort, age, COUNT(*) FROM ("
        f"SELECT DISTINCT install_id, campaign_id, {dialect.day('installed_at')} AS cohort, "
        f"{dialect.day_diff('occurred_at', 'installed_at')} AS age "
        f"FROM {dialect.table('user_events')} WHERE {where} AND install_id != 0) AS r "
        "WHERE age IN (1, 7) GROUP BY campaign_id, cohort, age"
    )
    result: dict[Key, dict[str, Any]] = defaultdict(dict)
    for campaign, cohort, age, count in fetch(sql, params):
        name = "d1_retained" if int(age) == 1 else "d7_retained"
        result[(int(campaign), dialect.as_date(cohort))][name] = int(count)
    return result


def campaign_days(dialect: Dialect, fetch: Fetch, report: ReportFilter) -> list[CampaignDay]:
    merged: dict[Key, CampaignDay] = {}
    for part in (_clicks, _installs, _events, _retention):
        for (campaign, day), metrics in part(dialect, fetch, report).items():
            current = merged.get((campaign, day)) or CampaignDay(campaign_id=campaign, day=day)
            merged[(campaign, day)] = replace(current, **metrics)
    return [merged[key] for key in sorted(merged)]


def install_breakdown(
    dialect: Dialect, fetch: Fetch, report: ReportFilter, by: str
) -> list[Breakdown]:
    if by not in BREAKDOWN_COLUMNS:
        raise ValueError(f"cannot break installs down by {by!r}")
    where, params = _where(report, "installed_at")
    sql = (
        f"SELECT {by}, COUNT(*) AS n FROM (SELECT DISTINCT install_id, {by} "
        f"FROM {dialect.table('installs')} WHERE {where} "
        "AND is_reinstall = 0 AND is_reengagement = 0) AS b "
        f"GROUP BY {by} ORDER BY n DESC, {by}"
    )
    return [Breakdown(key=str(key), installs=int(count)) for key, count in fetch(sql, params)]


def daily(dialect: Dialect, fetch: Fetch, report: ReportFilter, final: str) -> list[CampaignDay]:
    names = ", ".join(DAILY_COLUMNS)
    sql = (
        f"SELECT campaign_id, day, {names} FROM {dialect.table('campaign_daily')}{final} "
        "WHERE project_id = %(project)s AND day >= %(start)s AND day <= %(end)s "
        "ORDER BY campaign_id, day"
    )
    params = {"project": report.project_id, "start": report.start, "end": report.end}
    result = []
    for campaign, day, *values in fetch(sql, params):
        fields = dict(zip(DAILY_COLUMNS, values, strict=True))
        fields["revenue"] = dialect.amount(fields["revenue"])
        counts = {k: int(v) for k, v in fields.items() if k != "revenue"}
        result.append(
            CampaignDay(int(campaign), dialect.as_date(day), revenue=fields["revenue"], **counts)
        )
    return result


DAILY_COLUMNS = (
    "clicks",
    "installs",
    "reinstalls",
    "reengagements",
    "signups",
    "payments",
    "revenue",
    "d1_retained",
    "d7_retained",
)


def event_counts(
    dialect: Dialect, fetch: Fetch, report: ReportFilter, kind: str, names: tuple[str, ...]
) -> list[EventCount]:
    if not names:
        return []
    where, params = _where(report, "occurred_at")
    slots = [f"n{index}" for index in range(len(names))]
    params.update(zip(slots, names, strict=True))
    params["kind"] = kind
    in_list = ", ".join(f"%({slot})s" for slot in slots)
    sql = (
        "SELECT campaign_id, name, COUNT(*) FROM (SELECT DISTINCT event_key, campaign_id, name "
        f"FROM {dialect.table('user_events')} WHERE {where} AND kind = %(kind)s "
        f"AND name IN ({in_list})) AS e GROUP BY campaign_id, name ORDER BY campaign_id, name"
    )
    return [EventCount(int(c), str(n), int(count)) for c, n, count in fetch(sql, params)]
