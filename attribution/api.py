"""The attribution app's public facade: what other apps may ask of it.

Other apps (events, postbacks, analytics) import only this module, never the attribution models
or tasks. Other helpers may append functions here.

- `get_install_attribution(project_id, install_instance_id)` -> `InstallAttribution | None`:
  the install's current attribution. `status` is "PENDING" until the attribution chain has
  finished (an event that arrives earlier sees PENDING and can wait for the signal below or
  retry), then "ATTRIBUTED" (which includes organic: `attribution_type` says which).
- `install_attributed`: a Django signal sent after the transaction that finished an install's
  attribution commits, in the worker process that finished it, and sent again by the sweeper if
  that fan-out was never recorded (so receivers must be idempotent). Receivers get
  `attribution=InstallAttribution` as a keyword argument. Connect a receiver that only enqueues
  work (e.g. re-run events parked for that install); never do slow work in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.dispatch import Signal

install_attributed = Signal()


@dataclass(frozen=True)
class InstallAttribution:
    install_id: int
    project_id: int
    install_instance_id: str
    status: str  # "PENDING" or "ATTRIBUTED"
    attribution_type: str  # "ORGANIC" or "INORGANIC"
    campaign_id: int | None
    campaign_display_id: str | None
    network: str | None  # AdNetwork code (GOOGLE, META, APPLE_SEARCH_ADS, ...)
    source: str  # the strategy that won, "" for organic
    installed_at: datetime
    attributed_at: datetime | None
    is_reinstall: bool

    @property
    def is_final(self) -> bool:
        return self.status == "ATTRIBUTED"


def from_install(install: Any) -> InstallAttribution:
    """The facade view of an Install row (for the attribution app itself)."""
    campaign = install.campaign
    return InstallAttribution(
        install_id=install.id,
        project_id=install.project_id,
        install_instance_id=install.install_instance_id,
        status=install.status,
        attribution_type=install.attribution_type,
        campaign_id=install.campaign_id,
        campaign_display_id=campaign.display_id if campaign else None,
        network=install.network_code or None,
        source=install.source,
        installed_at=install.installed_at,
        attributed_at=install.attributed_at,
        is_reinstall=install.is_reinstall,
    )


def get_install_attribution(project_id: int, install_instance_id: str) -> InstallAttribution | None:
    """The install's attribution, or None when no install with that id exists (yet)."""
    from attribution.models import Install

    install = (
        Install.objects.select_related("campaign")
        .filter(project_id=project_id, install_instance_id=install_instance_id)
        .first()
    )
    return from_install(install) if install else None


def get_install_attribution_by_id(install_id: int) -> InstallAttribution | None:
    """Same, by the Install row id (what fan-out tasks receive)."""
    from attribution.models import Install

    install = Install.objects.select_related("campaign").filter(id=install_id).first()
    return from_install(install) if install else None


# Appended by the events+postbacks helper: the install and event snapshots postbacks and analytics
# build their requests from (attribution/events/facts.py; no model import at module level).
from attribution.events.facts import (  # noqa: E402
    ZERO_ID,
    EventFacts,
    InstallFacts,
    event_facts,
    install_facts,
)

__all__ = [
    "ZERO_ID",
    "EventFacts",
    "InstallAttribution",
    "InstallFacts",
    "event_facts",
    "get_install_attribution",
    "get_install_attribution_by_id",
    "install_attributed",
    "install_facts",
]
