"""RevenueCat's webhook, `POST /webhook/revenuecat`: subscription events become payments.

RevenueCat sends the Authorization header value set in its dashboard; `manage.py
revenuecat_token <project id>` makes that value (only its digest is kept). Each event is a payment
of its `app_user_id`, deduplicated on RevenueCat's event id (its retries resend the same id), with
the type and status the contract maps RevenueCat's event types to. RevenueCat retries anything
but a 2xx, so events we do not count (TEST, sandbox purchases, types without a payment meaning)
are answered 200 and stored nowhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from attribution.models.event import PaymentStatus, PaymentType
from ingest import auth, ratelimit, schemas
from ingest.body import read_object
from ingest.errors import bad_request, envelope
from ingest.views.base import EdgeView
from ingest.views.client import capture_payment
from ingest.views.docs import SERVER_ERRORS, documented

COMPLETED, FAILED, CANCELLED = (
    PaymentStatus.PAYMENT_COMPLETED,
    PaymentStatus.PAYMENT_FAILED,
    PaymentStatus.PAYMENT_CANCELLED,
)
# RevenueCat event type -> (payment type, payment status). An expiration moves no money.
MAPPING = {
    "INITIAL_PURCHASE": (PaymentType.FIRST_PAYMENT, COMPLETED),
    "RENEWAL": (PaymentType.SUBSCRIPTION_RENEWED, COMPLETED),
    "UNCANCELLATION": (PaymentType.SUBSCRIPTION_RENEWED, COMPLETED),
    "PRODUCT_CHANGE": (PaymentType.SUBSCRIPTION_RENEWED, COMPLETED),
    "NON_RENEWING_PURCHASE": (PaymentType.ONE_TIME, COMPLETED),
    "CANCELLATION": (PaymentType.SUBSCRIPTION_CANCELLED, CANCELLED),
    "REFUND": (PaymentType.SUBSCRIPTION_REFUNDED, CANCELLED),
    "BILLING_ISSUE": (PaymentType.SUBSCRIPTION_BILLING_ISSUE, FAILED),
    "EXPIRATION": (PaymentType.DEFAULT, CANCELLED),
}
# Kept with the payment as its event_data, when RevenueCat sends them as text.
FACTS = (
    "product_id",
    "store",
    "environment",
    "transaction_id",
    "original_transaction_id",
    "country_code",
    "period_type",
)


class RevenueCatView(EdgeView):
    @documented(
        None,
        summary="RevenueCat webhook: subscription events as payments",
        tag="Integrations",
        responses={
            201: ("Payment received.", {"payment_id": "rc-event-id", "duplicate": False}),
            200: ("Event ignored.", {"ignored": "TEST"}),
        },
        errors=SERVER_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project = auth.revenuecat_project(request)
        ratelimit.check(ratelimit.DATA, project.pk)
        _, body = read_object(request)
        event = body.get("event")
        if not isinstance(event, dict):
            raise bad_request("missing_field", "'event' must be a JSON object.", "event")
        kind = event.get("type")
        if kind not in MAPPING or event.get("environment") == "SANDBOX":
            ignored = "SANDBOX" if kind in MAPPING else str(kind)[:64]
            return envelope("Event ignored.", 200, {"ignored": ignored})
        payment_type, status = MAPPING[kind]
        fields = schemas.SERVER_PAYMENT.validate(
            {
                "user_id": event.get("app_user_id"),
                "payment_id": event.get("id"),
                "amount": _price(event),
                "currency": event.get("currency") or "USD",
                "type": payment_type,
                "status": status,
                "event_data": _facts(event),
            }
        )
        if not fields.get("payment_id"):
            raise bad_request("missing_field", "'event.id' is required.", "event.id")
        fields["event_time"] = event.get("event_timestamp_ms")
        return capture_payment(project.pk, fields, "revenuecat")


def _price(event: dict[str, Any]) -> int | Decimal:
    """What the user paid, in `currency`. A refund or cancellation may carry a negative price;
    its status keeps it out of revenue either way."""
    price = event.get("price_in_purchased_currency")
    if price is None:
        price = event.get("price")
    if isinstance(price, bool) or not isinstance(price, int | Decimal):
        return 0
    return Decimal(price).copy_abs()


def _facts(event: dict[str, Any]) -> dict[str, str]:
    facts = {key: event[key] for key in FACTS if isinstance(event.get(key), str)}
    return {"revenuecat_type": str(event["type"]), **facts}
