"""The caches behind the API and the engine, for operators: fill them, and see what they hold.

There are two kinds. Redis key families are shared by every process: the click store the engine
matches installs against, the edge's launch and idempotency keys, rate-limit windows, the
postback throttle and locks. The API's lookups (project by token or key, signing secrets, SKAN
rules, allowed origins; `ingest.auth.cached`) live in each process's memory for a few seconds,
out of reach of another process. So `warm` fills what can be filled from here, the click store,
rebuilt from PostgreSQL (which stays the truth) after Redis lost it; and `stats` reports each
Redis family's keys and memory, and the in-process lookups' hits and misses summed over every
process from the shared metrics.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.registry import Collector

from attribution import clickstore
from attribution.clicks import stored
from attribution.models import Click
from ingest import kv

Progress = Callable[[int], object]


def _quiet(_: int) -> None:
    return None


@dataclass(frozen=True)
class Family:
    """Keys of one kind; `pattern` matches a whole key, with a `project` group when per project."""

    name: str
    pattern: re.Pattern[str]
    meaning: str


def families() -> tuple[Family, ...]:
    edge = re.escape(kv.PREFIX)
    return tuple(
        Family(name, re.compile(pattern), meaning)
        for name, pattern, meaning in (
            ("click summaries", r"hz:click:.+", "click store: one summary per click"),
            ("click indexes", r"hz:clicks:(?P<project>\d+):.+", "click store: by device and IP"),
            ("launch keys", edge + r":install:(?P<project>\d+):.+", "inits awaiting their row"),
            ("idempotency keys", edge + r":idem:[^:]+:(?P<project>\d+):.+", "events seen"),
            ("rate limits", edge + r":rl:.+", "API rate-limit windows"),
            ("report rate limits", r"hz:reports:rate:.+", "reporting API windows"),
            ("postback throttle", r"hz:pb:(?:rate:(?P<project>\d+):.+|breaker:.+)", "rates"),
            ("install locks", r"hz:lock:install:(?P<project>\d+):.+", "installs being attributed"),
            ("dead-letter replays", r"hazelnut:deadletters:.+", "replayed dead letters"),
        )
    )


@dataclass
class Usage:
    keys: int = 0
    memory_bytes: int = 0


@dataclass
class Keyspace:
    families: dict[str, Usage] = field(default_factory=dict)
    scanned: int = 0


def connection() -> redis.Redis:
    # Keys are read as bytes: a foreign key that is not UTF-8 must not stop the scan.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=30)


def _classify(key: str, known: tuple[Family, ...], project: int | None) -> str | None:
    for family in known:
        match = family.pattern.fullmatch(key)
        if match is None:
            continue
        if project is None:
            return family.name
        owner = match.groupdict().get("project")
        return family.name if owner is not None and int(owner) == project else None
    return "other" if project is None else None


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _pages(client: redis.Redis, batch: int) -> Iterator[list[bytes | str]]:
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, count=batch)
        if keys:
            yield keys
        if cursor == 0:
            return


def keyspace(
    client: redis.Redis, project: int | None = None, batch: int = 1000, progress: Progress = _quiet
) -> Keyspace:
    """Keys and memory per family in one SCAN pass; with `project`, only that project's keys of
    the families kept per project (click summaries and rate limits are not)."""
    known = families()
    found = Keyspace({family.name: Usage() for family in known})
    if project is None:
        found.families["other"] = Usage()
    for page in _pages(client, batch):
        names = [_classify(_text(raw), known, project) for raw in page]
        pipe = client.pipeline(transaction=False)
        for raw, name in zip(page, names, strict=True):
            if name is not None:
                pipe.memory_usage(raw)
        sizes = iter(pipe.execute())
        for name in names:
            if name is not None:
                usage = found.families[name]
                usage.keys += 1
                usage.memory_bytes += int(next(sizes) or 0)  # None: expired since the scan
        found.scanned += len(page)
        progress(len(page))
    return found


def lookups(directory: str | None = None) -> dict[str, dict[str, int]]:
    """Hits and misses per in-process cache, summed over every process that wrote metrics."""
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    source: Collector | CollectorRegistry = REGISTRY
    if directory:
        source = CollectorRegistry()
        multiprocess.MultiProcessCollector(source, path=directory)
    counts: dict[str, dict[str, int]] = {}
    for metric in source.collect():
        if metric.name != "hazelnut_cache_lookups":
            continue
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                cache = counts.setdefault(sample.labels["cache"], {"hit": 0, "miss": 0})
                cache[sample.labels["result"]] += int(sample.value)
    return dict(sorted(counts.items()))


def clicks_to_warm(project: int | None, days: int | None) -> tuple[int, Iterator[Click]]:
    """The clicks young enough for the click store (its TTL, or `days`), oldest first."""
    window = dt.timedelta(days=days if days is not None else clickstore.ttl_seconds() // 86_400)
    rows = Click.objects.filter(clicked_at__gte=timezone.now() - window)
    if project is not None:
        rows = rows.filter(project_id=project)
    rows = rows.select_related("campaign__network").order_by("pk")
    return rows.count(), rows.iterator(chunk_size=1000)


def warm_click_store(
    clicks: Iterator[Click], client: redis.Redis, batch: int = 500, progress: Progress = _quiet
) -> int:
    """Store every click again as the click pipeline stores it; returns how many.

    A stored summary expires a TTL after its click, as it would have, not a TTL after now.
    """
    ttl = clickstore.ttl_seconds()
    done = 0
    expiries: list[tuple[str, int]] = []
    for click in clicks:
        clickstore.save(stored(click, click.campaign), client)
        expiries.append((click.click_id, int(click.clicked_at.timestamp()) + ttl))
        done += 1
        if len(expiries) >= batch:
            _expire(client, expiries)
            progress(len(expiries))
            expiries = []
    if expiries:
        _expire(client, expiries)
        progress(len(expiries))
    return done


def _expire(client: redis.Redis, expiries: list[tuple[str, int]]) -> None:
    pipe = client.pipeline(transaction=False)
    for click_id, when in expiries:
        pipe.expireat(f"hz:click:{click_id}", when)  # the summary key named in clickstore
    pipe.execute()
