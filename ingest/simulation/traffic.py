"""Sending the planned journeys at a steady rate with a progress bar.

Journeys start at `rate` per second (open loop: a slow server does not slow the arrivals) and
run on a thread pool, each on its own thread because a journey waits between its steps. The bar
counts installs sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tqdm import tqdm

from ingest.simulation.journeys import Player
from ingest.simulation.plan import Journey

MAX_THREADS = 256


def send(
    journeys: Sequence[Journey], player: Player, rate: float, *, progress: bool = True
) -> float:
    """Play every journey; returns the seconds it took."""
    installs = sum(j.installs for j in journeys)
    threads = max(8, min(MAX_THREADS, int(rate * 8 * max(player.pace, 0.25)) + 8))
    started = time.monotonic()
    with (
        tqdm(total=installs, unit="install", disable=not progress, desc="sending") as bar,
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="journey") as pool,
    ):
        futures: list[Future[None]] = []
        for index, journey in enumerate(journeys):
            _pace_arrivals(started, index, rate)
            future = pool.submit(player.play, journey)
            future.add_done_callback(_advance(bar, journey.installs))
            futures.append(future)
        for future in futures:
            future.result()  # a journey that raised is a bug in the simulator: surface it
    return time.monotonic() - started


def _advance(bar: tqdm[Any], installs: int) -> Callable[[Future[None]], None]:
    def done(_: Future[None]) -> None:
        bar.update(installs)

    return done


def _pace_arrivals(started: float, index: int, rate: float) -> None:
    if rate <= 0:
        return
    due = started + index / rate
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)
