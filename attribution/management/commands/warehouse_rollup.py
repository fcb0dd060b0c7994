"""`manage.py warehouse_rollup`: recompute the `campaign_daily` aggregates for recent days.

Meant for a periodic run (e.g. hourly over the last few days, when late events still arrive);
each run replaces the days it covers, so repeating it is harmless.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from attribution.models import Project
from hazelnut.warehouse import ReportFilter, get_warehouse


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a YYYY-MM-DD date: {value!r}") from None


class Command(BaseCommand):
    help = "Recompute campaign_daily from the raw warehouse tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, help="Only this project id.")
        parser.add_argument("--from", dest="start", type=_date, help="First UTC day.")
        parser.add_argument("--to", dest="end", type=_date, help="Last UTC day (today).")
        parser.add_argument("--days", type=int, default=3, help="Without --from: this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        end = options["end"] or timezone.now().date()
        start = options["start"] or end - dt.timedelta(days=options["days"] - 1)
        if start > end:
            raise CommandError("--from is after --to")
        projects = Project.objects.filter(active=True).order_by("id")
        if options["project"] is not None:
            projects = projects.filter(id=options["project"])
        warehouse = get_warehouse()
        for project_id in projects.values_list("id", flat=True):
            written = warehouse.rollup(ReportFilter(project_id, start, end))
            self.stdout.write(f"project {project_id}: {written} campaign days {start}..{end}")
