"""Ingest: the HTTP edge (SDK, server-to-server, web collector, campaign links).

It authenticates, validates and publishes work to the queues; it owns no domain logic.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _outbox_check() -> dict[str, Any]:
    from hazelnut import metrics
    from ingest import outbox

    depth = outbox.depth()
    metrics.OUTBOX_DEPTH.set(depth)
    return {"depth": depth}


class IngestConfig(AppConfig):
    name = "ingest"

    def ready(self) -> None:
        from hazelnut import health

        health.register_check("outbox", _outbox_check)
