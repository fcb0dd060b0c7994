"""`manage.py whatif_windows`: re-attribute a project's stored installs under other windows.

Results go to the warehouse table `whatif_installs` under a fresh run id, never to live data;
the command then prints installs per campaign, live against what-if, and how many changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from attribution.models import Campaign, Install, Project
from attribution.reports.backfill import chunks
from attribution.reports.whatif import Difference, Windows, judge_page, result_row
from hazelnut.warehouse import get_warehouse


def _day(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a YYYY-MM-DD date: {value!r}") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "What-if: re-attribute stored installs with other click windows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--click-lookback-hours", type=int)
        parser.add_argument("--probabilistic-window-hours", type=int)
        parser.add_argument("--since", type=_day, help="Installs from this UTC day.")
        parser.add_argument("--until", type=_day, help="Installs before this UTC day.")
        parser.add_argument("--batch", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(id=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']}")
        windows = Windows(
            options["click_lookback_hours"] or project.click_lookback_hours,
            options["probabilistic_window_hours"] or project.probabilistic_window_hours,
        )
        installs = Install.objects.filter(project=project).order_by("pk")
        if options["since"]:
            installs = installs.filter(installed_at__gte=options["since"])
        if options["until"]:
            installs = installs.filter(installed_at__lt=options["until"])

        run_id = uuid.uuid4().hex[:12]
        difference = self._run(run_id, installs, windows, options)
        self._print(run_id, project, windows, difference)

    def _run(
        self, run_id: str, installs: Any, windows: Windows, options: dict[str, Any]
    ) -> Difference:
        warehouse = get_warehouse()
        warehouse.migrate()
        difference = Difference()
        now = dt.datetime.now(dt.UTC)
        with tqdm(
            total=installs.count(),
            desc="installs",
            unit="install",
            disable=options["no_progress"],
            file=self.stderr,
        ) as progress:
            for page in chunks(installs, options["batch"]):
                verdicts = judge_page(page, windows)
                by_id = {install.id: install for install in page}
                warehouse.write(
                    "whatif_installs",
                    [result_row(run_id, by_id[v.install_id], v, windows, now) for v in verdicts],
                )
                for verdict in verdicts:
                    difference.add(verdict)
                progress.update(len(page))
        warehouse.flush()
        return difference

    def _print(self, run_id: str, project: Project, windows: Windows, diff: Difference) -> None:
        names = dict(Campaign.objects.filter(project=project).values_list("id", "name"))
        names[0] = "(organic)"
        self.stdout.write(
            f"what-if run {run_id}: click look-back {windows.click_lookback_hours} h, "
            f"probabilistic {windows.probabilistic_window_hours} h "
            f"(live: {project.click_lookback_hours} h, {project.probabilistic_window_hours} h)"
        )
        self.stdout.write(f"{'campaign':<32} {'live':>8} {'what-if':>8} {'diff':>8}")
        for campaign in sorted(set(diff.live) | set(diff.whatif), key=lambda c: names.get(c, "")):
            live, whatif = diff.live[campaign], diff.whatif[campaign]
            label = names.get(campaign, f"#{campaign}")[:32]
            self.stdout.write(f"{label:<32} {live:>8} {whatif:>8} {whatif - live:>+8}")
        self.stdout.write(f"changed: {diff.changed} of {diff.total} installs")
