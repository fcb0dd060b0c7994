"""The Redis click store: recent clicks indexed the ways an install can find them.

Keys (all expire after the store TTL, default 30 days, `HAZELNUT_CLICK_STORE_TTL_DAYS`):
  hz:click:<click_id>                      JSON summary of one click
  hz:clicks:<project>:gaid:<gaid>          sorted set of click ids scored by click time (epoch s)
  hz:clicks:<project>:idfa:<idfa>          same, by IDFA
  hz:clicks:<project>:ip:<ip>              same, by IP (probabilistic matching)
  hz:clicks:<project>:sent:<ip>            clicks redirected but maybe not stored yet (an hour)
PostgreSQL stays the truth (the Click row, its unique click id and its claim); this store only
makes the lookups fast: one install's lookup is one round trip (a server-side script reads the
index ranges and the summaries they name), and a batch of installs shares one pipelined trip.

A click is stored by its own task, which may run after the install it led to when the workers
lag. The link redirect therefore announces each click under its IP (`announce`), and a lookup
also returns the announced clicks in the IP window that are not stored yet (`Found.unstored`),
so IP matching can wait for them instead of calling the install organic.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import redis
import structlog
from django.conf import settings
from redis.exceptions import NoScriptError, RedisError

from hazelnut.net import normalize_ip

log = structlog.get_logger(__name__)

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


# Announcements outlive any wait for the click (HAZELNUT_REFERRER_CLICK_WAIT_SECONDS) by far.
ANNOUNCED_SECONDS = 3_600


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


def announce(project_id: int, ip: str | None, click_id: str, clicked_at: float) -> None:
    """Note a click on its way to the store, under its IP; Redis down only costs the note."""
    address = normalize_ip(ip)
    if not address:
        return
    key = f"hz:clicks:{project_id}:sent:{address}"
    pipe = connection().pipeline(transaction=False)
    pipe.zadd(key, {click_id: clicked_at})
    pipe.zremrangebyscore(key, "-inf", clicked_at - ANNOUNCED_SECONDS)
    pipe.expire(key, ANNOUNCED_SECONDS)
    try:
        pipe.execute()
    except RedisError as exc:
        log.warning("attribution.click.unannounced", project_id=project_id, error=str(exc))


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
    # Click ids announced from the install's IP inside its window whose clicks are not stored.
    unstored: tuple[str, ...] = ()


# One lookup in one round trip: the index ranges and the click summaries they name. The summary
# keys are built inside the script, so it suits a single Redis server (not Redis Cluster).
_FIND_SCRIPT = """
local now, device_min, ip_min, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local device_keys = tonumber(ARGV[5])
local device, ip, wanted = {}, {}, {}
for i = 1, device_keys do
  local ids = redis.call('ZREVRANGEBYSCORE', KEYS[i], now, device_min, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    device[#device + 1] = id
    wanted[#wanted + 1] = 'hz:click:' .. id
  end
end
local unstored = {}
if ARGV[6] == '1' then
  local ids = redis.call('ZREVRANGEBYSCORE', KEYS[device_keys + 1], now, ip_min, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    ip[#ip + 1] = id
    wanted[#wanted + 1] = 'hz:click:' .. id
  end
  local sent = redis.call('ZREVRANGEBYSCORE', KEYS[device_keys + 2], now, ip_min, 'LIMIT', 0, limit)
  for _, id in ipairs(sent) do
    if redis.call('EXISTS', 'hz:click:' .. id) == 0 then unstored[#unstored + 1] = id end
  end
end
if ARGV[7] ~= '' then wanted[#wanted + 1] = 'hz:click:' .. ARGV[7] end
local raw = {}
if #wanted > 0 then raw = redis.call('MGET', unpack(wanted)) end
return {device, ip, raw, unstored}
"""

# Redis names a loaded script by the SHA1 of its body.
_FIND_SHA = hashlib.sha1(_FIND_SCRIPT.encode()).hexdigest()
_prefetched: ContextVar[dict[Lookup, Found] | None] = ContextVar(
    "clickstore_prefetched", default=None
)


def find(lookup: Lookup, client: redis.Redis | None = None, limit: int = 20) -> Found:
    """Candidate clicks for an install, newest first; one round trip (none when prefetched)."""
    ready = _prefetched.get()
    if ready is not None and lookup in ready:
        return ready[lookup]
    return find_many([lookup], client, limit)[0]


def find_many(
    lookups: Sequence[Lookup], client: redis.Redis | None = None, limit: int = 20
) -> list[Found]:
    """`find` for many installs at once: one pipelined round trip for the whole batch."""
    client = client or connection()
    asked = [(lookup, _script_args(lookup, limit)) for lookup in lookups]
    calls = [args for _, args in asked if args]
    try:
        answers = iter(_evaluate(client, calls))
    except NoScriptError:
        # The server lost its scripts (a restart, SCRIPT FLUSH): load it once and ask again.
        client.script_load(_FIND_SCRIPT)
        answers = iter(_evaluate(client, calls))
    return [
        _found(lookup, next(answers)) if args else Found([], None, []) for lookup, args in asked
    ]


def _evaluate(client: redis.Redis, calls: list[tuple[int, list[str | int]]]) -> list[Any]:
    """The script's answers, by its SHA (the body is sent only when the server lacks it)."""
    if len(calls) == 1:
        numkeys, args = calls[0]
        return [client.evalsha(_FIND_SHA, numkeys, *args)]
    if not calls:
        return []
    pipe = client.pipeline(transaction=False)
    for numkeys, args in calls:
        pipe.evalsha(_FIND_SHA, numkeys, *args)
    return list(pipe.execute())


@contextmanager
def prefetched(lookups: Sequence[Lookup], limit: int = 20) -> Iterator[None]:
    """Answer `find` for these lookups from one batched round trip while the block runs."""
    answers = dict(zip(lookups, find_many(lookups, limit=limit), strict=True))
    token = _prefetched.set({**(_prefetched.get() or {}), **answers})
    try:
        yield
    finally:
        _prefetched.reset(token)


def _script_args(lookup: Lookup, limit: int) -> tuple[int, list[str | int]] | None:
    """EVAL's numkeys, then its keys and arguments, for one lookup; None when nothing to ask."""
    base = f"hz:clicks:{lookup.project_id}"
    keys = [
        f"{base}:{kind}:{value}"
        for kind, value in (("gaid", lookup.gaid), ("idfa", lookup.idfa))
        if value
    ]
    device_keys = len(keys)
    if lookup.ip:
        keys += [f"{base}:ip:{lookup.ip}", f"{base}:sent:{lookup.ip}"]
    if not keys and not lookup.click_id:
        return None
    now = lookup.at.timestamp()
    return len(keys), [
        *keys,
        repr(now),
        repr(now - lookup.device_window_seconds),
        repr(now - lookup.ip_window_seconds),
        limit,
        device_keys,
        "1" if lookup.ip else "0",
        lookup.click_id or "",
    ]


def _found(lookup: Lookup, answer: list[list[bytes]]) -> Found:
    device_ids, ip_ids, raw, unstored = answer
    clicks = {c.click_id: c for c in (StoredClick.from_json(r) for r in raw if r)}
    mine = {cid: c for cid, c in clicks.items() if c.project_id == lookup.project_id}
    by_click_id = mine.get(lookup.click_id) if lookup.click_id else None
    return Found(
        by_device=_unique(mine, list(device_ids)),
        by_click_id=by_click_id,
        by_ip=_unique(mine, list(ip_ids)),
        unstored=tuple(_text(cid) for cid in unstored),
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
