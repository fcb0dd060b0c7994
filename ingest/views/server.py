"""Server-to-server data routes under /api/v1/ (auth: the `linkrunner-key` header)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request

from attribution import queries
from attribution.models import Project
from ingest import auth, ratelimit, schemas
from ingest.body import read_object
from ingest.errors import bad_request, envelope
from ingest.fields import Schema
from ingest.messages import request_ip
from ingest.views.base import EdgeView
from ingest.views.client import capture_event, capture_payment, remove_payments
from ingest.views.docs import SERVER_ERRORS, documented

TAG = "Server-to-server"


def identify(request: Request, limit: ratelimit.Limit) -> Project:
    ratelimit.check(ratelimit.SERVER_IP, request_ip(request))
    project = auth.server_project(request)
    ratelimit.check(limit, project.pk)
    return project


def accept(
    request: Request, schema: Schema, limit: ratelimit.Limit
) -> tuple[Project, dict[str, Any]]:
    project = identify(request, limit)
    _, body = read_object(request)
    return project, schema.validate(body)


class ServerCaptureEventView(EdgeView):
    @documented(
        schemas.SERVER_EVENT,
        summary="Custom event from your server",
        tag=TAG,
        request_example={
            "event_name": "subscription_upgraded",
            "user_id": "user-42",
            "event_data": {"plan": "pro"},
        },
        responses={
            201: ("Event capture request received!", {"event_id": None, "duplicate": False}),
            200: ("Event already received.", {"event_id": "ev-1", "duplicate": True}),
        },
        errors=SERVER_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.SERVER_EVENT, ratelimit.DATA)
        return capture_event(project.pk, fields, "s2s", "Event capture request received!")


class ServerCapturePaymentView(EdgeView):
    @documented(
        schemas.SERVER_PAYMENT,
        summary="Payment from your server",
        tag=TAG,
        request_example={
            "user_id": "user-42",
            "payment_id": "T-1001",
            "amount": 9.99,
            "currency": "USD",
            "type": "FIRST_PAYMENT",
        },
        responses={
            201: (
                "Payment received.",
                {"payment_id": "T-1001", "type": "FIRST_PAYMENT", "duplicate": False},
            ),
            200: (
                "Payment already received.",
                {"payment_id": "T-1001", "type": "FIRST_PAYMENT", "duplicate": True},
            ),
        },
        errors=SERVER_ERRORS,
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.SERVER_PAYMENT, ratelimit.DATA)
        return capture_payment(project.pk, fields, "s2s")


class ServerRemovePaymentView(EdgeView):
    @documented(
        schemas.SERVER_REMOVE_PAYMENT,
        summary="Remove a payment, or every payment of a user",
        tag=TAG,
        request_example={"user_id": "user-42", "payment_id": "T-1001"},
        responses={200: ("Payment removed successfully!", {"matched": 1})},
        errors={**SERVER_ERRORS, 400: SERVER_ERRORS[400]},
    )
    def post(self, request: Request) -> HttpResponse:
        project, fields = accept(request, schemas.SERVER_REMOVE_PAYMENT, ratelimit.DATA)
        if not fields.get("payment_id") and not fields.get("user_id"):
            raise bad_request(
                "missing_field", "Either payment_id or user_id is required.", "payment_id"
            )
        matched = remove_payments(project.pk, fields, "s2s")
        if not matched:
            raise bad_request("not_found", "No payment found.")
        return envelope("Payment removed successfully!", 200, {"matched": matched})


class AttributionResultView(EdgeView):
    @extend_schema(
        parameters=[
            OpenApiParameter("device_identifier", str, description="GAID or IDFA"),
            OpenApiParameter("user_id", str, description="Your user id; wins over the device"),
        ],
    )
    @documented(
        None,
        summary="Attribution of a user or device",
        tag=TAG,
        responses={
            200: (
                "Attribution result.",
                {
                    "campaign_name": "Spring sale",
                    "display_id": "spring24",
                    "deeplink": "myapp://promo/spring",
                    "domain_name": "go.example.test",
                    "ad_set_id": None,
                    "ad_set_name": None,
                    "ad_creative_id": None,
                    "ad_creative_name": None,
                    "keyword_id": None,
                    "keyword_name": None,
                    "ad_network": "META",
                    "attribution_type": "INORGANIC",
                },
            ),
            204: ("Nothing found.", None),
        },
        errors=SERVER_ERRORS,
        method="GET",
    )
    def get(self, request: Request) -> HttpResponse:
        project = identify(request, ratelimit.DATA)
        device = request.GET.get("device_identifier", "").strip()[:64] or None
        user_id = request.GET.get("user_id", "").strip()[:200] or None
        if not device and not user_id:
            raise bad_request("missing_field", "Either device_identifier or user_id is required.")
        result = queries.attribution_result(project.pk, device, user_id)
        if result is None:
            return HttpResponse(status=204)
        return envelope("Attribution result.", 200, result)
