"""What other apps may ask of the postbacks app: fan an install or an event out to networks.

Both calls only publish a task (after the surrounding transaction commits), so the caller never
waits on a network.
"""

from __future__ import annotations

from django.db import transaction

from hazelnut.celery import app

FAN_OUT_INSTALL = "postbacks.fanout.install"
FAN_OUT_EVENT = "postbacks.fanout.event"


def fan_out_install(install_id: int) -> None:
    transaction.on_commit(lambda: app.send_task(FAN_OUT_INSTALL, kwargs={"install_id": install_id}))


def fan_out_event(kind: str, object_id: int) -> None:
    """`kind` is signup, payment, custom or reengagement; `object_id` the row of that kind."""
    transaction.on_commit(
        lambda: app.send_task(FAN_OUT_EVENT, kwargs={"kind": kind, "object_id": object_id})
    )
