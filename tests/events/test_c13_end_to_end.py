"""C13 from the SDK's HTTP call to the network: the edge answers, the event task stores, the
fan-out posts. Tasks run in-process as a worker would run them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client

from attribution.models import Install, Payment, Project
from ingest import auth, kv
from postbacks.models import PostbackEventMap
from tests.postbacks import receivers
from tests.postbacks.conftest import network


@pytest.fixture(autouse=True)
def _fresh_edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The edge's idempotency keys live in Redis: a namespace of this test's own."""
    prefix = f"hztest-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(kv, "PREFIX", prefix)
    auth.clear_cache()
    yield
    keys = list(kv.client().scan_iter(f"{prefix}:*"))
    if keys:
        kv.client().delete(*keys)


def _payment(token: str, payment_id: str, amount: float) -> bytes:
    body = {
        "token": token,
        "user_id": "u-13",
        "payment_id": payment_id,
        "amount": amount,
        "currency": "USD",
        "type": "DEFAULT",
        "status": "PAYMENT_COMPLETED",
        "platform": "IOS",
        "install_instance_id": "inst-c13-http",
        "data": {"device_data": {}},
    }
    return json.dumps(body).encode()


def test_c13_http_replay_is_stored_once_and_posted_once(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    make_install(code="META", instance="inst-c13-http")
    PostbackEventMap.objects.create(
        project=project,
        network=network("META"),
        event_kind="payment",
        network_event_name="Purchase",
    )
    client = Client()
    with receivers.serve(receivers.meta) as meta:
        account("META", meta.url, dataset_id="ds", access_token="tok")
        statuses = [
            client.post(
                "/api/client/capture-payment",
                data=_payment(project.token, payment_id, amount),
                content_type="application/json",
            ).status_code
            for payment_id, amount in (("T-1001", 9.99), ("T-1001", 9.99), ("T-1002", 4.99))
        ]

    assert statuses == [201, 200, 201]
    assert Payment.objects.filter(project=project).count() == 2
    total = Payment.objects.filter(project=project).aggregate(total=Sum("amount"))["total"]
    assert total == Decimal("14.98")
    purchases = [r.json()["data"][0] for r in meta.received]
    assert [p["event_name"] for p in purchases] == ["Purchase", "Purchase"]
    assert sorted(p["custom_data"]["value"] for p in purchases) == [4.99, 9.99]
