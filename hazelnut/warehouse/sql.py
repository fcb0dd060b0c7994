"""The warehouse kept in the Django database: the embedded default, and a fallback anywhere.

It uses the calling thread's Django connection, so rows flushed inside a transaction commit or
roll back with it. No background thread flushes it (a thread would need its own connection);
rows are flushed by size, by age on the next write, and by `flush_all()` at the end of each task
and request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import OperationalError, connections, transaction
from django.utils import timezone

from hazelnut.warehouse import queries
from hazelnut.warehouse.base import Warehouse
from hazelnut.warehouse.dialect import POSTGRES, SQLITE, Dialect
from hazelnut.warehouse.results import Breakdown, CampaignDay, EventCount, ReportFilter
from hazelnut.warehouse.rows import (
    DECIMAL_SCALE,
    Row,
    normalize,
    table_named,
    to_aware_utc,
    to_naive_utc,
)
from hazelnut.warehouse.sql_schema import MIGRATIONS, MIGRATIONS_TABLE, migrations_table_ddl
from hazelnut.warehouse.tables import TABLES


class SqlWarehouse(Warehouse):
    name = "sql"
    transient_errors = (OperationalError,)
    background_flush = False

    def __init__(self, *, alias: str = "default", flush_rows: int, flush_seconds: float) -> None:
        super().__init__(flush_rows=flush_rows, flush_seconds=flush_seconds)
        self.alias = alias
        self._migrated_for: set[str] = set()

    @property
    def dialect(self) -> Dialect:
        vendor = connections[self.alias].vendor
        return POSTGRES if vendor == "postgresql" else SQLITE

    def ping(self) -> None:
        self._execute("SELECT 1")

    def schema_version(self) -> int:
        rows = self._fetch(f"SELECT MAX(version) FROM {MIGRATIONS_TABLE}")
        return int(rows[0][0] or 0)

    def migrate(self) -> list[int]:
        connection = connections[self.alias]
        self._execute(migrations_table_ddl())
        current = self.schema_version()
        applied: list[int] = []
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements(self.dialect):
                self._execute(statement)
            self._execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (%s, %s)",
                [version, timezone.now().replace(tzinfo=None)],
            )
            applied.append(version)
        # Inside a transaction the DDL may yet roll back (tests do), so check again next time.
        if not connection.in_atomic_block:
            self._migrated_for.add(self._database_key())
        return applied

    def insert(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self._ensure_schema()
        spec = table_named(table)
        decimals = [i for i, col in enumerate(spec.columns) if col.type == "Decimal"]
        datetimes = [i for i, col in enumerate(spec.columns) if col.type == "DateTime"]
        # Booleans pass the writer's check as ints; PostgreSQL wants real integers.
        integers = [i for i, col in enumerate(spec.columns) if col.type.startswith(("UInt", "Int"))]
        placeholders = ", ".join(["%s"] * len(spec.columns))
        sql = (
            f"INSERT INTO {self.dialect.table(table)} ({', '.join(spec.column_names)}) "
            f"VALUES ({placeholders})"
        )
        params = [self._prepare(row, decimals, datetimes, integers) for row in rows]
        with connections[self.alias].cursor() as cursor:
            cursor.executemany(sql, params)

    def select(self, table: str, project_id: int) -> list[dict[str, Any]]:
        self._ensure_schema()
        spec = table_named(table)
        rows = self._fetch(
            f"SELECT {', '.join(spec.column_names)} FROM {self.dialect.table(table)} "
            "WHERE project_id = %s",
            [project_id],
        )
        result = []
        for row in rows:
            record = dict(zip(spec.column_names, row, strict=True))
            for col in spec.columns:
                if col.type == "Decimal":
                    record[col.name] = self.dialect.amount(record[col.name])
                elif col.type == "DateTime":
                    record[col.name] = to_aware_utc(record[col.name])
            result.append(record)
        return result

    def forget_project(self, project_id: int) -> None:
        self._ensure_schema()
        for table in TABLES:
            self._execute(
                f"DELETE FROM {self.dialect.table(table)} WHERE project_id = %s", [project_id]
            )

    def campaign_days(self, report: ReportFilter) -> list[CampaignDay]:
        self._ensure_schema()
        return queries.campaign_days(self.dialect, self._fetch_named, report)

    def install_breakdown(self, report: ReportFilter, by: str) -> list[Breakdown]:
        self._ensure_schema()
        return queries.install_breakdown(self.dialect, self._fetch_named, report, by)

    def event_counts(
        self, report: ReportFilter, kind: str, names: tuple[str, ...]
    ) -> list[EventCount]:
        self._ensure_schema()
        return queries.event_counts(self.dialect, self._fetch_named, report, kind, names)

    def daily(self, report: ReportFilter) -> list[CampaignDay]:
        self._ensure_schema()
        return queries.daily(self.dialect, self._fetch_named, report, final="")

    def _replace_daily(self, report: ReportFilter, rows: list[dict[str, Any]]) -> None:
        self._ensure_schema()
        # One transaction: readers see the old days or the new ones, never none.
        with transaction.atomic(using=self.alias):
            self._execute(
                f"DELETE FROM {self.dialect.table('campaign_daily')} "
                "WHERE project_id = %s AND day >= %s AND day <= %s",
                [report.project_id, report.start, report.end],
            )
            self.insert("campaign_daily", normalize(TABLES["campaign_daily"], rows))

    # -- plumbing ------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if self._database_key() not in self._migrated_for:
            self.migrate()

    def _database_key(self) -> str:
        return str(connections[self.alias].settings_dict["NAME"])

    @staticmethod
    def _prepare(row: Row, decimals: list[int], datetimes: list[int], integers: list[int]) -> Row:
        values = list(row)
        for index in integers:
            values[index] = int(values[index])
        for index in decimals:
            values[index] = int(values[index].scaleb(DECIMAL_SCALE))
        for index in datetimes:
            values[index] = to_naive_utc(values[index])
        return tuple(values)

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)

    def _fetch(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def _fetch_named(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
