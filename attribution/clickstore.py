"""The Redis click store: recent clicks indexed the ways an install can find them.

Keys (all expire after the store TTL, default 30 days, `HAZELNUT_CLICK_STORE_TTL_DAYS`):
  hz:click:<click_id>                      JSON summary of one click
  hz:clicks:<project>:gaid:<gaid>          sorted set of click ids scored by click time (epoch s)
  hz:clicks:<project>:idfa:<idfa>          same, by IDFA
  hz:clicks:<project>:ip:<ip>              same, by IP (probabilistic matching)
PostgreSQL stays the truth (the Click row, its unique click id and its claim); this store only
makes the lookups one pipelined round trip.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from django.conf import settings

_connection: redis.Redis | None = None
_lock = threading.Lock()


def connection() -> redis.Redis:
    """The process's Redis client (settings.REDIS_URL; the embedded server by default)."""
    global _connection
    with _lock:
        if _connection is None:
            _connection = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
        return _connection


def ttl_seconds() -> int:
    return int(getattr(settings, "HAZELNUT_CLICK_STORE_TTL_DAYS", 30)) * 86_400


@dataclass(frozen=True)
class StoredClick:
    """What matching needs to know about a click without touching PostgreSQL."""

    click_id: str
    project_id: int
    campaign_id: int | None
    network: str
    clicked_at: float  # epoch seconds
    platform: str
    os_version: str
    ip: str | None
    gaid: str | None
    idfa: str | None
    is_view: bool
    row_id: int | None = None  # the Click row's primary key

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> StoredClick:
        return cls(**json.loads(raw))


def _index_keys(click: StoredClick) -> list[str]:
    base = f"hz:clicks:{click.project_id}"
    keys = []
    if click.gaid:
        keys.append(f"{base}:gaid:{click.gaid}")
    if click.idfa:
        keys.append(f"{base}:idfa:{click.idfa}")
    if click.ip:
        keys.append(f"{base}:ip:{click.ip}")
    return keys


def save(click: StoredClick, client: redis.Redis | None = None) -> None:
    """Store a click and index it (one pipelined round trip)."""
    client = client or connection()
    ttl = ttl_seconds()
    pipe = client.pipeline(transaction=False)
    pipe.set(f"hz:click:{click.click_id}", click.to_json(), ex=ttl)
    for key in _index_keys(click):
        pipe.zadd(key, {click.click_id: click.clicked_at})
        pipe.expire(key, ttl)
        # Old members of a busy IP set would otherwise live as long as the IP keeps clicking.
        pipe.zremrangebyscore(key, "-inf", click.clicked_at - ttl)
    pipe.execute()


@dataclass(frozen=True)
class Lookup:
    """The keys an install can be matched on, and the window each may look back over."""

    project_id: int
    at: datetime
    gaid: str | None
    idfa: str | None
    ip: str | None
    click_id: str | None
    device_window_seconds: int
    ip_window_seconds: int


@dataclass(frozen=True)
class Found:
    by_device: list[StoredClick]
    by_click_id: StoredClick | None
    by_ip: list[StoredClick]


def find(lookup: Lookup, client: redis.Redis | None = None, limit: int = 20) -> Found:
    """Candidate clicks for an install, newest first; two round trips at most."""
    client = client or connection()
    now = lookup.at.timestamp()
    base = f"hz:clicks:{lookup.project_id}"
    pipe = client.pipeline(transaction=False)
    device_keys = [
        f"{base}:{kind}:{value}"
        for kind, value in (("gaid", lookup.gaid), ("idfa", lookup.idfa))
        if value
    ]
    for key in device_keys:
        pipe.zrevrangebyscore(key, now, now - lookup.device_window_seconds, start=0, num=limit)
    if lookup.ip:
        pipe.zrevrangebyscore(
            f"{base}:ip:{lookup.ip}", now, now - lookup.ip_window_seconds, start=0, num=limit
        )
    answers = pipe.execute() if (device_keys or lookup.ip) else []
    device_ids = [cid for answer in answers[: len(device_keys)] for cid in answer]
    ip_ids = list(answers[len(device_keys)]) if lookup.ip else []
    wanted = [*device_ids, *ip_ids] + ([lookup.click_id] if lookup.click_id else [])
    if not wanted:
        return Found([], None, [])
    raw = client.mget([f"hz:click:{_text(cid)}" for cid in wanted])
    clicks = {c.click_id: c for c in (StoredClick.from_json(r) for r in raw if r)}
    mine = {cid: c for cid, c in clicks.items() if c.project_id == lookup.project_id}
    by_click_id = mine.get(lookup.click_id) if lookup.click_id else None
    return Found(
        by_device=_unique(mine, device_ids),
        by_click_id=by_click_id,
        by_ip=_unique(mine, ip_ids),
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _unique(clicks: dict[str, StoredClick], ids: list[bytes | str]) -> list[StoredClick]:
    seen: dict[str, StoredClick] = {}
    for cid in ids:
        key = _text(cid)
        if key in clicks and key not in seen:
            seen[key] = clicks[key]
    return sorted(seen.values(), key=lambda c: c.clicked_at, reverse=True)
