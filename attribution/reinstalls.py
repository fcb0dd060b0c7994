"""Reinstalls and re-engagement.

A new install_instance_id whose device (IDFV, GAID or IDFA) already installed inside the
project's reinstall window is a reinstall of that install, not a new user (case C12). A
returning user is re-engaged, and gets a Reengagement row that the postbacks app fans out,
when a paid reinstall or a deep-link open (`handle-deeplink`) comes after at least the project's
inactivity window without an app open.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Q

from attribution import campaigns, sink
from attribution.contracts import DeeplinkMessage
from attribution.models import Install, Reengagement
from attribution.models.install import AttributionType
from postbacks.api import fan_out_event

log = structlog.get_logger(__name__)


def mark_reinstall(install: Install) -> None:
    """Set is_reinstall / reinstall_of on an unsaved install from earlier installs."""
    same_device = Q()
    for field in ("idfv", "gaid", "idfa"):
        value = getattr(install, field)
        if value:
            same_device |= Q(**{field: value})
    if not same_device:
        return
    since = install.installed_at - timedelta(days=install.project.reinstall_window_days)
    earlier = (
        Install.objects.filter(same_device, project_id=install.project_id, last_seen_at__gte=since)
        .exclude(install_instance_id=install.install_instance_id)
        .order_by("-last_seen_at")
        .first()
    )
    if earlier is not None:
        install.is_reinstall = True
        install.reinstall_of = earlier


def _inactive_long_enough(last_seen: datetime, now: datetime, days: int) -> bool:
    return now - last_seen >= timedelta(days=days)


def reengage_on_reinstall(install: Install) -> Reengagement | None:
    """A paid reinstall after the inactivity window re-engages the user."""
    previous = install.reinstall_of
    if previous is None or install.attribution_type != AttributionType.INORGANIC:
        return None
    if not _inactive_long_enough(
        previous.last_seen_at, install.installed_at, install.project.reengagement_inactivity_days
    ):
        return None
    return _record(install, "reinstall", "", install.installed_at, f"reinstall:{install.id}")


def handle_deeplink(message: DeeplinkMessage) -> Reengagement | None:
    """A deep-link open of one of our links after the inactivity window re-engages."""
    install = (
        Install.objects.select_related("project")
        .filter(
            project_id=message["project_id"],
            install_instance_id=message["install_instance_id"],
        )
        .first()
    )
    if install is None:
        log.info("attribution.deeplink.unknown_install", project_id=message["project_id"])
        return None
    at = datetime.fromisoformat(message["received_at"])
    url = message["deeplink_url"]
    digest = hashlib.sha256(f"{url}|{message['received_at']}".encode()).hexdigest()[:32]
    key = f"deeplink:{install.id}:{digest}"
    inactive = _inactive_long_enough(
        install.last_seen_at, at, install.project.reengagement_inactivity_days
    )
    Install.objects.filter(id=install.id, last_seen_at__lt=at).update(last_seen_at=at)
    if not inactive:
        return None
    return _record(install, "deeplink", url, at, key)


def _record(
    install: Install, trigger: str, url: str, at: datetime, dedup_key: str
) -> Reengagement | None:
    campaign = (
        campaigns.by_display_id(install.project_id, campaigns.display_id_from_url(url))
        if url
        else install.campaign
    )
    if url and campaign is None:
        return None  # not one of our links
    try:
        with transaction.atomic():
            row = Reengagement.objects.create(
                project_id=install.project_id,
                install=install,
                campaign=campaign,
                trigger=trigger,
                deeplink_url=url,
                occurred_at=at,
                dedup_key=dedup_key,
            )
            fan_out_event("reengagement", row.id)
    except IntegrityError:
        return None  # a redelivery: already recorded and fanned out
    sink.write("installs", [reengagement_row(row)])
    log.info("attribution.reengagement.recorded", project_id=install.project_id, trigger=trigger)
    return row


def reengagement_row(reengagement: Reengagement) -> dict[str, Any]:
    install, campaign = reengagement.install, reengagement.campaign
    return {
        "project_id": reengagement.project_id,
        "install_id": install.id,
        "install_instance_id": install.install_instance_id,
        "platform": install.platform,
        "attribution_type": "INORGANIC" if campaign else "ORGANIC",
        "source": reengagement.trigger,
        "campaign_id": reengagement.campaign_id or 0,
        "campaign_display_id": campaign.display_id if campaign else "",
        "network": (campaign.network_code or "") if campaign else "",
        "is_reinstall": 0,
        "is_reengagement": 1,
        "installed_at": reengagement.occurred_at,
        "attributed_at": reengagement.occurred_at,
    }
