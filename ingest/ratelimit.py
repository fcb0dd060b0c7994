"""Per-project and per-IP request limits of the HTTP edge, through the shared window limiter.

Each check is one INCR (and EXPIRE) in the request's Redis batch, on a key of the edge's
namespace. Over the limit an API caller gets a 429 with Retry-After, which the SDKs treat as
"retry later". `allows` only answers, for callers that must not refuse (campaign links).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from hazelnut import ratelimit
from ingest import kv
from ingest.errors import ApiError

RATE_LIMIT_MESSAGE = ratelimit.MESSAGE


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
CLICK_IP = Limit("click", "HAZELNUT_RATE_LIMIT_CLICK_PER_SECOND")


def check(limit: Limit, subject: str | int | None) -> None:
    """Count one request of `subject` against `limit`; raise a 429 when it is over."""
    batch = kv.Batch()
    verdict = queue(batch, limit, subject)
    batch.run()
    verdict()


def queue(batch: kv.Batch, limit: Limit, subject: str | int | None) -> Callable[[], None]:
    """Add the count to `batch`; the returned function raises the 429 once the batch has run."""
    over = _count(batch, limit, subject)

    def verdict() -> None:
        if over is not None and over():
            raise ApiError(
                429,
                "rate_limited",
                RATE_LIMIT_MESSAGE,
                headers={"Retry-After": str(over.hit.retry_after())},
            )

    return verdict


def allows(limit: Limit, subject: str | int | None) -> bool:
    """Count one request of `subject` against `limit` and say whether it is within it."""
    batch = kv.Batch()
    over = _count(batch, limit, subject)
    batch.run()
    return over is None or not over()


@dataclass(frozen=True)
class _Over:
    hit: ratelimit.Hit
    batch: kv.Batch
    index: int

    def __call__(self) -> bool:
        # No count (Redis down): limits protect us, they are not worth refusing traffic for.
        return self.hit.over(self.batch.result(self.index))


def _count(batch: kv.Batch, limit: Limit, subject: str | int | None) -> _Over | None:
    """Queue the count of one request in `batch`; None when nothing is counted (no limit)."""
    per_window = limit.per_window()
    if subject is None or per_window <= 0:
        return None
    hit = ratelimit.hit(kv.key("rl", limit.scope, subject), per_window, limit.window_seconds)
    return _Over(hit, batch, hit.queue(batch))
