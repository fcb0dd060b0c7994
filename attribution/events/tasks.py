"""Event tasks on the events queue. Ingest publishes each EventMessage as the keyword
arguments of the task, so the tasks take `**fields`."""

from __future__ import annotations

from typing import Any, cast

import structlog

from attribution.contracts import (
    RECORD_CUSTOM_EVENT,
    RECORD_PAYMENT,
    RECORD_SIGNUP,
    REMOVE_PAYMENT,
    EventMessage,
)
from attribution.events import adopt, custom, orphans, payments, signup
from hazelnut.tasks import task

log = structlog.get_logger(__name__)


@task(RECORD_SIGNUP)
def record_signup(**fields: Any) -> None:
    message = cast(EventMessage, fields)
    result = signup.record(message)
    log.info("attribution.events.signup", identity_id=result.identity_id, created=result.created)


@task(RECORD_PAYMENT)
def record_payment(**fields: Any) -> None:
    message = cast(EventMessage, fields)
    result = payments.record(message)
    log.info("attribution.events.payment", payment_id=result.payment_id, duplicate=result.duplicate)


@task(REMOVE_PAYMENT)
def remove_payment(**fields: Any) -> None:
    message = cast(EventMessage, fields)
    removed = payments.remove(message)
    log.info("attribution.events.payment_removed", removed=removed)


@task(RECORD_CUSTOM_EVENT)
def record_custom_event(**fields: Any) -> None:
    message = cast(EventMessage, fields)
    result = custom.record(message)
    log.info("attribution.events.custom", event_id=result.event_id, duplicate=result.duplicate)


@task(adopt.ADOPT)
def adopt_install_events(install_id: int) -> None:
    adopt.adopt(install_id)


@task(adopt.ADOPT_PARKED)
def adopt_parked_events() -> None:
    """The parked-event sweep: adopt what finished installs left waiting, then release what
    waited past the grace (adoption first, so nothing adoptable goes out unattributed)."""
    adopt.adopt_parked()
    orphans.release_overdue()
