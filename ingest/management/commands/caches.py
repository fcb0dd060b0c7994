"""`manage.py caches warm|stats`: fill the caches the engine reads, and see what every cache holds.

`warm` rebuilds the Redis click store from PostgreSQL (clicks within the store's TTL, or
`--days`), for example after Redis lost its data; running it twice writes the same keys again.
`stats` prints, per Redis key family, its keys and memory, and per in-process API cache its hits
and misses summed over every process (`--json` for a machine). Both show progress on stderr.
See `ingest.caches` for which caches can be warmed from here and why the others cannot.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from redis import RedisError
from tqdm import tqdm

from ingest import caches


def _size(count: int) -> str:
    amount = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{count} B"


class Command(BaseCommand):
    help = "Caches: rebuild the click store from PostgreSQL (warm), or report every cache (stats)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        warm = actions.add_parser("warm", help="Rebuild the Redis click store from PostgreSQL.")
        warm.add_argument("--project", type=int, help="Only this project's clicks.")
        warm.add_argument("--days", type=int, help="Clicks of the last N days (default: TTL).")
        stats = actions.add_parser("stats", help="Keys and memory per cache, hits and misses.")
        stats.add_argument("--project", type=int, help="Only the families kept per project.")
        stats.add_argument("--json", action="store_true", help="One JSON document.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except RedisError as exc:
            raise CommandError(f"Redis: {exc}") from None

    def _warm(self, options: dict[str, Any]) -> None:
        total, clicks = caches.clicks_to_warm(options["project"], options["days"])
        progress = tqdm(total=total, unit="click", disable=not total, file=self.stderr)
        try:
            done = caches.warm_click_store(clicks, caches.connection(), progress=progress.update)
        finally:
            progress.close()
        self.stdout.write(f"click store: {done} clicks stored")

    def _stats(self, options: dict[str, Any]) -> None:
        client = caches.connection()
        size = int(client.dbsize())
        progress = tqdm(total=size, unit="key", disable=not size, file=self.stderr)
        try:
            found = caches.keyspace(client, options["project"], progress=progress.update)
        finally:
            progress.close()
        lookups = caches.lookups()
        if options["json"]:
            families = {name: asdict(usage) for name, usage in found.families.items()}
            document = {"redis": families, "scanned": found.scanned, "in_process": lookups}
            self.stdout.write(json.dumps(document, indent=2))
            return
        self.stdout.write(f"{'redis key family':<22}{'keys':>12}{'memory':>14}")
        for name, usage in found.families.items():
            self.stdout.write(f"{name:<22}{usage.keys:>12,}{_size(usage.memory_bytes):>14}")
        self.stdout.write(f"({found.scanned:,} keys scanned)")
        self.stdout.write(f"\n{'in-process cache':<22}{'hits':>12}{'misses':>12}{'hit rate':>10}")
        for name, counts in lookups.items():
            asked = counts["hit"] + counts["miss"]
            rate = f"{counts['hit'] / asked:.1%}" if asked else "-"
            self.stdout.write(f"{name:<22}{counts['hit']:>12,}{counts['miss']:>12,}{rate:>10}")
        if not lookups:
            self.stdout.write("(no lookups counted yet)")
