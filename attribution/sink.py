"""Where the attribution app writes warehouse rows: a thin seam over `hazelnut.warehouse`.

Tests swap the writer with `use_writer` to see exactly which rows were written; everything else
goes to the process's warehouse (ClickHouse or the SQL backend), which batches and flushes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

Writer = Callable[[str, Sequence[Mapping[str, Any]]], None]

_override: Writer | None = None


def _warehouse_write(table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    from hazelnut.warehouse import get_warehouse

    get_warehouse().write(table, rows)


def write(table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Hand rows for a warehouse table (columns in hazelnut/warehouse/tables.py) to the writer."""
    (_override or _warehouse_write)(table, rows)


@contextmanager
def use_writer(writer: Writer) -> Iterator[None]:
    """Route writes to `writer` for the duration (tests, benchmarks)."""
    global _override
    previous, _override = _override, writer
    try:
        yield
    finally:
        _override = previous
