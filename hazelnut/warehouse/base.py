"""The warehouse interface both backends implement.

Writers call `write(table, rows)` with dicts; rows are checked against `tables.py` at once and
buffered by a `BatchWriter`; `flush()` makes them durable. Inserts are retried on the backend's
transient errors only. Readers call the report queries, which return plain frozen dataclasses so
that callers never see which backend answered.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from hazelnut.warehouse.buffer import BatchWriter
from hazelnut.warehouse.results import Breakdown, CampaignDay, EventCount, ReportFilter
from hazelnut.warehouse.rows import Row, shape_named

log = structlog.get_logger(__name__)

INSERT_ATTEMPTS = 4


class Warehouse(ABC):
    name: str = "abstract"
    transient_errors: tuple[type[BaseException], ...] = ()
    background_flush: bool = False

    def __init__(self, *, flush_rows: int, flush_seconds: float) -> None:
        self.writer = BatchWriter(
            self._insert_with_retry,
            flush_rows=flush_rows,
            flush_seconds=flush_seconds,
            background=self.background_flush,
        )

    # -- writing -------------------------------------------------------------------------
    def write(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Buffer rows for `table`; raises at once on an unknown table or column."""
        build = shape_named(table).row
        self.writer.add(table, [build(row) for row in rows])

    def flush(self) -> int:
        """Write every buffered row now; raises (keeping the rows) if the backend fails."""
        return self.writer.flush()

    def pending(self) -> int:
        return self.writer.pending()

    def close(self) -> None:
        self.writer.close()

    def _insert_with_retry(self, table: str, rows: list[Row]) -> None:
        retrying = Retrying(
            retry=retry_if_exception_type(self.transient_errors),
            stop=stop_after_attempt(INSERT_ATTEMPTS),
            wait=wait_exponential(multiplier=0.1, max=2),
            reraise=True,
            before_sleep=lambda state: log.warning(
                "warehouse.insert.retry", table=table, attempt=state.attempt_number
            ),
        )
        for attempt in retrying:
            with attempt:
                self.insert(table, rows)

    # -- backend -------------------------------------------------------------------------
    @abstractmethod
    def ping(self) -> None: ...

    @abstractmethod
    def migrate(self) -> list[int]:
        """Bring the schema up to date; returns the versions applied now."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def insert(self, table: str, rows: Sequence[Row]) -> None:
        """Insert rows (already normalized) right away, unbuffered."""

    @abstractmethod
    def select(self, table: str, project_id: int) -> list[dict[str, Any]]:
        """Every stored row of one project (DateTimes aware UTC), for checks; not for hot paths."""

    @abstractmethod
    def forget_project(self, project_id: int) -> None:
        """Delete a project's rows from every table."""

    # -- reports -------------------------------------------------------------------------
    @abstractmethod
    def campaign_days(self, report: ReportFilter) -> list[CampaignDay]:
        """Counts and revenue by campaign and UTC day, sorted by (campaign_id, day)."""

    @abstractmethod
    def install_breakdown(self, report: ReportFilter, by: str) -> list[Breakdown]:
        """Installs by `network`, `attribution_type` or `platform`, largest first."""

    @abstractmethod
    def event_counts(
        self, report: ReportFilter, kind: str, names: tuple[str, ...]
    ) -> list[EventCount]:
        """Distinct `kind` events (custom, payment) per campaign among `names`, by day occurred."""

    @abstractmethod
    def daily(self, report: ReportFilter) -> list[CampaignDay]:
        """The materialized `campaign_daily` rows (see `rollup`), sorted by (campaign_id, day)."""

    @abstractmethod
    def _replace_daily(self, report: ReportFilter, rows: list[dict[str, Any]]) -> None: ...

    def rollup(self, report: ReportFilter) -> int:
        """Recompute `campaign_daily` for the report's days from the raw tables."""
        if (report.campaign_ids, report.network, report.platform) != (None, None, None):
            raise ValueError("campaign_daily holds unfiltered totals only")
        now = dt.datetime.now(dt.UTC)
        rows = [
            {"project_id": report.project_id, "computed_at": now, **_daily_fields(day)}
            for day in self.campaign_days(report)
        ]
        self._replace_daily(report, rows)
        return len(rows)


def _daily_fields(day: CampaignDay) -> dict[str, Any]:
    return {name: getattr(day, name) for name in DAILY_FIELDS} | {"day": day.day}


DAILY_FIELDS = (
    "campaign_id",
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
