"""EventMessage payloads as ingest publishes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from attribution.contracts import EventMessage


def message(
    project_id: int,
    body: dict[str, Any],
    *,
    instance: str | None = "inst-1",
    user_id: str | None = None,
    received_at: dt.datetime | None = None,
    origin: str = "sdk",
) -> EventMessage:
    received = received_at or dt.datetime.now(dt.UTC)
    return {
        "project_id": project_id,
        "install_instance_id": instance,
        "user_id": user_id,
        "received_at": received.isoformat(),
        "origin": origin,
        "body": body,
    }
