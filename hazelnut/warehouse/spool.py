"""The Kafka spool: how prefork workers feed ClickHouse in batches without acking unwritten rows.

Under Celery's prefork pool each child must make its rows durable before its task returns (see
`hooks.py`), which would mean one ClickHouse insert per task and table. With the spool, a child's
flush produces its rows to a Kafka topic and waits for the broker's acknowledgement instead, which
Kafka takes at any rate; `manage.py warehouse_sink` consumes that topic, inserts into ClickHouse
at most about once per `WAREHOUSE_FLUSH_SECONDS` per table, and commits its offsets only after
the insert. Reads go straight to the target warehouse. The topic and the sink's consumer group
are registered in `hazelnut/queues.py` and carry the deployment's HAZELNUT_TOPIC_PREFIX.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

from hazelnut.queues import TOPICS, Topic
from hazelnut.warehouse import codec
from hazelnut.warehouse.base import Warehouse
from hazelnut.warehouse.results import Breakdown, CampaignDay, EventCount, ReportFilter
from hazelnut.warehouse.rows import Row, WarehouseError

SPEC = TOPICS[Topic.WAREHOUSE_ROWS]
PRODUCE_TIMEOUT_SECONDS = 10.0


def topic_prefix() -> str:
    """HAZELNUT_TOPIC_PREFIX, read where the Kafka transport (and every topic it names) reads it."""
    return str(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("topic_prefix", ""))


def topic_name() -> str:
    return SPEC.name(topic_prefix())


def group_name() -> str:
    return SPEC.group_name(topic_prefix())


def bootstrap_servers(broker_url: str) -> str:
    """`kafka://host:9092[,host2:9092]` -> `host:9092[,host2:9092]`."""
    return broker_url.split("://", 1)[1].split("/", 1)[0]


class SpoolWarehouse(Warehouse):
    """Writes go to the Kafka topic; everything else goes to `target`."""

    name = "spool"
    background_flush = False

    def __init__(
        self,
        target: Warehouse,
        bootstrap: str,
        *,
        topic: str,
        flush_rows: int,
        flush_seconds: float,
    ) -> None:
        from confluent_kafka import Producer

        super().__init__(flush_rows=flush_rows, flush_seconds=flush_seconds)
        self.target = target
        self.topic = topic
        self.name = f"{target.name}+spool"
        self._producer = Producer(
            {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
             "linger.ms": 5, "compression.type": "lz4"}
        )  # fmt: skip

    def insert(self, table: str, rows: Sequence[Row]) -> None:
        failures: list[str] = []

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                failures.append(str(error))

        self._producer.produce(
            self.topic, codec.encode(table, rows), key=table.encode(), on_delivery=delivered
        )
        undelivered = self._producer.flush(PRODUCE_TIMEOUT_SECONDS)
        if undelivered or failures:
            raise WarehouseError(f"spool: {table} rows not acknowledged by Kafka: {failures}")

    def ping(self) -> None:
        self.target.ping()
        self._producer.list_topics(timeout=5)

    def migrate(self) -> list[int]:
        return self.target.migrate()

    def schema_version(self) -> int:
        return self.target.schema_version()

    def select(self, table: str, project_id: int) -> list[dict[str, Any]]:
        return self.target.select(table, project_id)

    def forget_project(self, project_id: int) -> None:
        self.target.forget_project(project_id)

    def campaign_days(self, report: ReportFilter) -> list[CampaignDay]:
        return self.target.campaign_days(report)

    def install_breakdown(self, report: ReportFilter, by: str) -> list[Breakdown]:
        return self.target.install_breakdown(report, by)

    def event_counts(
        self, report: ReportFilter, kind: str, names: tuple[str, ...]
    ) -> list[EventCount]:
        return self.target.event_counts(report, kind, names)

    def daily(self, report: ReportFilter) -> list[CampaignDay]:
        return self.target.daily(report)

    def _replace_daily(self, report: ReportFilter, rows: list[dict[str, Any]]) -> None:
        self.target._replace_daily(report, rows)
