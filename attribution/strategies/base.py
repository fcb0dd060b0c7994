"""What every strategy sees (`InstallContext`), what it returns (`Candidate`s) and its protocol.

Tiers decide between candidates: 1 = install-referrer signals (Play, Meta referrers), 2 =
deterministic (device id, click id, a network's own claim via its API), 3 = probabilistic (IP
+ platform + OS version). A candidate and a strategy's notes are plain JSON so they can be kept
in the install's decision trace and handed between tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from attribution.referrer import PlayReferrer

TIER_REFERRER = 1
TIER_DETERMINISTIC = 2
TIER_PROBABILISTIC = 3


class ClickPending(Exception):
    """The install may come from a click of ours that its own task has not stored yet: the
    install's referrer names it, or the link redirect announced it from the install's IP.

    Raised while the install is younger than HAZELNUT_REFERRER_CLICK_WAIT_SECONDS: the round
    writes nothing and the install's task is retried, as for a lock held elsewhere.
    """


@dataclass(frozen=True)
class Windows:
    """Look-back windows in seconds (from the Project's fields)."""

    click_lookback: int
    probabilistic: int
    view_through: int
    reinstall: int


@dataclass(frozen=True)
class InstallContext:
    project_id: int
    install_id: int
    install_instance_id: str
    platform: str  # IOS / ANDROID (upper case) or the SDK's value
    at: datetime
    gaid: str | None
    idfa: str | None
    idfv: str | None
    ip: str | None
    os_version: str
    device_data: dict[str, Any]
    referrer: PlayReferrer
    windows: Windows
    app_version: str = ""  # init's app_version, else the SDK's device_data version


@dataclass(frozen=True)
class Candidate:
    strategy: str
    tier: int
    matched_by: str
    network: str = ""
    campaign_id: int | None = None
    touched_at: float | None = None  # epoch seconds of the click / view, when known
    click_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # What dataclasses.asdict gives, without its generic deep copy (the hot path calls this
        # several times per candidate).
        return {
            "strategy": self.strategy,
            "tier": self.tier,
            "matched_by": self.matched_by,
            "network": self.network,
            "campaign_id": self.campaign_id,
            "touched_at": self.touched_at,
            "click_id": self.click_id,
            "details": _plain_copy(self.details),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Candidate:
        return cls(**data)


def _plain_copy(value: Any) -> Any:
    """A copy of JSON-like data: new dicts and lists all the way down, scalars shared."""
    if isinstance(value, dict):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain_copy(item) for item in value)
    return value


@dataclass(frozen=True)
class Outcome:
    """A strategy's answer: its candidates and what it saw (for the decision trace)."""

    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def stale_referrer(context: InstallContext) -> Outcome | None:
    """An Outcome with no candidate when the Play referrer's store click is older than the
    project's click look-back (Play keeps a referrer for 90 days); None when it is not."""
    clicked = context.referrer.click_time
    if clicked is None or (context.at - clicked).total_seconds() <= context.windows.click_lookback:
        return None
    details = {
        "click_time": clicked.isoformat(),
        "click_lookback_hours": context.windows.click_lookback // 3600,
    }
    return Outcome(note="referrer click older than the click look-back window", details=details)


class Strategy(Protocol):
    name: str
    external: bool

    def can_handle(self, context: InstallContext) -> bool: ...

    def run(self, context: InstallContext) -> Outcome: ...
