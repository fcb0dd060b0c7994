"""The reporting routes' rate limits, per server key, in fixed Redis windows.

One INCR per request on a key named by the window number, expiring after the window. The limits
are the contract's: campaigns 10/s, data (attributed users) 30/s, reports 1/min, each a setting.
"""

from __future__ import annotations

import functools
import time

import redis
from django.conf import settings

from attribution.models import Project
from attribution.reports.http import ReportError

MESSAGE = "Rate limit exceeded. Please try again later."
# Limit: duplicates ingest/ratelimit.py's window logic; it could move to hazelnut/ for both.


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def check(project: Project, scope: str, setting: str, window_seconds: int) -> None:
    limit = int(getattr(settings, setting))
    window = int(time.time() // window_seconds)
    # The digest prefix, not the id: ids can repeat (SQLite reuses them), keys never do.
    key = f"hz:reports:rate:{scope}:{project.server_key_digest[:16]}:{window}"
    client = _client(settings.REDIS_URL)
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, window_seconds + 1)
    used = int(pipe.execute()[0])
    if used > limit:
        retry = str(window_seconds)
        raise ReportError(429, MESSAGE, "rate_limited", headers={"Retry-After": retry})
