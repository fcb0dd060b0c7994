"""One simulation run from start to verdict: stage the project, start the fakes, send the day,
wait for the pipeline to drain, build the report, and put the project back as it was found."""

from __future__ import annotations

import os
import random
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ingest.simulation import drain, plan, report, stage, traffic
from ingest.simulation.client import Client
from ingest.simulation.fakes import OutsideWorld
from ingest.simulation.journeys import Player
from ingest.simulation.ledger import Ledger


class ServerUnreachable(RuntimeError):
    pass


@dataclass(frozen=True)
class Options:
    base_url: str = "http://127.0.0.1:8000"
    installs: int = 120
    rate: float = 3.0  # journeys started per second
    seed: int | None = None
    pace: float = 1.0  # seconds of wait per simulated step; 0 sends as fast as possible
    drain_timeout: float = 300.0
    progress: bool = True
    activity: bool = True  # signups, payments and events after the installs
    credentials: stage.Credentials | None = None  # None: the demo project


def check_server(base_url: str) -> None:
    url = base_url.rstrip("/") + "/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            if response.status != 200:
                raise ServerUnreachable(f"{url} answered {response.status}")
    except (urllib.error.URLError, OSError) as error:
        raise ServerUnreachable(
            f"{url} is not reachable ({error}); is `make run` running?"
        ) from error


def simulate(options: Options) -> dict[str, Any]:
    check_server(options.base_url)
    credentials = options.credentials or stage.demo_credentials()
    world = OutsideWorld().start()
    staged: stage.Stage | None = None
    try:
        staged = stage.prepare(credentials, world)
        since = timezone.now()
        # The seed fixes the traffic; addresses and ids are fresh each run so a run never
        # matches the clicks an earlier run left behind.
        journeys = plan.draw(
            random.Random(options.seed),
            options.installs,
            int.from_bytes(os.urandom(3), "big"),
            activity=options.activity,
        )
        client = Client(options.base_url, credentials.server_key, credentials.signing)
        ledger = Ledger()
        player = Player(client, staged, world, ledger, secrets.token_hex(4), options.pace)
        send_seconds = traffic.send(journeys, player, options.rate, progress=options.progress)
        drained = drain.wait(
            staged.project_id,
            [s.install_instance_id for s in ledger.installs],
            since,
            options.drain_timeout,
            events_sent=report.events_sent(ledger),
            progress=options.progress,
        )
        return report.build(
            staged.project_id, ledger, client.exchanges, drained, world, since, send_seconds
        )
    finally:
        if staged is not None:
            stage.release(staged.project_id)
        world.stop()
