"""`manage.py postbacks replay`: send dead (or, on request, delivered) deliveries again."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from hazelnut.http import HttpClient
from postbacks import attempts, delivery, replay, sender


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not an ISO-8601 time: {value}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Postback deliveries: replay by id, destination or time range."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser("replay", help="Reopen finished deliveries and send them again.")
        run.add_argument("--id", type=int, action="append", default=[], dest="ids")
        run.add_argument("--network", default="", help="Destination, e.g. meta, webhook.")
        run.add_argument("--since", type=_instant, help="Created at or after (ISO-8601).")
        run.add_argument("--until", type=_instant, help="Created before (ISO-8601).")
        run.add_argument("--include-delivered", action="store_true")
        run.add_argument(
            "--sync", action="store_true", help="Send from this process instead of enqueuing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        selection = replay.Selection(
            ids=tuple(options["ids"]),
            destination=options["network"],
            since=options["since"],
            until=options["until"],
            include_delivered=options["include_delivered"],
        )
        if not (selection.ids or selection.destination or selection.since or selection.until):
            raise CommandError("name deliveries with --id, --network, --since or --until")
        ids = list(replay.select(selection).values_list("pk", flat=True))
        client = sender.client()
        progress = tqdm(total=len(ids), unit="delivery", disable=not ids, file=self.stderr)
        done = 0
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            dispatch = (lambda pk: _send_now(pk, client)) if options["sync"] else None
            done += len(
                replay.replay(
                    batch, include_delivered=selection.include_delivered, dispatch=dispatch
                )
            )
            progress.update(len(batch))
        progress.close()
        self.stdout.write(f"replayed {done} of {len(ids)} deliveries")


def _send_now(delivery_id: int, client: HttpClient) -> None:
    for _ in range(attempts.MAX_ATTEMPTS):
        if delivery.run(delivery_id, client) is None:
            return
