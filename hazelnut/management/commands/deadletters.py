"""`manage.py deadletters list|inspect|replay`: the Kafka transport's dead-letter topics.

`list` prints one line per dead letter (newest `--limit`), `inspect` one record in full as JSON,
and `replay` sends selected dead tasks back to their work queues with a progress bar. Records a
replay has sent are remembered in Redis (see `hazelnut.deadletters`), so running it again sends
only what is new. On a broker other than Kafka there are no dead-letter topics: `list` says so
and succeeds, `inspect` and `replay` fail.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from confluent_kafka import KafkaException
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from redis import RedisError
from tqdm import tqdm

from hazelnut import deadletters
from hazelnut.broker import wire
from hazelnut.deadletters import Broker, DeadLetter, NotKafka
from hazelnut.queues import REGISTRY

_NOT_KAFKA = (
    "dead letters are a feature of the Kafka transport (CELERY_BROKER_URL=kafka://...); this "
    "broker is {scheme}://, which keeps no dead-letter topics. Dead postback deliveries are "
    "replayed with `manage.py postbacks replay`."
)
_ERROR_WIDTH = 60


def _default_queues() -> list[str]:
    """Every registered work queue plus Celery's default queue."""
    queues = [spec.queue.value for spec in REGISTRY.values()]
    default = str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "") or "")
    if default and default not in queues:
        queues.append(default)
    return queues


@dataclass(frozen=True)
class Selection:
    task: str = ""
    since: dt.datetime | None = None
    ids: frozenset[str] = frozenset()

    def matches(self, letter: DeadLetter) -> bool:
        if self.since is not None and letter.when < self.since:
            return False
        if self.task and not fnmatchcase(letter.task_name, self.task):
            return False
        return not self.ids or letter.task_id in self.ids


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not an ISO-8601 time: {value}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _describe(letter: DeadLetter) -> dict[str, Any]:
    """Everything an operator needs to judge one dead letter, JSON-ready."""
    message = letter.message
    body = letter.body()
    args, kwargs = (body[0], body[1]) if isinstance(body, list) and len(body) >= 2 else (None, None)
    return {
        "queue": letter.queue,
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "when": letter.when.isoformat(),
        "key": letter.key.decode("utf-8", "replace") if letter.key is not None else None,
        "reason": letter.reason,
        "error": letter.error,
        "origin": letter.text(wire.ORIGIN),
        "deliveries": wire.header_int(letter.headers, wire.DELIVERIES, 1),
        "task": letter.task_name,
        "id": letter.task_id,
        "args": args,
        "kwargs": kwargs,
        # Only shown when it could not be decoded as JSON above.
        "body": None if body is not None else letter.value.decode("utf-8", "replace"),
        "record_headers": {
            name: value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            for name, value in letter.headers
            if name != wire.ENVELOPE
        },
        "message_headers": message["headers"],
        "properties": message["properties"],
        "content_type": message.get("content-type"),
        "content_encoding": message.get("content-encoding"),
    }


def _line(letter: DeadLetter) -> str:
    error = " ".join(letter.error.split())
    if len(error) > _ERROR_WIDTH:
        error = error[: _ERROR_WIDTH - 1] + "…"
    when = letter.when.isoformat(timespec="seconds")
    return (
        f"{letter.queue}\t{letter.partition}/{letter.offset}\t{letter.task_name or '-'}\t"
        f"{letter.task_id or '-'}\t{letter.reason or '-'}\t{error or '-'}\t{when}"
    )


class Command(BaseCommand):
    help = "Kafka dead letters: list them, inspect one, replay them to their work queues."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="One line per dead letter, oldest first.")
        listing.add_argument("--queue", action="append", default=[], dest="queues")
        listing.add_argument(
            "--limit", type=int, default=100, help="Newest N overall (0: all; default 100)."
        )
        inspect = actions.add_parser("inspect", help="One dead letter in full, as JSON.")
        inspect.add_argument("queue")
        inspect.add_argument("partition", type=int)
        inspect.add_argument("offset", type=int)
        replay = actions.add_parser("replay", help="Send dead tasks back to their work queues.")
        replay.add_argument("--queue", action="append", default=[], dest="queues")
        replay.add_argument("--task", default="", help="Task name, or a glob like 'postbacks.*'.")
        replay.add_argument("--since", type=_instant, help="Dead at or after (ISO-8601).")
        replay.add_argument("--ids", nargs="+", default=[], help="Task ids.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            broker = deadletters.broker()
        except NotKafka as exc:
            message = _NOT_KAFKA.format(scheme=exc.args[0])
            if action == "list":
                self.stdout.write(message)
                return
            raise CommandError(message) from None
        try:
            getattr(self, f"_{action}")(broker, options)
        except KafkaException as exc:
            raise CommandError(f"Kafka at {broker.bootstrap}: {exc}") from None
        except RedisError as exc:
            # Nothing is sent before the ledger answers, and nothing is forgotten after it did.
            raise CommandError(f"Redis (which remembers replayed dead letters): {exc}") from None

    def _list(self, broker: Broker, options: dict[str, Any]) -> None:
        queues = options["queues"] or _default_queues()
        limit = options["limit"] if options["limit"] > 0 else None
        letters = deadletters.newest(broker, queues, limit)
        self.stdout.write("queue\tpartition/offset\ttask\tid\treason\terror\twhen")
        for letter in letters:
            self.stdout.write(_line(letter))
        self.stdout.write(f"{len(letters)} dead letters")

    def _inspect(self, broker: Broker, options: dict[str, Any]) -> None:
        queue, partition, offset = options["queue"], options["partition"], options["offset"]
        letter = deadletters.find(broker, queue, partition, offset)
        if letter is None:
            raise CommandError(
                f"no dead letter at {broker.dead_letter_topic(queue)} partition {partition} "
                f"offset {offset} (never written, or past retention)"
            )
        self.stdout.write(json.dumps(_describe(letter), indent=2, default=str))

    def _replay(self, broker: Broker, options: dict[str, Any]) -> None:
        queues = options["queues"] or _default_queues()
        selection = Selection(
            task=options["task"], since=options["since"], ids=frozenset(options["ids"])
        )
        # The ends are fixed before anything is sent, so a replayed task that dies again during
        # this run lands past them and waits for the next run.
        spans = {queue: deadletters.ranges(broker, queue) for queue in queues}
        total = sum(end - start for span in spans.values() for start, end in span.values())
        replayer = deadletters.Replayer(broker, deadletters.ReplayLedger.from_settings(broker))
        progress = tqdm(total=total, unit="record", disable=not total, file=self.stderr)
        try:
            for queue, span in spans.items():
                replayer.replay(queue, span, selection.matches, progress.update)
        finally:
            progress.close()
        outcome = replayer.outcome
        self.stdout.write(
            f"replayed {outcome.replayed} of {outcome.scanned} dead letters "
            f"({outcome.already_replayed} replayed before, {outcome.duplicates} repeats of a "
            "task sent in this run)"
        )
        if outcome.failed:
            raise CommandError(f"not replayed: {', '.join(outcome.failed[:20])}")
