"""`manage.py warehouse_backfill`: write warehouse rows for what the models already hold.

For a new warehouse, a replaced ClickHouse, or rows lost before the flush-before-ack wiring.
Safe to repeat: reports count distinct rows, so rows written twice count once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from attribution.reports.backfill import chunks, narrowed, sources
from hazelnut.warehouse import get_warehouse


def _day(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a YYYY-MM-DD date: {value!r}") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Backfill warehouse tables from the PostgreSQL models."

    def add_arguments(self, parser: CommandParser) -> None:
        names = [source.name for source in sources()]
        parser.add_argument("--project", type=int, help="Only this project id.")
        parser.add_argument("--since", type=_day, help="From this UTC day (YYYY-MM-DD).")
        parser.add_argument("--until", type=_day, help="Before this UTC day (YYYY-MM-DD).")
        parser.add_argument("--only", nargs="+", choices=names, help="Only these sources.")
        parser.add_argument("--batch", type=int, default=2000, help="Model rows per page.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        warehouse = get_warehouse()
        warehouse.migrate()
        chosen = [s for s in sources() if not options["only"] or s.name in options["only"]]
        for source in chosen:
            rows = narrowed(source, options["project"], options["since"], options["until"])
            written = 0
            with tqdm(
                total=rows.count(),
                desc=source.name,
                unit="row",
                disable=options["no_progress"],
                file=self.stderr,
            ) as progress:
                for page in chunks(rows, options["batch"]):
                    built = [row for item in page for row in source.build(item)]
                    warehouse.write(source.table, built)
                    written += len(built)
                    progress.update(len(page))
            warehouse.flush()
            self.stdout.write(f"{source.name}: {written} rows -> {source.table}")
