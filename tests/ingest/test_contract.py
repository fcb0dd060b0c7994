"""What the edge publishes is what the consumers take: each message fed to its real task."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from attribution import tasks as attribution_tasks
from attribution.events import tasks as event_tasks
from attribution.models import Campaign, Click, CustomEvent, Install, Payment, UserIdentity
from tests.ingest.conftest import Api, Published

CONSUMERS: dict[str, Any] = {
    "attribution.installs.attribute": attribution_tasks.attribute_install,
    "attribution.clicks.record": attribution_tasks.record_click,
    "attribution.clicks.page_view": attribution_tasks.record_page_view,
    "attribution.events.signup": event_tasks.record_signup,
    "attribution.events.payment": event_tasks.record_payment,
    "attribution.events.custom": event_tasks.record_custom_event,
}
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def test_published_messages_run_in_their_tasks(api: Api, published: Published) -> None:
    api.project.allowed_origins = "*"
    api.project.save()
    Campaign.objects.create(project=api.project, display_id="cmp", name="Campaign")
    install = {"install_instance_id": "i1", "platform": "IOS"}

    api.sdk("init", {**install, "device_data": {"idfv": "v-1"}})
    api.sdk("trigger", {**install, "user_data": {"id": "u1"}})
    api.sdk("capture-payment", {**install, "user_id": "u1", "payment_id": "P1", "amount": 9.99})
    api.sdk("capture-event", {**install, "event_name": "구매 완료", "event_id": "e1"})
    Client().get("/cmp?utm_source=news", headers={"user-agent": IPHONE})
    api.raw(
        "/web/ingest",
        b'{"token": "%s", "event_type": "page_view", "event_id": "pv1",'
        b' "page_url": "https://x.test/?utm_source=web"}' % api.project.web_token.encode(),
    )
    for task_name, kwargs in published.messages:
        CONSUMERS[task_name](**kwargs)

    assert len(published.messages) == 6
    assert Install.objects.get().install_instance_id == "i1"
    assert UserIdentity.objects.get().user_id == "u1"
    assert list(Payment.objects.values_list("amount", "currency")) == [(Decimal("9.99"), "USD")]
    assert list(CustomEvent.objects.values_list("name", flat=True)) == ["구매 완료"]
    assert Click.objects.count() == 2
