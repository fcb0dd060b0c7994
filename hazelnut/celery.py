"""The Celery application; workers start it with `celery -A hazelnut worker -Q <queue>`."""

from __future__ import annotations

import os

from celery import Celery

from hazelnut import broker
from hazelnut.config import settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
settings_or_exit()
broker.register()

app = Celery("hazelnut")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["attribution", "postbacks", "analytics", "ingest"])
app.autodiscover_tasks(["hazelnut"], related_name="backlog")

# Signal handlers (telemetry, log context, task metrics, liveness) for every worker process.
import hazelnut.worker  # noqa: E402, F401
