"""The attempt log's warehouse side: attempt rows mirrored into the warehouse for reporting."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def mirror(table: str, rows: list[dict[str, Any]]) -> None:
    """Write rows to the warehouse once the surrounding transaction has committed."""

    def write() -> None:
        from hazelnut.warehouse import get_warehouse

        get_warehouse().write(table, rows)

    transaction.on_commit(write)
