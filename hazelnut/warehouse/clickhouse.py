"""The warehouse on ClickHouse over the native protocol (clickhouse-driver).

One client per process, used under a lock because the driver's client is not thread-safe; the
batch writer's background thread flushes by age, so a table sees at most about one insert per
`WAREHOUSE_FLUSH_SECONDS` unless it fills `WAREHOUSE_FLUSH_ROWS` first. Inserts are columnar.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from clickhouse_driver import Client
from clickhouse_driver import errors as ch_errors

from hazelnut.warehouse import queries
from hazelnut.warehouse.base import Warehouse
from hazelnut.warehouse.clickhouse_schema import MIGRATIONS, MIGRATIONS_TABLE, migrations_table_ddl
from hazelnut.warehouse.dialect import CLICKHOUSE
from hazelnut.warehouse.results import Breakdown, CampaignDay, EventCount, ReportFilter
from hazelnut.warehouse.rows import Row, WarehouseError, normalize, table_named, to_aware_utc
from hazelnut.warehouse.tables import TABLES

MUTATION_WAIT_SECONDS = 30


def _epoch(value: dt.datetime) -> int:
    # The driver turns datetimes into epoch seconds through pytz, several times slower than this;
    # it passes integers through. Naive datetimes mean UTC here.
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


class ClickHouseWarehouse(Warehouse):
    name = "clickhouse"
    transient_errors = (
        ch_errors.NetworkError,
        ch_errors.SocketTimeoutError,
        EOFError,
        ConnectionError,
        TimeoutError,
    )
    background_flush = True

    def __init__(self, url: str, *, flush_rows: int, flush_seconds: float) -> None:
        super().__init__(flush_rows=flush_rows, flush_seconds=flush_seconds)
        self.url = url
        parts = urlsplit(url)
        self.database = parts.path.lstrip("/") or "default"
        self._server_url = urlunsplit(parts._replace(path="/default"))
        self._client = Client.from_url(url)
        self._lock = threading.Lock()
        self._migrated = False

    def ping(self) -> None:
        self._execute("SELECT 1")

    def schema_version(self) -> int:
        rows = self._execute(f"SELECT max(version) FROM {MIGRATIONS_TABLE}")
        return int(rows[0][0] or 0)

    def migrate(self) -> list[int]:
        server = Client.from_url(self._server_url)
        try:
            server.execute(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        finally:
            server.disconnect()
        self._execute(migrations_table_ddl())
        current = self.schema_version()
        applied: list[int] = []
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements():
                self._execute(statement)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            self._execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES", [(version, now)]
            )
            applied.append(version)
        self._migrated = True
        return applied

    def insert(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self._ensure_schema()
        spec = table_named(table)
        columns = [
            list(map(_epoch, values)) if col.type == "DateTime" else list(values)
            for col, values in zip(spec.columns, zip(*rows, strict=True), strict=True)
        ]
        sql = f"INSERT INTO {table} ({', '.join(spec.column_names)}) VALUES"
        self._execute(sql, columns, columnar=True)

    def select(self, table: str, project_id: int) -> list[dict[str, Any]]:
        self._ensure_schema()
        spec = table_named(table)
        rows = self._execute(
            f"SELECT {', '.join(spec.column_names)} FROM {table} WHERE project_id = %(p)s",
            {"p": project_id},
        )
        return [
            {
                name: to_aware_utc(value) if isinstance(value, dt.datetime) else value
                for name, value in zip(spec.column_names, row, strict=True)
            }
            for row in rows
        ]

    def forget_project(self, project_id: int) -> None:
        self._ensure_schema()
        for table in TABLES:
            self._execute(f"ALTER TABLE {table} DELETE WHERE project_id = %(p)s", {"p": project_id})
        self._wait_for_mutations()

    def campaign_days(self, report: ReportFilter) -> list[CampaignDay]:
        self._ensure_schema()
        return queries.campaign_days(CLICKHOUSE, self._fetch_named, report)

    def install_breakdown(self, report: ReportFilter, by: str) -> list[Breakdown]:
        self._ensure_schema()
        return queries.install_breakdown(CLICKHOUSE, self._fetch_named, report, by)

    def event_counts(
        self, report: ReportFilter, kind: str, names: tuple[str, ...]
    ) -> list[EventCount]:
        self._ensure_schema()
        return queries.event_counts(CLICKHOUSE, self._fetch_named, report, kind, names)

    def daily(self, report: ReportFilter) -> list[CampaignDay]:
        self._ensure_schema()
        # FINAL: the latest computed_at per (project, day, campaign) even before merges run.
        return queries.daily(CLICKHOUSE, self._fetch_named, report, final=" FINAL")

    def _replace_daily(self, report: ReportFilter, rows: list[dict[str, Any]]) -> None:
        # Limit: a day that loses all its rows keeps its old campaign_daily rows (no delete here).
        self.insert("campaign_daily", normalize(TABLES["campaign_daily"], rows))

    def drop_database(self) -> None:
        """Drop the whole database; for throwaway test and bench databases only."""
        server = Client.from_url(self._server_url)
        try:
            server.execute(f"DROP DATABASE IF EXISTS {self.database}")
        finally:
            server.disconnect()
        self._migrated = False

    def close(self) -> None:
        super().close()
        with self._lock:
            self._client.disconnect()

    # -- plumbing ------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if not self._migrated:
            self.migrate()

    def _wait_for_mutations(self) -> None:
        # Limit: ALTER ... DELETE is asynchronous on 18.16 (no mutations_sync), so we poll.
        deadline = time.monotonic() + MUTATION_WAIT_SECONDS
        while time.monotonic() < deadline:
            pending = self._execute(
                "SELECT count() FROM system.mutations WHERE database = %(d)s AND is_done = 0",
                {"d": self.database},
            )
            if not pending[0][0]:
                return
            time.sleep(0.05)
        raise WarehouseError("ClickHouse mutations did not finish in time")

    def _fetch_named(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._execute(sql, params)

    def _execute(self, sql: str, params: Any = None, **kwargs: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                result = self._client.execute(sql, params, **kwargs)
            except self.transient_errors:
                # A broken socket must not be reused by the retry.
                self._client.disconnect()
                raise
        return list(result) if isinstance(result, list) else []
