"""What every analytics platform client shares: the build context, ids and event naming."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from attribution.api import EventFacts, InstallFacts


@dataclass(frozen=True)
class Context:
    credentials: dict[str, Any]
    endpoint: str
    frozen_at: dt.datetime
    insert_id: str

    def base_url(self, default: str) -> str:
        # Limit: a customer-set endpoint (and Braze's id lookup on it) skips the address guard.
        return str(self.endpoint or self.credentials.get("endpoint") or default).rstrip("/")


def event_name(event: EventFacts | None) -> str:
    if event is None:
        return "install"
    if event.kind == "custom":
        return event.name
    return {"payment": "purchase", "signup": "signup"}.get(event.kind, event.kind)


def happened(
    install: InstallFacts, event: EventFacts | None, frozen_at: dt.datetime
) -> dt.datetime:
    moment = install.installed_at if event is None else event.occurred_at
    return min(moment, frozen_at)


def platform_id(install: InstallFacts, event: EventFacts | None, key: str) -> str:
    """An id the app handed us for this platform (user_data at signup, or integrations)."""
    user = event.user if event is not None else {}
    return str(user.get(key) or install.integrations.get(key) or "")


def user_id(event: EventFacts | None) -> str:
    return event.user_id if event is not None else ""


def properties(install: InstallFacts, event: EventFacts | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "campaign": install.campaign_name,
        "campaign_id": install.campaign_display_id,
        "network": install.network_code or "ORGANIC",
        "attribution_type": "paid" if install.paid else "organic",
        "install_instance_id": install.install_instance_id,
    }
    if event is not None and event.data:
        props.update({k: v for k, v in event.data.items() if isinstance(v, str | int | float)})
    return {k: v for k, v in props.items() if v not in ("", None)}


def money(event: EventFacts | None) -> tuple[Decimal, str] | None:
    if event is None or event.amount is None:
        return None
    return event.amount, event.currency or "USD"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
