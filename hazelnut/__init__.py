"""Hazelnut: the shared plumbing of the platform (settings, Celery, broker, warehouse, telemetry).

Nothing in this package imports a domain app; the domain apps build on it.
"""

from hazelnut.celery import app as celery_app

__all__ = ("celery_app",)
