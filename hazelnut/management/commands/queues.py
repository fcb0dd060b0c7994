"""`manage.py queues`: the backlog of every work queue (per partition on Kafka)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from hazelnut import backlog


class Command(BaseCommand):
    help = "Print unconsumed messages per queue: Kafka consumer lag per partition, or Redis depth."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = backlog.sample()
        totals: dict[str, int] = {}
        for row in rows:
            totals[row.queue] = totals.get(row.queue, 0) + row.messages
        self.stdout.write(f"{'queue':<14}{'topic':<34}{'partition':>10}{'backlog':>10}")
        for row in rows:
            if row.messages or row.partition is None:
                partition = "-" if row.partition is None else str(row.partition)
                self.stdout.write(
                    f"{row.queue:<14}{row.topic:<34}{partition:>10}{row.messages:>10}"
                )
        for queue, total in totals.items():
            self.stdout.write(f"total {queue}: {total}")
