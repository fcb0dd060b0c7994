"""When an event happened: the device's time unless the device clock runs ahead of ours.

A device clock ahead of the server by more than a few minutes makes networks refuse the event
(Meta rejects future event times), so beyond that tolerance the server's receive time is used and
the device's time is kept only as metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attribution import instants

TOLERANCE = dt.timedelta(minutes=5)


def parse_instant(value: Any) -> dt.datetime | None:
    """An ISO-8601 string or Unix seconds / milliseconds, as an aware UTC datetime; a value that
    is neither, or out of range, is None."""
    if isinstance(value, str):
        return instants.from_iso(value)
    number = instants.epoch_number(value)
    if number is None:
        return None
    return instants.from_epoch_seconds(number / 1000 if number > 1e11 else number)


def client_time(body: dict[str, Any], installed_at: dt.datetime | None) -> dt.datetime | None:
    for key in ("event_time", "timestamp", "client_timestamp", "occurred_at"):
        moment = parse_instant(body.get(key))
        if moment is not None:
            return moment
    since_install = body.get("time_since_app_install")
    seconds = None if isinstance(since_install, str) else instants.epoch_number(since_install)
    if installed_at is None or seconds is None or seconds < 0:
        return None
    try:
        return installed_at + dt.timedelta(seconds=seconds)
    except OverflowError:  # more seconds than a datetime can add
        return None


def effective(client: dt.datetime | None, received: dt.datetime) -> dt.datetime:
    if client is None or client > received + TOLERANCE:
        return received
    return client
