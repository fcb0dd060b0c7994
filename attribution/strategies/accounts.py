"""Active network accounts as strategies look them up, remembered for the length of a batch.

Deciding whether an external strategy applies reads the project's account for that network;
inside `remembered()` each (project, network) is read once per batch instead of once per
install. Outside it every call reads the database, so a changed account is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from attribution.models import NetworkAccount

_Memo = dict[tuple[int, str], NetworkAccount | None]
_memo: ContextVar[_Memo | None] = ContextVar("network_accounts", default=None)


def active_account(project_id: int, network_code: str) -> NetworkAccount | None:
    """The project's first active account on the network, or None."""
    memo = _memo.get()
    key = (project_id, network_code)
    if memo is not None and key in memo:
        return memo[key]
    account = (
        NetworkAccount.objects.filter(
            project_id=project_id, network__code=network_code, active=True
        )
        .order_by("id")
        .first()
    )
    if memo is not None:
        memo[key] = account
    return account


@contextmanager
def remembered() -> Iterator[None]:
    """Read each (project, network) account at most once while the block runs."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)
