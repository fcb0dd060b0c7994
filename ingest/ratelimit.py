"""Per-project and per-IP request limits in Redis (fixed one-second or one-minute windows).

A window is one INCR on a key named by the window number, with an expiry a little longer than the
window; one round trip per check. Over the limit the caller gets a 429 with Retry-After, which
the SDKs treat as "retry later".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from ingest import kv
from ingest.errors import ApiError

RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please try again later."


@dataclass(frozen=True)
class Limit:
    scope: str
    setting: str
    window_seconds: int = 1

    def per_window(self) -> int:
        return int(getattr(settings, self.setting))


SDK = Limit("sdk", "HAZELNUT_RATE_LIMIT_SDK_PER_SECOND")
DATA = Limit("data", "HAZELNUT_RATE_LIMIT_DATA_PER_SECOND")
CAMPAIGN = Limit("campaign", "HAZELNUT_RATE_LIMIT_CAMPAIGN_PER_SECOND")
SERVER_IP = Limit("ip", "HAZELNUT_RATE_LIMIT_IP_PER_SECOND")


def check(limit: Limit, subject: str | int | None) -> None:
    """Count one request of `subject` against `limit`; raise a 429 when it is over."""
    batch = kv.Batch()
    verdict = queue(batch, limit, subject)
    batch.run()
    verdict()


def queue(batch: kv.Batch, limit: Limit, subject: str | int | None) -> Callable[[], None]:
    """Add the count to `batch`; the returned function raises the 429 once the batch has run."""
    if subject is None or limit.per_window() <= 0:
        return _allow
    window = int(time.time()) // limit.window_seconds
    key = kv.key("rl", limit.scope, subject, window)
    index = batch.add("incr", key)
    batch.add("expire", key, limit.window_seconds + 1)

    def verdict() -> None:
        # No count (Redis down): limits protect us, they are not worth refusing traffic for.
        count = batch.result(index)
        if count is not None and int(count) > limit.per_window():
            retry_after = limit.window_seconds - int(time.time()) % limit.window_seconds
            raise ApiError(
                429,
                "rate_limited",
                RATE_LIMIT_MESSAGE,
                headers={"Retry-After": str(max(retry_after, 1))},
            )

    return verdict


def _allow() -> None:
    return None
