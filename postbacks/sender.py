"""The HTTP client deliveries go out through (hazelnut.http), one per worker process.

Retries are the delivery machine's business, so the client makes one try per call; its
in-process breaker is set loose because the shared Redis breaker in `throttle` decides.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings

from hazelnut.http import CircuitBreaker, HttpClient


@cache
def client() -> HttpClient:
    timeout = float(getattr(settings, "HAZELNUT_POSTBACK_TIMEOUT_SECONDS", 10))
    return HttpClient(
        timeout_seconds=timeout,
        connect_timeout_seconds=min(3.0, timeout),
        breaker=CircuitBreaker(threshold=50, cooldown_seconds=10),
        user_agent="hazelnut-postbacks/1",
    )


def deliver(delivery_id: int, *, recorded: bool = False) -> float | None:
    """One try of the delivery, through the batched sender unless it is switched off.

    The batched sender answers when the try is settled and writes its attempt a moment later;
    `recorded` waits for the write too.
    """
    from postbacks import batcher, delivery, leases

    if getattr(settings, "HAZELNUT_POSTBACK_BATCHING", True):
        waiter = batcher.get().submit(delivery_id, recorded=recorded)
        return waiter.result(timeout=leases.LEASE.total_seconds())
    return delivery.run(delivery_id, client())
