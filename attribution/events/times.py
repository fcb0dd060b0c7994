"""When an event happened: the device's time unless the device clock runs ahead of ours.

A device clock ahead of the server by more than a few minutes makes networks refuse the event
(Meta rejects future event times), so beyond that tolerance the server's receive time is used and
the device's time is kept only as metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

TOLERANCE = dt.timedelta(minutes=5)


def parse_instant(value: Any) -> dt.datetime | None:
    """An ISO-8601 string or Unix seconds / milliseconds, as an aware UTC datetime."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def client_time(body: dict[str, Any], installed_at: dt.datetime | None) -> dt.datetime | None:
    for key in ("event_time", "timestamp", "client_timestamp", "occurred_at"):
        moment = parse_instant(body.get(key))
        if moment is not None:
            return moment
    since_install = body.get("time_since_app_install")
    if installed_at is not None and isinstance(since_install, int | float) and since_install >= 0:
        return installed_at + dt.timedelta(seconds=float(since_install))
    return None


def effective(client: dt.datetime | None, received: dt.datetime) -> dt.datetime:
    if client is None or client > received + TOLERANCE:
        return received
    return client
