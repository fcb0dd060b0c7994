"""Parked events whose install never finished attribution, released unattributed after a grace.

An event parked for its install (see `adopt`) waits at most HAZELNUT_PARKED_EVENT_RELEASE_HOURS
after it arrived: if no attributed install has taken it by then (the SDK never sent init, the
install message was lost, the install_instance_id was wrong), the parked-event sweep sends it on
the way an event that names no install goes, so no revenue is silently dropped: a warehouse row
without install, campaign or network, which the reports count as organic, and no network postback
or analytics forward, since both describe or credit an install. The parked flag is cleared by the
same conditional update adoption uses, so a release and an adoption racing for one event cannot
both send it. A released event stays unattributed for good: an install that appears later no
longer finds it parked, so it is neither sent again nor linked, and its revenue is counted once,
as organic, in the database and the warehouse alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from attribution.events import adopt, custom, payments, signup
from attribution.models import CustomEvent, Install, Payment, UserIdentity

log = structlog.get_logger(__name__)


def release_overdue(now: datetime | None = None, limit: int = 500) -> int:
    """Release the events parked longer than the grace, oldest first, at most `limit` of each
    kind; how many were released."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=int(settings.HAZELNUT_PARKED_EVENT_RELEASE_HOURS))
    overdue_payments = list(
        Payment.objects.filter(parked=True, received_at__lt=cutoff).order_by("received_at")[:limit]
    )
    overdue_custom = list(
        CustomEvent.objects.filter(parked=True, received_at__lt=cutoff).order_by("received_at")[
            :limit
        ]
    )
    overdue_signups = list(
        UserIdentity.objects.filter(data__parked=True, created_at__lt=cutoff).order_by(
            "created_at"
        )[:limit]
    )

    # An install that did finish (its signal lost) takes its events now; they are no longer
    # parked, so the claims below pass them over.
    instances = {(row.project_id, row.install_instance_id) for row in overdue_payments}
    instances |= {(row.project_id, row.install_instance_id) for row in overdue_custom}
    instances |= {(row.project_id, _signup_instance(row)) for row in overdue_signups}
    _adopt_finished(instances)

    released = sum(_release_row(row, payments._after_store, "payment") for row in overdue_payments)
    released += sum(_release_row(row, custom._after_store, "custom") for row in overdue_custom)
    released += sum(_release_signup(identity) for identity in overdue_signups)
    return released


def _signup_instance(identity: UserIdentity) -> str:
    return str(identity.data.get("install_instance_id") or "")


def _adopt_finished(instances: set[tuple[int, str]]) -> None:
    if not instances:
        return
    finished = Install.objects.filter(
        project_id__in={project_id for project_id, _ in instances},
        install_instance_id__in={instance_id for _, instance_id in instances},
        status=Install.Status.ATTRIBUTED,
    ).values_list("pk", "project_id", "install_instance_id")
    for install_id, project_id, instance_id in finished:
        if (project_id, instance_id) in instances:
            adopt.adopt(install_id)


def _release_row(row: Any, send: Callable[[Any, Any], None], kind: str) -> bool:
    """Claim a parked payment or custom event and send it on without an install."""
    with transaction.atomic():
        if not type(row).objects.filter(pk=row.pk, parked=True).update(parked=False):
            return False  # adopted (or released) in the meantime: theirs to send
        row.parked = False
        send(row, None)
    _log_released(kind, row.pk, row.project_id)
    return True


def _release_signup(identity: UserIdentity) -> bool:
    # The install_instance_id stays in `data`: it records which install the signup named.
    data = {key: value for key, value in identity.data.items() if key != "parked"}
    with transaction.atomic():
        if not UserIdentity.objects.filter(pk=identity.pk, data__parked=True).update(data=data):
            return False
        identity.data = data
        signup.release(identity, None)
    _log_released("signup", identity.pk, identity.project_id)
    return True


def _log_released(kind: str, object_id: int, project_id: int) -> None:
    log.info("attribution.events.released", kind=kind, object_id=object_id, project_id=project_id)
