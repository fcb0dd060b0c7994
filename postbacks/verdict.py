"""How an answer from a destination is read: delivered, worth another try, or final.

Plain HTTP rules (2xx delivered; 408, 425, 429 and 5xx transient; other 4xx terminal) are the
default. Destinations that hide errors in a 200 (TikTok, CleverTap) or succeed with errors
(Braze) register their own reader under their code; analytics registers its platforms here too,
so one delivery machine serves both apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    DELIVERED = "delivered"
    TRANSIENT = "transient"
    TERMINAL = "terminal"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str = ""


Classifier = Callable[[int, bytes], Verdict]

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

_CLASSIFIERS: dict[str, Classifier] = {}


def by_status(status: int, body: bytes = b"") -> Verdict:
    if 200 <= status < 300:
        return Verdict(Outcome.DELIVERED)
    if status in TRANSIENT_STATUSES or status >= 500:
        return Verdict(Outcome.TRANSIENT, f"http_{status}")
    return Verdict(Outcome.TERMINAL, f"http_{status}")


def register(code: str, classifier: Classifier) -> None:
    _CLASSIFIERS[code] = classifier


def classify(code: str, status: int, body: bytes) -> Verdict:
    return _CLASSIFIERS.get(code, by_status)(status, body)
