"""What report queries take and return: small frozen dataclasses, the same for every backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from hazelnut.warehouse.rows import to_naive_utc

BREAKDOWN_COLUMNS = ("network", "attribution_type", "platform")


@dataclass(frozen=True)
class ReportFilter:
    """One project's rows between two UTC days, both included, optionally narrowed."""

    project_id: int
    start: dt.date
    end: dt.date
    campaign_ids: tuple[int, ...] | None = None
    network: str | None = None
    platform: str | None = None

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, day after end 00:00) as naive UTC datetimes."""
        start = to_naive_utc(self.start)
        return start, to_naive_utc(self.end) + dt.timedelta(days=1)


@dataclass(frozen=True)
class CampaignDay:
    campaign_id: int
    day: dt.date
    clicks: int = 0
    installs: int = 0
    reinstalls: int = 0
    reengagements: int = 0
    signups: int = 0
    payments: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal("0.0000"))
    d1_retained: int = 0
    d7_retained: int = 0


@dataclass(frozen=True)
class Breakdown:
    key: str
    installs: int


@dataclass(frozen=True)
class EventCount:
    campaign_id: int
    name: str
    count: int
