"""The SDK routes under /api/client/ other than `init` (see ingest.views.init).

They validate, publish and answer at once; payment removal is published like the other payment
messages (the events task owns it). The routes that read or update the install in the database
are in ingest.views.installs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from rest_framework.request import Request

from attribution import queries
from attribution.contracts import (
    HANDLE_DEEPLINK,
    RECORD_CUSTOM_EVENT,
    RECORD_PAYMENT,
    RECORD_SIGNUP,
    REMOVE_PAYMENT,
)
from ingest import auth, idempotency, links, messages, schemas
from ingest.errors import bad_request, envelope
from ingest.publish import publish
from ingest.views.base import EdgeView
from ingest.views.docs import SDK_ERRORS, documented
from ingest.views.sdk import accept

TAG = "SDK"
IID = "kXb3Lq9Zr2Tt7Yw1Pm0a"


def skan_values(project_id: int, event: str, revenue: Decimal | None = None) -> dict[str, Any]:
    """SKAN fields for the iOS SDK (it ignores their absence); rules cached like the project."""
    rules = auth.cached("skan", str(project_id), lambda: queries.skan_rules(project_id))
    return queries.skan_values(rules, event, revenue) if rules else {}


def instance_of(fields: dict[str, Any]) -> str:
    return messages.instance_id(fields) or ""


USER_ID_MAX_LENGTH = 200


def user_data_id(user_data: dict[str, Any]) -> str:
    """`user_data.id` as a string (a whole number is taken as its digits), or the 400 that says
    whether it is missing, of the wrong type or too long."""
    value = user_data.get("id")
    if value is None or value == "":
        raise bad_request("missing_field", "'user_data.id' is required.", "user_data.id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise bad_request("invalid_type", "'user_data.id' must be a string.", "user_data.id")
    if len(value) > USER_ID_MAX_LENGTH:
        raise bad_request(
            "too_long",
            f"'user_data.id' is longer than {USER_ID_MAX_LENGTH} characters.",
            "user_data.id",
        )
    return value


class InitDocView(EdgeView):
    """Documentation only: requests to this path are served by ingest.views.init."""

    @documented(
        schemas.INIT,
        summary="App start: registers the install or a session",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "package_version": "4.0.1",
            "app_version": "2.3.0",
            "device_data": {"idfv": "...", "system_version": "17.4"},
            "platform": "IOS",
            "source": "GENERAL",
            "install_instance_id": IID,
        },
        responses={200: ("Init successful.", {"is_first_launch": True, "deeplink": None})},
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        from ingest.views.init import init

        return init(request._request)


class SignupView(EdgeView):
    @documented(
        schemas.TRIGGER,
        summary="User signup or login (`trigger`)",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "user_data": {"id": "user-42", "name": "Ada"},
            "platform": "ANDROID",
            "install_instance_id": IID,
            "data": {"referral_code": "FRIEND10"},
        },
        responses={
            200: ("Signup received.", {"trigger": True, "deeplink": "myapp://promo/spring"})
        },
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.TRIGGER)
        fields["user_data"]["id"] = fields["user_id"] = user_data_id(fields["user_data"])
        publish(RECORD_SIGNUP, messages.event(project.pk, fields, "sdk"))
        # Legacy SDKs open `deeplink` when `trigger` is true, then call deeplink-triggered.
        found = queries.unopened_deeplink(project.pk, instance_of(fields))
        deeplink = links.deferred_deeplink(*found) if found else None
        data = {"trigger": deeplink is not None, "deeplink": deeplink}
        data.update(skan_values(project.pk, "signup"))
        return envelope("Signup received.", 200, data)


class CaptureEventView(EdgeView):
    @documented(
        schemas.CAPTURE_EVENT,
        summary="Custom in-app event",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "event_name": "level_completed",
            "event_data": {"level": 3},
            "device_data": {},
            "install_instance_id": IID,
            "platform": "IOS",
            "event_id": "ev-0001",
        },
        responses={
            201: ("Event received.", {"event_id": "ev-0001", "duplicate": False}),
            200: ("Event already received.", {"event_id": "ev-0001", "duplicate": True}),
        },
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.CAPTURE_EVENT)
        skan = skan_values(project.pk, fields["event_name"])
        return capture_event(project.pk, fields, "sdk", extra=skan)


def capture_event(
    project_id: int,
    fields: dict[str, Any],
    origin: str,
    msg: str = "Event received.",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Publish an event once per event_id; a replay is a success marked duplicate."""
    event_id = fields.get("event_id") or ""
    if event_id and not idempotency.claim(
        "event", project_id, event_id, lambda: queries.event_exists(project_id, event_id)
    ):
        data = {"event_id": event_id, "duplicate": True, **(extra or {})}
        return envelope("Event already received.", 200, data)
    try:
        publish(RECORD_CUSTOM_EVENT, messages.event(project_id, fields, origin))
    except Exception:
        if event_id:
            idempotency.release("event", project_id, event_id)
        raise
    return envelope(msg, 201, {"event_id": event_id or None, "duplicate": False, **(extra or {})})


class CapturePaymentView(EdgeView):
    @documented(
        schemas.CAPTURE_PAYMENT,
        summary="Payment (revenue)",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "user_id": "user-42",
            "payment_id": "T-1001",
            "amount": 9.99,
            "currency": "USD",
            "type": "FIRST_PAYMENT",
            "status": "PAYMENT_COMPLETED",
            "platform": "ANDROID",
            "install_instance_id": IID,
            "data": {"device_data": {}},
        },
        responses={
            201: ("Payment received.", {"payment_id": "T-1001", "duplicate": False}),
            200: ("Payment already received.", {"payment_id": "T-1001", "duplicate": True}),
        },
        errors={
            **SDK_ERRORS,
            400: SDK_ERRORS[400],
        },
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.CAPTURE_PAYMENT)
        skan = skan_values(project.pk, "payment", fields["amount"])
        return capture_payment(project.pk, fields, "sdk", extra=skan)


def capture_payment(
    project_id: int, fields: dict[str, Any], origin: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """Publish a payment once per (type, payment_id); a replay is a success marked duplicate."""
    payment_id = fields.get("payment_id") or ""
    payment_type = fields["type"]
    ident = f"{payment_type}:{payment_id}"
    if payment_id and not idempotency.claim(
        "payment",
        project_id,
        ident,
        lambda: queries.payment_exists(project_id, payment_type, payment_id),
    ):
        data = {"payment_id": payment_id, "type": payment_type, "duplicate": True, **(extra or {})}
        return envelope("Payment already received.", 200, data)
    try:
        publish(RECORD_PAYMENT, messages.event(project_id, fields, origin))
    except Exception:
        if payment_id:
            idempotency.release("payment", project_id, ident)
        raise
    data = {
        "payment_id": payment_id or None,
        "type": payment_type,
        "duplicate": False,
        **(extra or {}),
    }
    return envelope("Payment received.", 201, data)


class RemovePaymentView(EdgeView):
    @documented(
        schemas.REMOVE_PAYMENT,
        summary="Remove a captured payment (or all of a user's payments)",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "user_id": "user-42",
            "payment_id": "T-1001",
            "platform": "IOS",
            "install_instance_id": IID,
        },
        responses={200: ("Payment removal received.", {"matched": 1})},
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.REMOVE_PAYMENT)
        if not fields.get("payment_id") and not fields.get("user_id"):
            raise bad_request(
                "missing_field", "'payment_id' or 'user_id' is required.", "payment_id"
            )
        matched = remove_payments(project.pk, fields, "sdk")
        return envelope("Payment removal received.", 200, {"matched": matched})


def remove_payments(project_id: int, fields: dict[str, Any], origin: str) -> int:
    """Publish a removal of the payments it names; returns how many are stored right now.

    The events task does the removal (and its warehouse rows); the count only lets the server
    API answer "no payment found" at once, as its contract asks.
    """
    # Limit: a removal processed before its payment is stored removes nothing (no deferred removal).
    matched = queries.live_payment_count(
        project_id, fields.get("user_id") or None, fields.get("payment_id") or None
    )
    if matched or origin == "sdk":
        publish(REMOVE_PAYMENT, messages.event(project_id, fields, origin))
    return matched


class HandleDeeplinkView(EdgeView):
    @documented(
        schemas.HANDLE_DEEPLINK,
        summary="App opened by a link: resolve it and record a re-engagement",
        tag=TAG,
        request_example={
            "token": "proj_tok_example",
            "platform": "IOS",
            "install_instance_id": IID,
            "deeplink_url": "https://app.example.test/spring24?ref=ada",
            "device_data": {},
            "timestamp": 1700000000000,
        },
        responses={
            200: (
                "Deep link handled.",
                {
                    "deeplink": "myapp://promo/spring?ref=ada",
                    "is_linkrunner": True,
                    "processing": True,
                },
            )
        },
        errors=SDK_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.HANDLE_DEEPLINK)
        resolved = links.resolve_app_link(project.pk, fields["deeplink_url"])
        if resolved is None:
            data = {"deeplink": fields["deeplink_url"], "is_linkrunner": False, "processing": False}
            return envelope("Not a campaign link.", 200, data)
        publish(HANDLE_DEEPLINK, messages.deeplink(project.pk, fields, request))
        data = {"deeplink": resolved, "is_linkrunner": True, "processing": True}
        return envelope("Deep link handled.", 200, data)
