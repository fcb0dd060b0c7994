"""The batch writer: rows buffered per table, flushed by size, by age, or on demand.

A backend hands it an `insert(table, rows)` function. Writes only append; a table is flushed when
it holds `flush_rows` rows or its oldest row is `flush_seconds` old (checked on each write and,
for backends that allow it, by a background thread), and every table is flushed by `flush()`.
A failed insert puts the rows back in front of the buffer and raises, so whoever called `flush()`
(the Kafka transport before it commits offsets, a task before it returns) learns that the rows are
not durable and must not acknowledge them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from hazelnut import metrics
from hazelnut.warehouse.rows import Row

log = structlog.get_logger(__name__)

Insert = Callable[[str, list[Row]], None]


class BatchWriter:
    def __init__(
        self,
        insert: Insert,
        *,
        flush_rows: int,
        flush_seconds: float,
        background: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._insert = insert
        self.flush_rows = max(1, flush_rows)
        self.flush_seconds = flush_seconds
        self._clock = clock
        self._buffers: dict[str, list[Row]] = {}
        self._oldest: dict[str, float] = {}
        self._lock = threading.Lock()
        # One insert at a time keeps per-table order and the one-insert-per-interval pace.
        self._flush_lock = threading.Lock()
        self._background = background and flush_seconds > 0
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.inserts = 0

    def pending(self, table: str | None = None) -> int:
        with self._lock:
            if table is not None:
                return len(self._buffers.get(table, ()))
            return sum(len(rows) for rows in self._buffers.values())

    def add(self, table: str, rows: list[Row]) -> None:
        if not rows:
            return
        with self._lock:
            buffer = self._buffers.get(table)
            if not buffer:
                buffer = self._buffers[table] = []
                self._oldest[table] = self._clock()
            buffer.extend(rows)
            # With a background thread, age is its job; the hot path only checks size.
            due = len(buffer) >= self.flush_rows or (not self._background and self._is_old(table))
        if self._thread is None and self._background:
            self._ensure_thread()
        if due:
            self.flush_table(table)

    def flush(self) -> int:
        """Insert everything buffered; returns the rows written. Raises if any insert failed."""
        written = 0
        with self._lock:
            tables = [name for name, rows in self._buffers.items() if rows]
        for table in tables:
            written += self.flush_table(table)
        return written

    def flush_table(self, table: str) -> int:
        with self._flush_lock:
            with self._lock:
                rows = self._buffers.pop(table, [])
                self._oldest.pop(table, None)
            if not rows:
                return 0
            try:
                self._insert(table, rows)
            except BaseException:
                self._put_back(table, rows)
                raise
            self.inserts += 1
            metrics.WAREHOUSE_FLUSH_ROWS.labels(table=table).observe(len(rows))
            return len(rows)

    def close(self) -> None:
        self._stopped.set()

    def _put_back(self, table: str, rows: list[Row]) -> None:
        with self._lock:
            self._buffers[table] = rows + self._buffers.get(table, [])
            self._oldest.setdefault(table, self._clock())

    def _is_old(self, table: str) -> bool:
        started = self._oldest.get(table)
        return started is not None and self._clock() - started >= self.flush_seconds

    def _ensure_thread(self) -> None:
        if not self._background or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="warehouse-flusher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        tick = max(self.flush_seconds / 4, 0.05)
        while not self._stopped.wait(tick):
            with self._lock:
                due = [name for name in self._buffers if self._buffers[name] and self._is_old(name)]
            for table in due:
                try:
                    self.flush_table(table)
                except Exception as error:  # noqa: BLE001 - rows are kept; the next flush retries
                    log.warning("warehouse.flush.failed", table=table, error=type(error).__name__)
