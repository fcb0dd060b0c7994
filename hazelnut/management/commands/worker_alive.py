"""`manage.py worker_alive --max-age 30`: exit 0 when a worker heartbeat is fresh, else 1."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hazelnut.worker import newest_heartbeat_age


class Command(BaseCommand):
    help = "Liveness probe for Celery workers: checks the age of the newest heartbeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=float, default=30.0, help="Seconds (default 30).")

    def handle(self, *args: Any, **options: Any) -> None:
        age = newest_heartbeat_age()
        if age is None:
            raise CommandError("no worker heartbeat recorded yet")
        if age > options["max_age"]:
            raise CommandError(f"newest worker heartbeat is {age:.1f}s old")
        self.stdout.write(f"alive: newest heartbeat {age:.1f}s old")
