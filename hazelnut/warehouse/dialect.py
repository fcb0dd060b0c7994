"""The few places where the report SQL differs between ClickHouse, PostgreSQL and SQLite.

Report queries are written once (`queries.py`) in the SQL the three engines share: SELECT DISTINCT
subqueries, SUM(CASE ...), GROUP BY and named `%(name)s` parameters. A dialect supplies what they
do not share: how a table is named, how a DateTime becomes its UTC day, and how an amount is read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hazelnut.warehouse.rows import DECIMAL_SCALE


@dataclass(frozen=True)
class Dialect:
    name: str
    table_prefix: str
    day_template: str  # with {column}
    day_diff_template: str  # whole days from {earlier} to {later}
    amounts_scaled: bool  # SQL stores Decimal as an integer count of 1e-4 units

    def table(self, name: str) -> str:
        return f"{self.table_prefix}{name}"

    def day(self, column: str) -> str:
        return self.day_template.format(column=column)

    def day_diff(self, later: str, earlier: str) -> str:
        return self.day_diff_template.format(later=later, earlier=earlier)

    def amount(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0).scaleb(-DECIMAL_SCALE)
        if self.amounts_scaled:
            return Decimal(int(value)).scaleb(-DECIMAL_SCALE)
        return Decimal(value).quantize(Decimal(1).scaleb(-DECIMAL_SCALE))

    @staticmethod
    def as_date(value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10])


CLICKHOUSE = Dialect(
    "clickhouse",
    "",
    "toDate({column})",
    "toInt32(toDate({later}) - toDate({earlier}))",
    amounts_scaled=False,
)
POSTGRES = Dialect(
    "postgresql",
    "warehouse_",
    "CAST({column} AS DATE)",
    "(CAST({later} AS DATE) - CAST({earlier} AS DATE))",
    amounts_scaled=True,
)
SQLITE = Dialect(
    "sqlite",
    "warehouse_",
    "date({column})",
    "CAST(julianday(date({later})) - julianday(date({earlier})) AS INTEGER)",
    amounts_scaled=True,
)
