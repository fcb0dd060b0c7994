"""Tasks of the ingest app, gathered here for Celery's autodiscovery."""

from ingest.outbox import relay

__all__ = ["relay"]
