"""Dead letters of the Kafka transport: find them, decode them and send them back to work.

The transport writes a rejected or retries-exhausted task message to `<prefix><queue>.dlq`
with its body and envelope unchanged plus headers saying why (see `hazelnut.broker.redelivery`).
Here those topics are read without joining any consumer group (partitions are assigned by hand,
from the low to the high watermark seen at the start), so operators never disturb the workers.
A replay republishes a dead record's body and headers to its work topic, minus the dead-letter
headers, so the delivery count starts again. Which records were already replayed is kept in a
Redis set per dead-letter topic (not in a committed consumer group, whose single offset per
partition cannot remember "replayed 3 and 7 but not 5" after a filtered replay); members carry
the record's timestamp too, so a recreated topic reusing offsets is not mistaken for the old.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

import redis
import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.conf import settings
from kombu.exceptions import ContentDisallowed, DecodeError
from kombu.serialization import loads as kombu_loads

from hazelnut.broker import wire
from hazelnut.broker.clients import ConfluentClients
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options

log = structlog.get_logger(__name__)

_TIMEOUT_S = 10.0
_POLL_S = 0.5
_BATCH = 500
_DAY_S = 86_400
# The headers the transport adds when it dead-letters a record; the delivery count goes too,
# so a replayed task gets the full retry budget again.
DEAD_LETTER_HEADERS = (wire.REASON, wire.ERROR, wire.ORIGIN, wire.DELIVERIES)
_REDIS_KEY = "hazelnut:deadletters:replayed:"
_TRUSTED_CONTENT = ("application/json",)
# Like the transport's own producer: no duplicates from librdkafka retries, stored on all replicas.
# A record Kafka cannot store in time fails inside the flush wait of its batch, not after it.
_PRODUCER = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "message.timeout.ms": 25_000,
}


class NotKafka(Exception):
    """The configured broker is not Kafka, so there are no dead-letter topics to read."""


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    names: Names
    options: Options

    def dead_letter_topic(self, queue: str) -> str:
        return self.names.dead_letter(queue)


def broker() -> Broker:
    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith("kafka://"):
        raise NotKafka(url.split("://", 1)[0])
    parts = urlsplit(url)
    bootstrap = f"{parts.hostname or '127.0.0.1'}:{parts.port or 9092}"
    options = Options.parse(bootstrap, dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}))
    return Broker(bootstrap, Names(options.topic_prefix), options)


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: wire.Headers = field(default_factory=list)

    def text(self, name: str) -> str:
        raw = wire.header(self.headers, name)
        return raw.decode("utf-8", "replace") if raw is not None else ""

    @property
    def reason(self) -> str:
        return self.text(wire.REASON)

    @property
    def error(self) -> str:
        return self.text(wire.ERROR)

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    @cached_property
    def message(self) -> dict[str, Any]:
        """The kombu message as a consumer would see it (body still encoded)."""
        return wire.decode(self.value, self.headers)

    @property
    def task_name(self) -> str:
        # Celery's task protocol 2 (its default since 4.0) names the task in the headers.
        return str(self.message["headers"].get("task") or "")

    @property
    def task_id(self) -> str:
        return str(self.message["headers"].get("id") or "")

    @property
    def marker(self) -> str:
        return f"{self.partition}:{self.offset}:{self.timestamp_ms}"

    def replay_headers(self) -> wire.Headers:
        return wire.without(self.headers, *DEAD_LETTER_HEADERS)

    def body(self) -> Any:
        """The decoded task body, or None when it is not JSON (never unpickled here)."""
        message = self.message
        content_type = message.get("content-type") or ""
        if content_type not in _TRUSTED_CONTENT:
            return None
        try:
            return kombu_loads(
                self.value,
                content_type,
                message.get("content-encoding") or "utf-8",
                accept=_TRUSTED_CONTENT,
            )
        except (DecodeError, ContentDisallowed, ValueError):
            # A malformed body is shown raw rather than stopping the listing.
            return None


# Reading ---------------------------------------------------------------------------------------


def _consumer(bootstrap: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            # librdkafka insists on a group id; with assign() it is never joined or committed.
            "group.id": f"hazelnut-deadletters-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "enable.partition.eof": True,
        }
    )


def _partitions(consumer: Consumer, topic: str) -> list[int]:
    described = consumer.list_topics(topic, timeout=_TIMEOUT_S).topics.get(topic)
    if described is None or described.error is not None:
        return []
    return sorted(described.partitions)


def ranges(broker: Broker, queue: str, newest: int | None = None) -> dict[int, tuple[int, int]]:
    """Per partition of the queue's dead-letter topic, the [start, end) offsets to read."""
    topic = broker.dead_letter_topic(queue)
    consumer = _consumer(broker.bootstrap)
    try:
        spans: dict[int, tuple[int, int]] = {}
        for partition in _partitions(consumer, topic):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=_TIMEOUT_S, cached=False
            )
            start = low if newest is None else max(low, high - newest)
            if high > start:
                spans[partition] = (start, high)
        return spans
    finally:
        consumer.close()


def read(broker: Broker, queue: str, spans: dict[int, tuple[int, int]]) -> Iterator[DeadLetter]:
    """Yield the records of `spans`, stopping at each partition's end offset."""
    if not spans:
        return
    topic = broker.dead_letter_topic(queue)
    consumer = _consumer(broker.bootstrap)
    try:
        consumer.assign([TopicPartition(topic, p, start) for p, (start, _) in spans.items()])
        open_ends = {partition: end for partition, (_, end) in spans.items()}
        stalled_at = monotonic() + _TIMEOUT_S * 3
        while open_ends:
            records = consumer.consume(_BATCH, _POLL_S)
            if records:
                stalled_at = monotonic() + _TIMEOUT_S * 3
            elif monotonic() > stalled_at:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT, f"reading {topic} stalled"))
            for record in records:
                partition = record.partition()
                if partition is None or partition not in open_ends:
                    continue
                error = record.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        open_ends.pop(partition, None)
                        continue
                    raise KafkaException(error)
                offset = record.offset()
                if offset is None:
                    continue
                if offset >= open_ends[partition]:
                    open_ends.pop(partition, None)
                    continue
                yield _letter(queue, record)
                if offset + 1 >= open_ends[partition]:
                    open_ends.pop(partition, None)
    finally:
        consumer.close()


def _letter(queue: str, record: Any) -> DeadLetter:
    headers = wire.without(record.headers())
    return DeadLetter(
        queue=queue,
        topic=record.topic(),
        partition=record.partition(),
        offset=record.offset(),
        timestamp_ms=record.timestamp()[1],
        key=record.key(),
        value=record.value() or b"",
        headers=headers,
    )


def newest(broker: Broker, queues: Iterable[str], limit: int | None) -> list[DeadLetter]:
    """The newest `limit` dead letters over `queues` (all of them with None), oldest first."""
    letters: list[DeadLetter] = []
    for queue in queues:
        letters.extend(read(broker, queue, ranges(broker, queue, limit)))
    letters.sort(key=lambda letter: (letter.timestamp_ms, letter.topic, letter.offset))
    return letters[-limit:] if limit else letters


def find(broker: Broker, queue: str, partition: int, offset: int) -> DeadLetter | None:
    spans = ranges(broker, queue)
    start, end = spans.get(partition, (0, 0))
    if not start <= offset < end:
        return None
    return next(read(broker, queue, {partition: (offset, offset + 1)}), None)


# Replaying -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    scanned: int = 0
    replayed: int = 0
    already_replayed: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)


class ReplayLedger:
    """Which dead records were replayed, per dead-letter topic, in a Redis set."""

    def __init__(self, client: redis.Redis, retention_s: int) -> None:
        self._client = client
        self._ttl_s = retention_s + _DAY_S

    @classmethod
    def from_settings(cls, broker: Broker) -> ReplayLedger:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=_TIMEOUT_S)
        return cls(client, broker.options.dead_letter_retention_ms // 1000)

    def replayed(self, topic: str) -> set[str]:
        members = self._client.smembers(_REDIS_KEY + topic)
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}

    def record(self, topic: str, markers: Sequence[str]) -> None:
        if not markers:
            return
        pipe = self._client.pipeline(transaction=True)
        pipe.sadd(_REDIS_KEY + topic, *markers)
        # The set outlives the records it names by a day, then goes with them.
        pipe.expire(_REDIS_KEY + topic, self._ttl_s)
        pipe.execute()


class Replayer:
    """Republish selected dead letters to their work topics, each dead record at most once."""

    def __init__(self, broker: Broker, ledger: ReplayLedger) -> None:
        self._broker = broker
        self._ledger = ledger
        self._producer = Producer({"bootstrap.servers": broker.bootstrap, **_PRODUCER})
        self.outcome = Outcome()
        # task id -> marker of the record sent for it in this run; markers Kafka has stored.
        self._sent_for: dict[str, str] = {}
        self._stored: set[str] = set()

    def replay(
        self,
        queue: str,
        spans: dict[int, tuple[int, int]],
        wanted: Callable[[DeadLetter], bool],
        progress: Callable[[int], object],
    ) -> None:
        topic = self._broker.dead_letter_topic(queue)
        target = self._broker.names.queue(queue)
        done = self._ledger.replayed(topic)
        if spans:
            # The work topic may be gone (or never made, on a cluster without auto-create).
            options = self._broker.options
            ConfluentClients().ensure_topics(
                self._broker.bootstrap,
                {
                    target: options.queue_spec(queue),
                    self._broker.names.retry(queue): options.retry_spec(queue),
                },
                options.replication_factor,
                options.connect_timeout_s,
            )
        # (marker of a dead record, marker of the record whose storage settles it)
        pending: list[tuple[str, str]] = []
        for letter in read(self._broker, queue, spans):
            self.outcome.scanned += 1
            progress(1)
            if not wanted(letter):
                continue
            if letter.marker in done:
                self.outcome.already_replayed += 1
                continue
            sent = self._sent_for.get(letter.task_id) if letter.task_id else None
            if sent is not None:
                # The same task died more than once; one copy back at work is enough, and the
                # other record counts as handled so a later run does not send it either.
                self.outcome.duplicates += 1
                pending.append((letter.marker, sent))
                continue
            if letter.task_id:
                self._sent_for[letter.task_id] = letter.marker
            self._send(target, letter)
            pending.append((letter.marker, letter.marker))
            if len(pending) >= _BATCH:
                self._settle(topic, queue, pending)
        self._settle(topic, queue, pending)

    def _send(self, target: str, letter: DeadLetter) -> None:
        def on_delivery(error: KafkaError | None, _record: Any) -> None:
            if error is None:
                self._stored.add(letter.marker)
                self.outcome.replayed += 1
            else:
                self.outcome.failed.append(f"{letter.topic}/{letter.partition}/{letter.offset}")

        while True:
            try:
                self._producer.produce(
                    target,
                    letter.value,
                    letter.key,
                    headers=letter.replay_headers(),
                    on_delivery=on_delivery,
                )
                break
            except BufferError:
                self._producer.poll(_POLL_S)
        self._producer.poll(0)

    def _settle(self, topic: str, queue: str, pending: list[tuple[str, str]]) -> None:
        """Wait for Kafka to store the batch, then remember what it stored (and only that)."""
        if not pending:
            return
        left = self._producer.flush(_TIMEOUT_S * 3)
        if left:
            self.outcome.failed.append(f"{left} records for {queue} unconfirmed")
        confirmed = [marker for marker, settles in pending if settles in self._stored]
        self._ledger.record(topic, confirmed)
        log.info("deadletters.batch_replayed", queue=queue, records=len(confirmed))
        pending.clear()
