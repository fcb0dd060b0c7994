"""What other apps may ask of the analytics app: forward an install or an event."""

from __future__ import annotations

from django.db import transaction

from hazelnut.celery import app

FORWARD_INSTALL = "analytics.fanout.install"
FORWARD_EVENT = "analytics.fanout.event"
DELIVER = "analytics.deliver"


def forward_install(install_id: int) -> None:
    transaction.on_commit(lambda: app.send_task(FORWARD_INSTALL, kwargs={"install_id": install_id}))


def forward_event(kind: str, object_id: int) -> None:
    transaction.on_commit(
        lambda: app.send_task(FORWARD_EVENT, kwargs={"kind": kind, "object_id": object_id})
    )
