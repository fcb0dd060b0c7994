"""What other apps may ask of the postbacks app: fan an install or an event out to networks,
and (for analytics) the delivery machine itself.

The fan-out calls only publish a task (after the surrounding transaction commits), so the caller
never waits on a network. The delivery functions give analytics the same frozen requests,
attempt log, retries, breaker and rate limit instead of a second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from hazelnut.celery import app
from hazelnut.http import HttpClient
from postbacks.frozen import JSON_HEADERS, DeliverySpec, FrozenRequest, Skip, json_body, with_query
from postbacks.networks.base import body_json, credentials
from postbacks.verdict import Classifier, Outcome, Verdict, by_status

FAN_OUT_INSTALL = "postbacks.fanout.install"
FAN_OUT_EVENT = "postbacks.fanout.event"
DELIVER = "postbacks.deliver"
SWEEP = "postbacks.sweep"

__all__ = [
    "JSON_HEADERS",
    "Classifier",
    "DeliverySpec",
    "FrozenRequest",
    "Outcome",
    "Skip",
    "Verdict",
    "body_json",
    "by_status",
    "create_delivery",
    "credentials",
    "fan_out_event",
    "fan_out_install",
    "http_client",
    "json_body",
    "map_event",
    "register_classifier",
    "run_delivery",
    "with_query",
]


def fan_out_install(install_id: int) -> None:
    transaction.on_commit(lambda: app.send_task(FAN_OUT_INSTALL, kwargs={"install_id": install_id}))


def fan_out_event(kind: str, object_id: int) -> None:
    """`kind` is signup, payment, custom or reengagement; `object_id` the row of that kind."""
    transaction.on_commit(
        lambda: app.send_task(FAN_OUT_EVENT, kwargs={"kind": kind, "object_id": object_id})
    )


def register_classifier(code: str, classifier: Classifier) -> None:
    """Teach the delivery machine how `code`'s answers read (requests name it as classifier)."""
    from postbacks import verdict

    verdict.register(code, classifier)


def create_delivery(spec: DeliverySpec) -> tuple[int, bool]:
    """Create the delivery (or find it by idempotency key); True when new and to be sent."""
    from postbacks import delivery
    from postbacks.models import Delivery

    row, created = delivery.create(spec)
    return row.pk, created and row.state == Delivery.State.PENDING


def http_client() -> HttpClient:
    """The process's outbound client for deliveries (for lookups a request depends on)."""
    from postbacks import sender

    return sender.client()


def run_delivery(
    delivery_id: int, client: HttpClient | None = None, *, recorded: bool = True
) -> float | None:
    """Try a delivery once; seconds until it should be tried again, or None when finished.

    Without `client` the try goes through the process's batched sender (when enabled), and
    returns once its attempt is written unless `recorded` is False (a task that only needs the
    delay need not wait for the write).
    """
    from postbacks import delivery, sender

    if client is None:
        return sender.deliver(delivery_id, recorded=recorded)
    return delivery.run(delivery_id, client)


@dataclass(frozen=True)
class DestinationHealth:
    destination: str
    delivered: int
    failed: int  # dead: out of retries, or refused for good
    in_flight: int  # pending or retrying


def delivery_health(project_id: int, since: datetime) -> list[DestinationHealth]:
    """Deliveries created since `since`, counted per destination (the dashboard's health panel)."""
    from django.db.models import Count, Q

    from postbacks.models import Delivery

    states = Delivery.State
    rows = (
        Delivery.objects.filter(project_id=project_id, created_at__gte=since)
        .values("destination")
        .annotate(
            delivered=Count("id", filter=Q(state=states.DELIVERED)),
            failed=Count("id", filter=Q(state=states.DEAD)),
            in_flight=Count("id", filter=Q(state__in=[states.PENDING, states.RETRYING])),
        )
        .order_by("destination")
    )
    return [DestinationHealth(**row) for row in rows]


def map_event(
    project_id: int,
    network_code: str,
    kind: str,
    network_event_name: str,
    *,
    source_event_name: str = "",
) -> None:
    """Send the project's `kind` events (a custom event: the one named `source_event_name`) to
    the network under its own event name, for the users it is credited with. Idempotent."""
    from attribution.models import AdNetwork
    from postbacks.models import EventKind, PostbackEventMap

    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    PostbackEventMap.objects.update_or_create(
        project_id=project_id,
        network=AdNetwork.objects.get(code=network_code),
        event_kind=kind,
        source_event_name=source_event_name,
        defaults={"network_event_name": network_event_name, "active": True},
    )
