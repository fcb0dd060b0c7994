"""The attempt log's warehouse side: attempt rows mirrored into the warehouse for reporting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from postbacks.models import Attempt, Delivery


def mirror(table: str, rows: list[dict[str, Any]]) -> None:
    """Write rows to the warehouse once the surrounding transaction has committed."""

    def write() -> None:
        from hazelnut.warehouse import get_warehouse

        get_warehouse().write(table, rows)

    transaction.on_commit(write)


def warehouse_attempt(
    delivery: Delivery, attempt: Attempt, outcome: str, at: dt.datetime
) -> dict[str, Any]:
    return {
        "project_id": delivery.project_id,
        "delivery_id": delivery.pk,
        "destination": delivery.destination,
        "event_kind": delivery.event_kind,
        "attempt": attempt.number,
        "status_code": attempt.response_status or 0,
        "outcome": outcome,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error,
        "attempted_at": at,
    }
