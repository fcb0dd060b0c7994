"""Payments: stored once per (type, payment_id), amounts as decimals, removable.

A replay of a known (type, payment_id) is an idempotent success: nothing stored twice, nothing
posted twice. Only completed payments are revenue and go on to networks and analytics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from analytics import api as analytics
from attribution.contracts import EventMessage
from attribution.events import ledger, linking, times
from attribution.models import Payment
from attribution.models.event import PaymentStatus, PaymentType
from postbacks import api as postbacks


@dataclass(frozen=True)
class PaymentResult:
    payment_id: int
    duplicate: bool


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("amount is not a decimal number") from None
    if not amount.is_finite():
        raise ValueError("amount is not a finite number")
    return amount.quantize(Decimal("0.0001"))


def _choice(value: Any, choices: type[PaymentType] | type[PaymentStatus], default: str) -> str:
    text = str(value or default).upper()
    if text not in choices.values:
        raise ValueError(f"unknown value {text}")
    return text


def _currency(value: Any) -> str:
    code = str(value or "USD").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("currency must be an ISO 4217 code")
    return code


def record(message: EventMessage) -> PaymentResult:
    body = message["body"]
    project_id = message["project_id"]
    payment_type = _choice(body.get("type"), PaymentType, PaymentType.DEFAULT)
    payment_key = str(body.get("payment_id") or "")
    if payment_key:
        existing = Payment.objects.filter(
            project_id=project_id, type=payment_type, payment_id=payment_key
        ).first()
        if existing is not None:
            return PaymentResult(existing.pk, duplicate=True)
    install = linking.install_for(project_id, message["install_instance_id"], message["user_id"])
    received = times.parse_instant(message["received_at"]) or timezone.now()
    client = times.client_time(body, install.installed_at if install else None)
    fields = {
        "install": install,
        "campaign_id": linking.campaign_of(install),
        "user_id": str(message["user_id"] or body.get("user_id") or ""),
        "status": _choice(body.get("status"), PaymentStatus, PaymentStatus.PAYMENT_COMPLETED),
        "amount": _amount(body.get("amount")),
        "currency": _currency(body.get("currency")),
        "event_data": body.get("event_data"),
        "install_instance_id": message["install_instance_id"] or "",
        "occurred_at": times.effective(client, received),
        "client_occurred_at": client,
        "parked": linking.must_wait(install, message["install_instance_id"]),
    }
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                project_id=project_id, type=payment_type, payment_id=payment_key, **fields
            )
            _after_store(payment, install)
    except IntegrityError:
        existing = Payment.objects.get(
            project_id=project_id, type=payment_type, payment_id=payment_key
        )
        return PaymentResult(existing.pk, duplicate=True)
    return PaymentResult(payment.pk, duplicate=False)


def _after_store(payment: Payment, install: Any) -> None:
    """Warehouse row and fan-out now, unless the payment waits for its install (see adopt)."""
    if payment.parked:
        return
    ledger.write([warehouse_row(payment, install)])
    if payment.status == PaymentStatus.PAYMENT_COMPLETED and install is not None:
        postbacks.fan_out_event("payment", payment.pk)
        analytics.forward_event("payment", payment.pk)


def warehouse_row(payment: Payment, install: Any, *, removal: bool = False) -> dict[str, Any]:
    completed = payment.status == PaymentStatus.PAYMENT_COMPLETED
    amount = payment.amount if completed else Decimal(0)
    return ledger.row(
        payment.project_id,
        install,
        user_id=payment.user_id,
        kind="payment_removed" if removal else "payment",
        name=payment.type,
        event_key=payment.payment_id or f"row:{payment.pk}",
        occurred_at=payment.occurred_at,
        # A removal repeats the payment's amount; reports subtract it (hazelnut.warehouse).
        amount=amount,
        currency=payment.currency,
    )


def removable(project_id: int, user_id: str | None, payment_id: str | None) -> Q | None:
    """The unremoved payments a removal names: the user's payment with that id, any payment with
    that id when no user is named, every payment of the user when no id is; None for neither."""
    if not payment_id and not user_id:
        return None
    query = Q(project_id=project_id, removed_at__isnull=True)
    if payment_id:
        query &= Q(payment_id=payment_id)
    if user_id:
        query &= Q(user_id=user_id)
    return query


def remove(message: EventMessage) -> int:
    """Mark the payments the message names removed (see `removable`); how many."""
    body = message["body"]
    payment_key = str(body.get("payment_id") or "")
    user_id = str(message["user_id"] or body.get("user_id") or "")
    query = removable(message["project_id"], user_id, payment_key)
    if query is None:
        raise ValueError("payment removal needs payment_id or user_id")
    now = timezone.now()
    with transaction.atomic():
        payments = list(
            Payment.objects.select_for_update(of=("self",)).select_related("install").filter(query)
        )
        Payment.objects.filter(pk__in=[p.pk for p in payments]).update(removed_at=now)
        ledger.write([warehouse_row(p, p.install, removal=True) for p in payments])
    return len(payments)
