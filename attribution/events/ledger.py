"""Warehouse rows of the user_events table, written after the event's transaction commits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from attribution.models import Install


def row(
    project_id: int,
    install: Install | None,
    *,
    user_id: str,
    kind: str,
    name: str,
    event_key: str,
    occurred_at: dt.datetime,
    amount: Decimal = Decimal(0),
    currency: str = "",
) -> dict[str, Any]:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return {
        "project_id": project_id,
        "install_id": install.pk if install else 0,
        "user_id": user_id,
        "kind": kind,
        "name": name,
        "event_key": event_key,
        "campaign_id": (install.campaign_id or 0) if install else 0,
        "network": install.network_code if install else "",
        "amount": amount,
        "currency": currency,
        "occurred_at": occurred_at,
        "installed_at": install.installed_at if install else epoch,
    }


def write(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return

    def flush() -> None:
        from hazelnut.warehouse import get_warehouse

        get_warehouse().write("user_events", rows)

    transaction.on_commit(flush)
