"""The attribution sweeper: a periodic task that finishes installs a crash or a lost message left
half done, so that no accepted install is lost.

Two kinds of install need it. One still pending well after it arrived has lost a task (the
external-strategy task, or the attribute task after it created the row): the sweeper publishes
the install's message again, as a broker redelivery would, and the attribute task resumes it
(the strategies still owed, then the one conditional finish in `attribution.finish`). One
attributed but without `fanout_published_at` lost its fan-out between the commit and the
publish: the sweeper runs the fan-out again, every step of which is idempotent (deliveries are
unique per idempotency key). Each run takes at most a batch of each kind, oldest first, and
re-drives a pending install at most once per grace period, so a lagging queue is not fed the
same installs again every minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from attribution import finish
from attribution.contracts import ATTRIBUTE_INSTALL, InstallMessage
from attribution.models import Install
from hazelnut import metrics
from hazelnut.broker import message_key
from hazelnut.celery import app

log = structlog.get_logger(__name__)

SWEEP = "attribution.sweep.run"


@dataclass(frozen=True)
class SweepResult:
    redriven: int
    republished: int


def sweep(now: datetime | None = None) -> SweepResult:
    """One pass: re-drive stale pending installs, then re-publish unrecorded fan-outs."""
    now = now or timezone.now()
    batch = int(settings.HAZELNUT_SWEEP_BATCH_SIZE)
    result = SweepResult(
        redriven=redrive_pending(now, batch), republished=republish_fanout(now, batch)
    )
    log.info("attribution.sweep.done", redriven=result.redriven, republished=result.republished)
    return result


def redrive_pending(now: datetime, batch: int) -> int:
    """Publish again the message of installs pending longer than the grace; how many."""
    cutoff = now - timedelta(seconds=int(settings.HAZELNUT_SWEEP_PENDING_AFTER_SECONDS))
    not_recently = Q(redriven_at__isnull=True) | Q(redriven_at__lt=cutoff)
    stale = (
        Install.objects.filter(not_recently, status=Install.Status.PENDING, installed_at__lt=cutoff)
        .order_by("installed_at")
        .only(*_MESSAGE_FIELDS)[:batch]
    )
    redriven = 0
    for install in stale:
        # The claim keeps two overlapping sweeps from both re-driving the same install.
        claimed = Install.objects.filter(
            not_recently, id=install.id, status=Install.Status.PENDING
        ).update(redriven_at=now)
        if not claimed:
            continue
        app.send_task(
            ATTRIBUTE_INSTALL,
            kwargs=dict(_message(install)),
            **message_key(f"{install.project_id}:{install.install_instance_id}"),
        )
        redriven += 1
        log.info(
            "attribution.sweep.redriven",
            install_id=install.id,
            project_id=install.project_id,
            pending_seconds=int((now - install.installed_at).total_seconds()),
        )
    metrics.ATTRIBUTION_SWEPT.labels(action="redriven").inc(redriven)
    return redriven


def republish_fanout(now: datetime, batch: int) -> int:
    """Run the fan-out again for attributed installs it was never recorded for; how many."""
    cutoff = now - timedelta(seconds=int(settings.HAZELNUT_SWEEP_FANOUT_AFTER_SECONDS))
    unrecorded = (
        Install.objects.select_related("project", "campaign", "reinstall_of")
        .filter(
            status=Install.Status.ATTRIBUTED,
            fanout_published_at__isnull=True,
            attributed_at__lt=cutoff,
        )
        .order_by("attributed_at")[:batch]
    )
    published: list[int] = []
    for install in unrecorded:
        try:
            finish.publish_fanout(install)
        except Exception as error:  # noqa: BLE001 - one bad install must not stall the rest
            metrics.ATTRIBUTION_SWEPT.labels(action="failed").inc()
            log.error(
                "attribution.sweep.fanout_failed",
                install_id=install.id,
                error=type(error).__name__,
            )
            continue
        published.append(install.id)
        log.info("attribution.sweep.republished", install_id=install.id)
    marked = finish.record_fanout(published)
    metrics.ATTRIBUTION_SWEPT.labels(action="republished").inc(len(published))
    if marked < len(published):
        # Unconfirmed or already marked by a racing run: the next sweep decides again.
        log.warning("attribution.sweep.unrecorded", published=len(published), marked=marked)
    return len(published)


_MESSAGE_FIELDS = (
    "id",
    "project_id",
    "install_instance_id",
    "platform",
    "app_version",
    "package_version",
    "device_data",
    "ip",
    "user_agent",
    "installed_at",
)


def _message(install: Install) -> InstallMessage:
    """The SDK init that created the install, as ingest published it.

    `received_at` is the install time, which is what makes the attribute task treat it as a
    redelivery of the creating message and resume the install instead of counting a session.
    """
    return {
        "project_id": install.project_id,
        "install_instance_id": install.install_instance_id,
        "platform": install.platform,
        "app_version": install.app_version,
        "package_version": install.package_version,
        "device_data": install.device_data or {},
        "ip": install.ip,
        "user_agent": install.user_agent,
        "received_at": install.installed_at.isoformat(),
    }
