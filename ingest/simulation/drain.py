"""Waiting for the pipeline to finish the traffic: every install sent attributed, every event
stored, and no postback delivery of the run still pending or retrying. It gives up at the time
limit, or earlier when the installs are done and what is still open has stopped moving (a
destination that keeps failing would otherwise hold the report until the limit)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from tqdm import tqdm

from attribution.models import CustomEvent, Install, Payment, UserIdentity
from postbacks.models import Delivery

POLL_SECONDS = 0.5
STALL_SECONDS = 30.0
_CHUNK = 500  # SQLite caps the variables of one query


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
        project_id=project_id,
        created_at__gte=since,
        state__in=[Delivery.State.PENDING, Delivery.State.RETRYING],
    ).count()


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
    with tqdm(
        total=len(instance_ids), unit="install", desc="attributed", disable=not progress
    ) as bar:
        while True:
            stored, attributed = count_installs(project_id, instance_ids)
            bar.update(attributed - bar.n)
            events = stored_events(project_id, since)
            missing = sum(max(0, n - events.get(kind, 0)) for kind, n in wanted.items())
            pending = open_deliveries(project_id, since) + missing
            now = time.monotonic()
            if pending != last_open:
                last_open, moved_at = pending, now
            installs_done = attributed >= len(instance_ids)
            if installs_done and pending == 0:
                return Drained(attributed, stored, pending, now - started, False)
            stalled = installs_done and now - moved_at >= STALL_SECONDS
            if stalled or now - started >= timeout:
                return Drained(attributed, stored, pending, now - started, True, stalled)
            time.sleep(POLL_SECONDS)
