"""SKAdNetwork conversion values for the iOS SDK's trigger, capture-event and capture-payment
responses (`fine_conversion_value`, `coarse_conversion_value`, `lock_postback`).

A project's SkanConfig holds rules {"event", "min_revenue", "fine", "coarse", "lock"}; the rule
with the highest fine value among those matching the event (and its revenue) wins. The SDK never
lowers a value it has applied, so returning the best match each time is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

COARSE_VALUES = ("low", "medium", "high")
PAYMENT_EVENT = "payment"
SIGNUP_EVENT = "signup"


@dataclass(frozen=True)
class SkanRule:
    event: str
    min_revenue: Decimal
    fine: int
    coarse: str
    lock: bool


def parse_rule(raw: dict[str, Any]) -> SkanRule:
    """One validated rule; raises ValueError on an out-of-range or unknown value."""
    fine = int(raw["fine"])
    if not 0 <= fine <= 63:
        raise ValueError("fine conversion value must be within 0-63")
    coarse = str(raw.get("coarse") or "low").lower()
    if coarse not in COARSE_VALUES:
        raise ValueError("coarse conversion value must be low, medium or high")
    try:
        min_revenue = Decimal(str(raw.get("min_revenue") or 0))
    except InvalidOperation:
        raise ValueError("min_revenue must be a number") from None
    return SkanRule(str(raw["event"]), min_revenue, fine, coarse, bool(raw.get("lock", False)))


# Limit: revenue rules look at the event's own amount, not the user's cumulative revenue.
def conversion_values(
    rules: list[dict[str, Any]], event: str, revenue: Decimal | None = None
) -> dict[str, Any]:
    """The SKAN fields for `event` (signup, payment or a custom name); {} when no rule matches.

    Malformed rules are ignored here (they are rejected when the config is saved), so a bad rule
    never breaks an SDK response.
    """
    best: SkanRule | None = None
    for raw in rules:
        try:
            rule = parse_rule(raw)
        except (KeyError, TypeError, ValueError):
            continue
        if rule.event != event:
            continue
        if rule.min_revenue > 0 and (revenue is None or revenue < rule.min_revenue):
            continue
        if best is None or rule.fine > best.fine:
            best = rule
    if best is None:
        return {}
    return {
        "fine_conversion_value": best.fine,
        "coarse_conversion_value": best.coarse,
        "lock_postback": best.lock,
    }


def for_project(project_id: int, event: str, revenue: Decimal | None = None) -> dict[str, Any]:
    """The SKAN fields from the project's active config (one query; {} without a config)."""
    from attribution.models import SkanConfig

    config = SkanConfig.objects.filter(project_id=project_id, active=True).first()
    return conversion_values(config.rules, event, revenue) if config else {}
