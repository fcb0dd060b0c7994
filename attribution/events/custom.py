"""Custom events: any unicode name, stored NFC-normalised, once per event_id when one is sent."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics import api as analytics
from attribution.contracts import EventMessage
from attribution.events import ledger, linking, times
from attribution.models import CustomEvent
from postbacks import api as postbacks

MAX_NAME = 500


@dataclass(frozen=True)
class CustomResult:
    event_id: int
    duplicate: bool


def normalise_name(name: Any) -> str:
    text = unicodedata.normalize("NFC", str(name or "")).strip()
    if not text:
        raise ValueError("event_name is empty")
    return text[:MAX_NAME]


def record(message: EventMessage) -> CustomResult:
    body = message["body"]
    project_id = message["project_id"]
    event_key = str(body.get("event_id") or "")
    if event_key:
        existing = CustomEvent.objects.filter(project_id=project_id, event_id=event_key).first()
        if existing is not None:
            return CustomResult(existing.pk, duplicate=True)
    install = linking.install_for(project_id, message["install_instance_id"], message["user_id"])
    received = times.parse_instant(message["received_at"]) or timezone.now()
    client = times.client_time(body, install.installed_at if install else None)
    data = body.get("event_data")
    try:
        with transaction.atomic():
            event = CustomEvent.objects.create(
                project_id=project_id,
                install=install,
                campaign_id=linking.campaign_of(install),
                user_id=str(message["user_id"] or ""),
                event_id=event_key,
                name=normalise_name(body.get("event_name")),
                data=data if isinstance(data, dict) else None,
                install_instance_id=message["install_instance_id"] or "",
                occurred_at=times.effective(client, received),
                client_occurred_at=client,
                parked=linking.must_wait(install, message["install_instance_id"]),
            )
            _after_store(event, install)
    except IntegrityError:
        existing = CustomEvent.objects.get(project_id=project_id, event_id=event_key)
        return CustomResult(existing.pk, duplicate=True)
    return CustomResult(event.pk, duplicate=False)


# What the warehouse's Decimal(18, 4) holds; ingest refuses larger amounts, older rows may not.
_LARGEST = Decimal("1e14")


def _amount(event: CustomEvent) -> Decimal:
    amount = (event.data or {}).get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return Decimal(0)
    value = Decimal(str(amount))
    if not value.is_finite() or abs(value) >= _LARGEST:
        return Decimal(0)
    return value.quantize(Decimal("0.0001"))


def warehouse_row(event: CustomEvent, install: Any) -> dict[str, Any]:
    return ledger.row(
        event.project_id,
        install,
        user_id=event.user_id,
        kind="custom",
        name=event.name,
        event_key=event.event_id or f"row:{event.pk}",
        occurred_at=event.occurred_at,
        amount=_amount(event),
        currency=str((event.data or {}).get("currency") or ""),
    )


def _after_store(event: CustomEvent, install: Any) -> None:
    """Warehouse row and fan-out now, unless the event waits for its install (see adopt)."""
    if event.parked:
        return
    ledger.write([warehouse_row(event, install)])
    if install is not None:
        postbacks.fan_out_event("custom", event.pk)
        analytics.forward_event("custom", event.pk)
