"""`manage.py outbox_relay`: a loop that republishes parked messages every few seconds."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ingest import outbox


class Command(BaseCommand):
    help = "Republish messages parked in the outbox while the broker was unavailable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between passes.")
        parser.add_argument("--once", action="store_true", help="Run a single pass and exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            sent = outbox.relay_once()
            if options["once"]:
                self.stdout.write(f"relayed {sent}, pending {outbox.depth()}")
                return
            if sent < outbox.BATCH_SIZE:
                time.sleep(options["interval"])
