"""The reporting routes' rate limits, per server key, through the shared window limiter.

The limits are the contract's: campaigns 10/s, data (attributed users) 30/s, reports 1/min, each a
setting. Unlike the SDK edge, a refusal always asks the caller to wait a whole window.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings

from attribution.models import Project
from attribution.reports.http import ReportError
from hazelnut import ratelimit


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def check(project: Project, scope: str, setting: str, window_seconds: int) -> None:
    # The digest prefix, not the id: ids can repeat (SQLite reuses them), keys never do.
    base = f"hz:reports:rate:{scope}:{project.server_key_digest[:16]}"
    hit = ratelimit.hit(base, int(getattr(settings, setting)), window_seconds)
    if hit.over(ratelimit.count(_client(settings.REDIS_URL), hit)):
        retry = str(hit.retry_after())  # the window is the clock's: it may open in a second
        raise ReportError(429, ratelimit.MESSAGE, "rate_limited", headers={"Retry-After": retry})
