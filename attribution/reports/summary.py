"""Warehouse rows by campaign and day, summed into what a report shows.

Shared by the reporting API and the dashboard: `summarize` folds `CampaignDay` rows into one
`Totals` per campaign (with its days kept), and `formatted` renders one the way the contract
shows numbers: strings with thousands separators, money with two decimals, retention in percent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hazelnut.warehouse import CampaignDay

COUNTS = ("clicks", "installs", "reinstalls", "reengagements", "signups", "payments")
CENT = Decimal("0.01")


@dataclass
class Totals:
    clicks: int = 0
    installs: int = 0
    reinstalls: int = 0
    reengagements: int = 0
    signups: int = 0
    payments: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal("0.0000"))
    d1_retained: int = 0
    d7_retained: int = 0
    days: list[CampaignDay] = field(default_factory=list)

    def add(self, day: CampaignDay) -> None:
        for name in (*COUNTS, "revenue", "d1_retained", "d7_retained"):
            setattr(self, name, getattr(self, name) + getattr(day, name))
        self.days.append(day)

    def value(self, name: str) -> Any:
        if name in ("d1", "d7"):
            return self.rate(getattr(self, f"{name}_retained"))
        return getattr(self, name)

    def rate(self, retained: int) -> Decimal:
        if not self.installs:
            return Decimal("0.00")
        return (Decimal(100 * retained) / self.installs).quantize(CENT, ROUND_HALF_UP)


SORTABLE = (*(f.name for f in fields(Totals) if f.name != "days"), "d1", "d7")


def summarize(days: list[CampaignDay]) -> dict[int, Totals]:
    result: dict[int, Totals] = {}
    for day in days:
        result.setdefault(day.campaign_id, Totals()).add(day)
    return result


def count(value: int) -> str:
    return f"{value:,}"


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def formatted(totals: Totals) -> dict[str, Any]:
    return {
        **{name: count(getattr(totals, name)) for name in COUNTS},
        "sign-ups": count(totals.signups),
        "revenue": money(totals.revenue),
        "retention": {
            "d1": str(totals.rate(totals.d1_retained)),
            "d7": str(totals.rate(totals.d7_retained)),
        },
        "daywise": [_day(day) for day in totals.days],
    }


def _day(day: CampaignDay) -> dict[str, Any]:
    one = Totals()
    one.add(day)
    return {
        "date": day.day.isoformat(),
        **{name: count(getattr(day, name)) for name in COUNTS},
        "revenue": money(day.revenue),
        "retention": {"d1": str(one.rate(day.d1_retained)), "d7": str(one.rate(day.d7_retained))},
    }


def period_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
