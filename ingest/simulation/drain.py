"""Waiting for the pipeline to finish the traffic: every install sent attributed, and no
postback delivery of the run still pending or retrying. It gives up at the time limit, or
earlier when the installs are done and the open deliveries have stopped moving (a destination
that keeps failing would otherwise hold the report until the limit)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from tqdm import tqdm

from attribution.models import Install
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
    progress: bool = True,
) -> Drained:
    started = time.monotonic()
    last_open, moved_at = -1, started
    with tqdm(
        total=len(instance_ids), unit="install", desc="attributed", disable=not progress
    ) as bar:
        while True:
            stored, attributed = count_installs(project_id, instance_ids)
            bar.update(attributed - bar.n)
            pending = open_deliveries(project_id, since)
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
