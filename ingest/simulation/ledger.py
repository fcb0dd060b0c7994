"""What the simulator sent, kept for the report: every install with the campaign it should be
credited to, and counts of the other calls. Journeys run on many threads, hence the lock."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SentInstall:
    install_instance_id: str
    kind: str
    platform: str
    expected_campaign_id: int | None  # None: should stay organic
    sent_at: float  # epoch seconds when the init request left
    accepted: bool  # the init was answered 2xx
    reinstall: bool = False


@dataclass
class Ledger:
    installs: list[SentInstall] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    findings: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def install(self, sent: SentInstall) -> None:
        with self._lock:
            self.installs.append(sent)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.calls[name] += n

    def note(self, finding: str) -> None:
        """Something the platform did that a real client would notice (for the report)."""
        with self._lock:
            self.findings[finding] += 1

    @property
    def installs_sent(self) -> int:
        return len(self.installs)
