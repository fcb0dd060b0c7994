"""Per-install Redis locks, taken and released for a whole batch in one round trip each.

A lock keeps two deliveries of the same install message from racing through the strategies; the
Install unique constraint stays the real guard. Each lock holds a random token, and release is a
compare-and-delete, so a worker whose lock expired never frees a lock another worker has since
taken.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import structlog

from attribution import clickstore

log = structlog.get_logger(__name__)

# Attribution holds the lock for milliseconds; a worker killed mid-install frees it by expiry.
LOCK_SECONDS = 30

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def key_for(project_id: int, install_instance_id: str) -> str:
    return f"hz:lock:install:{project_id}:{install_instance_id}"


class Locks:
    """The locks one batch holds: `acquire` takes what it can, `release` frees what it took."""

    def __init__(self) -> None:
        self._token = secrets.token_hex(16)
        self.held: set[str] = set()

    def acquire(self, keys: Iterable[str]) -> set[str]:
        """Take every free lock among `keys` (one round trip); the keys now held."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self.held]
        if not wanted:
            return set(self.held)
        pipe = clickstore.connection().pipeline(transaction=False)
        for key in wanted:
            pipe.set(key, self._token, nx=True, ex=LOCK_SECONDS)
        taken = pipe.execute()
        self.held.update(key for key, ok in zip(wanted, taken, strict=True) if ok)
        return set(self.held)

    def release(self) -> None:
        """Free every held lock (one round trip); a lock that expired meanwhile is logged."""
        if not self.held:
            return
        keys = sorted(self.held)
        pipe = clickstore.connection().pipeline(transaction=False)
        for key in keys:
            pipe.eval(_RELEASE, 1, key, self._token)
        freed = pipe.execute()
        self.held.clear()
        lost = sum(1 for ok in freed if not ok)
        if lost:
            # The lock expired (or Redis lost it); the row constraints kept the work safe anyway.
            log.warning("attribution.install.lock_lost", locks=lost)
