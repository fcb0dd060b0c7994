"""Turn an install or an event into one delivery per active analytics destination.

Deliveries go through the postbacks delivery machine (frozen request, attempt log, retries with
backoff, shared breaker and rate limit) under destinations named `analytics:<platform>`, so the
attempts land in the analytics_deliveries warehouse table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

from django.utils import timezone

from analytics.models import AnalyticsDestination
from analytics.platforms import PLATFORMS, base, braze
from attribution.api import EventFacts, InstallFacts
from hazelnut.http import HttpClient
from postbacks.api import DeliverySpec, FrozenRequest, Skip, credentials

PREFIX = "analytics:"
_NAMESPACE = uuid.UUID("0f7d9c1e-8a43-4f5e-b2aa-3c6d1e9f4b71")


def specs(
    install: InstallFacts,
    event: EventFacts | None,
    client: HttpClient,
    now: dt.datetime | None = None,
) -> Iterator[DeliverySpec]:
    now = now or timezone.now()
    kind = "install" if event is None else event.kind
    subject = f"install:{install.install_id}" if event is None else f"{kind}:{event.object_id}"
    destinations = AnalyticsDestination.objects.filter(project_id=install.project_id, active=True)
    for destination in destinations:
        platform = PLATFORMS.get(destination.platform)
        if platform is None:
            continue
        key = f"{subject}:{PREFIX}{platform.code}"
        context = base.Context(
            credentials(destination.credentials),
            destination.endpoint,
            now,
            str(uuid.uuid5(_NAMESPACE, key)),
        )
        request: FrozenRequest | Skip
        if platform.code == braze.CODE:
            request = braze.build(install, event, context, client)
        else:
            request = platform.build(install, event, context)
        yield DeliverySpec(
            project_id=install.project_id,
            destination=PREFIX + platform.code,
            event_kind=kind,
            event_name=base.event_name(event),
            idempotency_key=key,
            subject={
                "install_id": install.install_id,
                "object_id": event.object_id if event else None,
            },
            request=request,
        )
