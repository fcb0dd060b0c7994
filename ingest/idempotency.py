"""Fast answers to "have we seen this before?" for first launches and replayed payments/events.

Redis SET NX gives the answer in one round trip; the database is consulted when Redis says
"new", because a key may have expired (or Redis been emptied) long after the row was written.
Neither is the dedup of record: the unique constraints the workers insert under are. The keys
expire only so Redis does not grow forever.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
import structlog

from attribution import queries
from ingest import kv

log = structlog.get_logger(__name__)

INSTALL_KEY_SECONDS = 7 * 24 * 3600
CLAIM_SECONDS = 24 * 3600


def first_launch(project_id: int, install_instance_id: str) -> bool:
    """True for the first `init` of an install, False for every later session."""
    batch = kv.Batch()
    claim = LaunchClaim(batch, project_id, install_instance_id)
    batch.run()
    return claim.is_first()


class LaunchClaim:
    """The first-launch claim of one `init`, queued in a batch shared with other checks."""

    def __init__(self, batch: kv.Batch, project_id: int, install_instance_id: str) -> None:
        self.project_id = project_id
        self.install_instance_id = install_instance_id
        key = kv.key("install", project_id, install_instance_id)
        self._batch = batch
        self._index = batch.add("set", key, "1", nx=True, ex=INSTALL_KEY_SECONDS)

    def claimed(self) -> bool:
        """This request set the key (SET NX answers None when it already existed)."""
        return self._batch.answered(self._index) and bool(self._batch.result(self._index))

    def is_first(self) -> bool:
        if self._batch.answered(self._index) and not self.claimed():
            return False
        # Claimed now, or Redis is away: the database has the last word.
        return not queries.install_exists(self.project_id, self.install_instance_id)

    def undo(self) -> None:
        """Release the claim of a request that was refused after all."""
        if self.claimed():
            forget_launch(self.project_id, self.install_instance_id)


def launch_seen(project_id: int, install_instance_id: str) -> bool | None:
    """Whether an `init` of this install was accepted lately; None when Redis cannot say."""
    try:
        return bool(kv.client().exists(kv.key("install", project_id, install_instance_id)))
    except redis.RedisError as error:
        log.warning("ingest.idempotency.redis_unavailable", error=type(error).__name__)
        return None


def forget_launch(project_id: int, install_instance_id: str) -> None:
    """Undo `first_launch` for a request that was refused after all (rate limit, error)."""
    _delete(kv.key("install", project_id, install_instance_id))


def claim(kind: str, project_id: int, ident: str, stored: Callable[[], bool]) -> bool:
    """True if this is the first time `ident` is seen; `stored` checks the database."""
    key = kv.key("idem", kind, project_id, ident)
    try:
        claimed = kv.client().set(key, "1", nx=True, ex=CLAIM_SECONDS)
    except redis.RedisError as error:
        log.warning("ingest.idempotency.redis_unavailable", error=type(error).__name__)
        claimed = True
    return bool(claimed) and not stored()


def release(kind: str, project_id: int, ident: str) -> None:
    _delete(kv.key("idem", kind, project_id, ident))


def _delete(key: str) -> None:
    try:
        kv.client().delete(key)
    except redis.RedisError as error:
        log.warning("ingest.idempotency.redis_unavailable", error=type(error).__name__)
