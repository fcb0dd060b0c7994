"""RevenueCat's webhook: its events become payments of the contract's types and statuses."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from attribution.contracts import RECORD_PAYMENT, EventMessage
from attribution.events import payments
from attribution.models import Payment
from tests.ingest.conftest import Api, Published

URL = "/webhook/revenuecat"


@pytest.fixture
def token(api: Api) -> str:
    out = StringIO()
    call_command("revenuecat_token", str(api.project.pk), stdout=out)
    return out.getvalue().strip()


def _event(kind: str = "INITIAL_PURCHASE", **changes: Any) -> dict[str, Any]:
    event = {
        "id": "1a2b3c4d-0000-4000-8000-000000000001",
        "type": kind,
        "app_user_id": "user-42",
        "environment": "PRODUCTION",
        "event_timestamp_ms": 1658726378679,
        "product_id": "com.subscription.weekly",
        "store": "APP_STORE",
        "transaction_id": "123456789012345",
        "currency": "EUR",
        "price": 5.41,
        "price_in_purchased_currency": 4.99,
        **changes,
    }
    return {"api_version": "1.0", "event": event}


def _post(api: Api, body: dict[str, Any], authorization: str | None) -> Any:
    headers = {"authorization": authorization} if authorization is not None else {}
    return api.raw(URL, json.dumps(body).encode(), **headers)


def test_a_purchase_becomes_a_first_payment_once(
    api: Api, published: Published, token: str
) -> None:
    first = _post(api, _event(), token)
    again = _post(api, _event(), f"Bearer {token}")

    assert (first.status_code, api.envelope(first)["data"]["duplicate"]) == (201, False)
    assert (again.status_code, api.envelope(again)["data"]["duplicate"]) == (200, True)
    (message,) = published.of(RECORD_PAYMENT)
    assert (message["origin"], message["user_id"]) == ("revenuecat", "user-42")
    body = message["body"]
    assert {k: body[k] for k in ("payment_id", "amount", "currency", "type", "status")} == {
        "payment_id": "1a2b3c4d-0000-4000-8000-000000000001",
        "amount": "4.99",
        "currency": "EUR",
        "type": "FIRST_PAYMENT",
        "status": "PAYMENT_COMPLETED",
    }
    assert body["event_data"]["product_id"] == "com.subscription.weekly"

    payments.record(cast(EventMessage, message))  # what the events worker does with it
    stored = Payment.objects.get()
    assert (stored.user_id, stored.type, str(stored.amount)) == (
        "user-42",
        "FIRST_PAYMENT",
        "4.9900",
    )
    assert stored.client_occurred_at is not None
    assert stored.client_occurred_at.isoformat() == "2022-07-25T05:19:38.679000+00:00"


@pytest.mark.parametrize(
    ("kind", "price", "payment_type", "status"),
    [
        ("RENEWAL", 4.99, "SUBSCRIPTION_RENEWED", "PAYMENT_COMPLETED"),
        ("NON_RENEWING_PURCHASE", 19, "ONE_TIME", "PAYMENT_COMPLETED"),
        ("CANCELLATION", -4.99, "SUBSCRIPTION_CANCELLED", "PAYMENT_CANCELLED"),
        ("BILLING_ISSUE", 0, "SUBSCRIPTION_BILLING_ISSUE", "PAYMENT_FAILED"),
    ],
)
def test_event_types_map_to_payment_types_and_statuses(
    api: Api,
    published: Published,
    token: str,
    kind: str,
    price: float,
    payment_type: str,
    status: str,
) -> None:
    response = _post(api, _event(kind, price_in_purchased_currency=price), token)

    assert response.status_code == 201
    (message,) = published.of(RECORD_PAYMENT)
    body = message["body"]
    assert (body["type"], body["status"], body["amount"]) == (payment_type, status, str(abs(price)))


@pytest.mark.parametrize(
    ("changes", "ignored"),
    [({"type": "TEST"}, "TEST"), ({"environment": "SANDBOX"}, "SANDBOX")],
)
def test_test_and_sandbox_events_are_acknowledged_and_not_stored(
    api: Api, published: Published, token: str, changes: dict[str, str], ignored: str
) -> None:
    body = _event()
    body["event"].update(changes)

    response = _post(api, body, token)

    assert (response.status_code, api.envelope(response)["data"]) == (200, {"ignored": ignored})
    assert published.messages == []


def test_bad_webhooks_are_refused_with_a_reason(api: Api, published: Published, token: str) -> None:
    missing = _post(api, _event(), None)
    wrong = _post(api, _event(), "hz_rc_not-the-token")
    no_user = _post(api, _event(app_user_id=None), token)
    no_event = _post(api, {"api_version": "1.0"}, token)

    assert (missing.status_code, api.envelope(missing)["data"]["error"]) == (401, "missing_key")
    assert (wrong.status_code, api.envelope(wrong)["data"]["error"]) == (401, "invalid_key")
    assert api.envelope(no_user)["data"] == {"error": "missing_field", "field": "user_id"}
    assert api.envelope(no_event)["data"] == {"error": "missing_field", "field": "event"}
    assert published.messages == []


def test_the_admin_action_shows_a_token_the_webhook_accepts(api: Api, published: Published) -> None:
    admin = User.objects.create_superuser("admin", "admin@example.test", "pw")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/attribution/project/",
        {"action": "rotate_revenuecat_token", "_selected_action": [str(api.project.pk)]},
        follow=True,
    )
    (shown,) = [str(m) for m in response.context["messages"] if "RevenueCat" in str(m)]
    token = shown.rsplit(" ", 1)[1]

    assert token.startswith("hz_rc_")
    assert _post(api, _event(), token).status_code == 201
