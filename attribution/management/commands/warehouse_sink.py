"""`manage.py warehouse_sink`: move spooled rows from Kafka into the warehouse, in batches.

Run one or more (same consumer group) when WAREHOUSE_SPOOL is on; see hazelnut/warehouse/spool.py.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hazelnut.warehouse import open_warehouse
from hazelnut.warehouse.sink import Sink, consumer_for, ensure_topic
from hazelnut.warehouse.spool import SPEC, bootstrap_servers, group_name, topic_name


class Command(BaseCommand):
    help = "Consume the warehouse spool topic into the warehouse (insert, then commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        # The registry's names under HAZELNUT_TOPIC_PREFIX, the ones the spool produces to.
        parser.add_argument("--topic", default=topic_name())
        parser.add_argument("--group", default=group_name())
        parser.add_argument("--exit-when-idle", type=float, help="Stop after this many idle s.")
        parser.add_argument(
            "--when-spooled",
            action="store_true",
            help="With WAREHOUSE_SPOOL off, wait quietly instead of failing (for the Procfile).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["when_spooled"] and not settings.WAREHOUSE_SPOOL:
            self.stdout.write("warehouse_sink: WAREHOUSE_SPOOL is off, tasks write directly")
            _wait_for_termination()
            return
        broker = str(settings.CELERY_BROKER_URL)
        if not broker.startswith("kafka://"):
            raise CommandError("warehouse_sink needs a kafka:// CELERY_BROKER_URL")
        bootstrap = bootstrap_servers(broker)
        target = open_warehouse(settings.WAREHOUSE_URL, spool=False)
        target.migrate()
        ensure_topic(bootstrap, options["topic"], SPEC.partitions, SPEC.retention_ms)
        consumer = consumer_for(bootstrap, options["topic"], options["group"])
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        sink = Sink(target, consumer, flush_seconds=float(settings.WAREHOUSE_FLUSH_SECONDS))
        try:
            stats = sink.run(stop, idle_exit_seconds=options["exit_when_idle"])
        finally:
            consumer.close()
            target.close()
        self.stdout.write(
            f"warehouse_sink: {stats.messages} messages, {stats.rows} rows, {stats.commits} commits"
        )


def _wait_for_termination() -> None:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
