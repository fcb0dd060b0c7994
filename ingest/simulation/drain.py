"""Waiting for the pipeline to finish the traffic: every install sent attributed, every event
stored, and every postback delivery the run causes in a final state (delivered, skipped or
dead). Which deliveries those are is worked out from the stored installs and events with the
fan-out's own rules, so a delivery whose fan-out task has not run yet is waited for too rather
than missed. It gives up at the time limit, or earlier when the installs are done and what is
still open has stopped moving (a destination that keeps failing would otherwise hold the report
until the limit); either way the report fails."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from tqdm import tqdm

from attribution.api import EventFacts, event_facts, install_facts
from attribution.models import CustomEvent, Install, Payment, Reengagement, UserIdentity
from postbacks.fanout import specs
from postbacks.models import Delivery

POLL_SECONDS = 0.5
STALL_SECONDS = 30.0
_CHUNK = 500  # SQLite caps the variables of one query
OPEN = (Delivery.State.PENDING, Delivery.State.RETRYING)
FINAL = (Delivery.State.DELIVERED, Delivery.State.SKIPPED, Delivery.State.DEAD)


@dataclass(frozen=True)
class Drained:
    attributed: int
    stored: int
    open_deliveries: int
    seconds: float
    timed_out: bool
    stalled: bool = False


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def count_installs(project_id: int, instance_ids: Sequence[str]) -> tuple[int, int]:
    """(stored, attributed) among these install instance ids."""
    stored = attributed = 0
    for part in chunks(instance_ids):
        rows = Install.objects.filter(project_id=project_id, install_instance_id__in=part)
        stored += rows.count()
        attributed += rows.filter(status=Install.Status.ATTRIBUTED).count()
    return stored, attributed


def stored_events(project_id: int, since: datetime) -> dict[str, int]:
    """Signups, payments and custom events the project stored since the run began."""
    return {
        "signups": UserIdentity.objects.filter(
            project_id=project_id, created_at__gte=since
        ).count(),
        "payments": Payment.objects.filter(project_id=project_id, received_at__gte=since).count(),
        "custom_events": CustomEvent.objects.filter(
            project_id=project_id, received_at__gte=since
        ).count(),
    }


def open_deliveries(project_id: int, since: datetime) -> int:
    return Delivery.objects.filter(
        project_id=project_id, created_at__gte=since, state__in=OPEN
    ).count()


def caused(project_id: int, instance_ids: Sequence[str], since: datetime) -> set[str]:
    """Idempotency keys of every delivery the run's installs and events lead to, from the
    fan-out's rules (call it once they are all attributed and stored)."""
    keys: set[str] = set()
    for part in chunks(instance_ids):
        runs = Install.objects.filter(project_id=project_id, install_instance_id__in=part)
        for install_id in runs.values_list("pk", flat=True):
            install = install_facts(install_id)
            if install is not None and install.attributed:
                keys.update(spec.idempotency_key for spec in specs(install, None, quiet=True))
        reengagements = Reengagement.objects.filter(
            project_id=project_id, install__install_instance_id__in=part
        )
        for object_id in reengagements.values_list("pk", flat=True):
            keys.update(_event_keys(event_facts("reengagement", object_id)))
    for kind, rows in (
        ("signup", UserIdentity.objects.filter(project_id=project_id, created_at__gte=since)),
        ("payment", Payment.objects.filter(project_id=project_id, received_at__gte=since)),
        ("custom", CustomEvent.objects.filter(project_id=project_id, received_at__gte=since)),
    ):
        for object_id in rows.values_list("pk", flat=True):
            keys.update(_event_keys(event_facts(kind, object_id)))
    return keys


def _event_keys(event: EventFacts | None) -> set[str]:
    # The fan-out sends nothing for an event without an attributed install (postbacks.tasks).
    if event is None or event.install is None or not event.install.attributed:
        return set()
    return {spec.idempotency_key for spec in specs(event.install, event, quiet=True)}


def unfinished(project_id: int, keys: set[str], since: datetime) -> int:
    """Deliveries among `keys` not made or not final yet, and any other open one of the run."""
    finished: set[str] = set()
    for part in chunks(sorted(keys)):
        finished.update(
            Delivery.objects.filter(idempotency_key__in=part, state__in=FINAL).values_list(
                "idempotency_key", flat=True
            )
        )
    still_open = set(
        Delivery.objects.filter(
            project_id=project_id, created_at__gte=since, state__in=OPEN
        ).values_list("idempotency_key", flat=True)
    )
    return len(keys - finished) + len(still_open - keys)


def wait(
    project_id: int,
    instance_ids: Sequence[str],
    since: datetime,
    timeout: float,
    *,
    events_sent: dict[str, int] | None = None,
    progress: bool = True,
) -> Drained:
    """Wait for the installs, the events (`events_sent` per kind of stored_events) and the
    postbacks they lead to."""
    wanted = events_sent or {}
    started = time.monotonic()
    last_open, moved_at = -1, started
    keys: set[str] | None = None  # known once every install is attributed and event stored
    with tqdm(
        total=len(instance_ids), unit="install", desc="attributed", disable=not progress
    ) as bar:
        while True:
            stored, attributed = count_installs(project_id, instance_ids)
            bar.update(attributed - bar.n)
            events = stored_events(project_id, since)
            missing = sum(max(0, n - events.get(kind, 0)) for kind, n in wanted.items())
            installs_done = attributed >= len(instance_ids)
            if keys is None and installs_done and missing == 0:
                keys = caused(project_id, instance_ids, since)
            if keys is None:
                pending = open_deliveries(project_id, since) + missing
            else:
                pending = unfinished(project_id, keys, since)
            now = time.monotonic()
            if pending != last_open:
                last_open, moved_at = pending, now
            if keys is not None and pending == 0:
                return Drained(attributed, stored, pending, now - started, False)
            stalled = installs_done and now - moved_at >= STALL_SECONDS
            if stalled or now - started >= timeout:
                return Drained(attributed, stored, pending, now - started, True, stalled)
            time.sleep(POLL_SECONDS)
