"""The Celery application; workers start it with `celery -A hazelnut worker -Q <queue>`."""

from __future__ import annotations

import os

from celery import Celery

from hazelnut import broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
broker.register()

app = Celery("hazelnut")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["attribution", "postbacks", "analytics", "ingest", "hazelnut"])
