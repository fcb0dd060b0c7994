"""`manage.py simulate`: a day of realistic traffic for a project through the HTTP API, then a
report of what the platform made of it (see ingest/simulation). Exits non-zero when an install
went missing or a request was not answered as a client expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attribution import demo
from ingest.simulation import report
from ingest.simulation.client import Signing
from ingest.simulation.run import Options, ServerUnreachable, simulate
from ingest.simulation.stage import Credentials


class Command(BaseCommand):
    help = "Send simulated clicks, installs and in-app events to a running server and report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="Use the demo project (default).")
        parser.add_argument("--project-token", default="")
        parser.add_argument("--server-key", default="", help="For server-side payments.")
        parser.add_argument("--signing-key-id", default="")
        parser.add_argument("--signing-secret", default="")
        parser.add_argument("--base-url", default=demo.WEB_ORIGIN)
        parser.add_argument("--installs", type=int, default=120)
        parser.add_argument("--rate", type=float, default=3.0, help="Journeys per second.")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--pace", type=float, default=1.0, help="Scale of in-journey waits.")
        parser.add_argument("--drain-timeout", type=float, default=300.0)
        parser.add_argument("--json", action="store_true", help="Also print the report as JSON.")
        parser.add_argument("--json-file", default="", help="Write the report as JSON here.")
        parser.add_argument("--quiet", action="store_true", help="No progress bars.")
        parser.add_argument(
            "--no-activity", action="store_true", help="Installs only: no signups or events."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["installs"] < 1 or options["rate"] <= 0:
            raise CommandError("--installs must be at least 1 and --rate positive")
        credentials = None
        if options["project_token"] and not options["demo"]:
            signing = None
            if options["signing_key_id"] and options["signing_secret"]:
                signing = Signing(options["signing_key_id"], options["signing_secret"])
            credentials = Credentials(options["project_token"], options["server_key"], signing)
        run = Options(
            base_url=options["base_url"],
            installs=options["installs"],
            rate=options["rate"],
            seed=options["seed"],
            pace=options["pace"],
            drain_timeout=options["drain_timeout"],
            progress=not options["quiet"],
            activity=not options["no_activity"],
            credentials=credentials,
        )
        try:
            result = simulate(run)
        except (ServerUnreachable, LookupError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.render(result))
        if options["json_file"]:
            Path(options["json_file"]).write_text(json.dumps(result, indent=2, default=str))
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
        if not report.passed(result):
            raise CommandError("simulation failed: see the report above")
