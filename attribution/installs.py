"""Install attribution, first half: create the install once, then run the strategies.

Idempotency rests on two things: the Install unique constraint (project, install_instance_id)
makes the row the anchor, and a short Redis lock per install keeps two deliveries of the same
message from racing through the strategies. A message for an install that already exists is a
later app open (a session) or a redelivery, never a second install (case C12).

Task shape (measured with bench/s2_attribution.py on the 2-core box, embedded stores): all
local strategies together (referrers, Meta decryption, click lookup) take 0.5 ms p50 and 1.6 ms
p99 per install, less than one Celery task hop costs (S3 anchors: 1-1.7k no-op tasks/s per
process, so 0.6-1 ms of CPU plus broker latency per hop, and a group would also need a join).
So they run inside the one `attribution.installs.attribute` task, which also finishes the
install. Only when an external strategy applies (an Apple AdServices token, a Google Ads
account) is one more task sent, `attribution.strategies.external`, which calls the APIs with
their own retries and then finishes the install; the local results wait in the pending row's
decision trace. So an install costs one task, or two when an outside API must be asked.
Micro-batching would pay next: the same lookups pipelined 200 at a time ran 6x faster than
one at a time in the same run (C/B in S2), but most of a task's time is the database writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import F
from redis.exceptions import LockNotOwnedError

from attribution import clickstore, finish, reinstalls
from attribution.contracts import InstallMessage
from attribution.identifiers import device_ids, short_id
from attribution.models import Install, Project
from attribution.referrer import parse_play_referrer
from attribution.strategies import BY_NAME, EXTERNAL, LOCAL, Strategy
from attribution.strategies.base import InstallContext, Windows
from attribution.useragent import normalize_version, parse_user_agent
from hazelnut.celery import app
from hazelnut.net import normalize_ip

log = structlog.get_logger(__name__)

RUN_EXTERNAL = "attribution.strategies.external"
# Attribution holds the lock for milliseconds; a worker killed mid-install frees it by expiry.
LOCK_SECONDS = 30


class InstallBusy(Exception):
    """Another worker holds this install's lock; the task retries later."""


def attribute_install(message: InstallMessage) -> int:
    """Create and attribute the install, or record a session on an existing one; its row id."""
    lock = clickstore.connection().lock(
        f"hz:lock:install:{message['project_id']}:{message['install_instance_id']}",
        timeout=LOCK_SECONDS,
        blocking=False,
    )
    if not lock.acquire():
        raise InstallBusy(message["install_instance_id"])
    try:
        return _attribute_locked(message)
    finally:
        try:
            lock.release()
        except LockNotOwnedError:
            # The lock expired (or Redis lost it); the row constraints kept the work safe anyway.
            log.warning("attribution.install.lock_lost", project_id=message["project_id"])


def _attribute_locked(message: InstallMessage) -> int:
    at = datetime.fromisoformat(message["received_at"])
    install, created = _create(message, at)
    if not created:
        _record_session(install, at)
        # Only a redelivery of the message that created a still-pending install resumes it
        # (the worker that created it died before finishing).
        if install.status != Install.Status.PENDING or install.installed_at != at:
            return install.id
        pending = (install.decision or {}).get("pending_external")
        if pending:
            _send_external(install.id, list(pending))
            return install.id
    context = context_for(install)
    trace: dict[str, Any] = {
        "identifiers": _identifiers(context),
        "referrer": context.referrer.describe(),
        "windows_seconds": asdict(context.windows),
        "strategies": run_strategies(context, LOCAL),
    }
    external = [s.name for s in EXTERNAL if s.can_handle(context)]
    if external:
        trace["pending_external"] = external
        Install.objects.filter(id=install.id).update(decision=trace)
        _send_external(install.id, external)
        return install.id
    finish.finish_install(install.id, trace, install)
    return install.id


def _send_external(install_id: int, names: list[str]) -> None:
    # Limit: an install left PENDING by a lost external task waits for a redelivery; no sweeper yet.
    transaction.on_commit(
        lambda: app.send_task(RUN_EXTERNAL, kwargs={"install_id": install_id, "names": names})
    )


def run_external(install_id: int, names: list[str]) -> None:
    """The external strategies of a pending install, then its finish (task body)."""
    install = Install.objects.select_related("project").filter(id=install_id).first()
    if install is None or install.status != Install.Status.PENDING:
        return
    trace: dict[str, Any] = dict(install.decision or {})
    context = context_for(install)
    strategies = [BY_NAME[name] for name in names if name in BY_NAME]
    trace["strategies"] = [*trace.get("strategies", []), *run_strategies(context, strategies)]
    trace.pop("pending_external", None)
    finish.finish_install(install_id, trace, install)


def _create(message: InstallMessage, at: datetime) -> tuple[Install, bool]:
    ids = device_ids(message.get("device_data") or {}, message["platform"])
    install = Install(
        project_id=message["project_id"],
        install_instance_id=message["install_instance_id"],
        platform=_platform(message),
        app_version=message.get("app_version") or "",
        package_version=message.get("package_version") or "",
        gaid=ids["gaid"] or "",
        idfa=ids["idfa"] or "",
        idfv=ids["idfv"] or "",
        ip=normalize_ip(message.get("ip")),
        user_agent=message.get("user_agent") or "",
        device_data=message.get("device_data") or {},
        installed_at=at,
        last_seen_at=at,
    )
    try:
        with transaction.atomic():
            reinstalls.mark_reinstall(install)
            install.save()
    except IntegrityError:
        existing = Install.objects.get(
            project_id=message["project_id"], install_instance_id=message["install_instance_id"]
        )
        return existing, False
    return install, True


def _record_session(install: Install, at: datetime) -> None:
    """A later app open: counted once (a redelivered message carries the same time)."""
    updated = Install.objects.filter(id=install.id, last_seen_at__lt=at).update(
        last_seen_at=at, session_count=F("session_count") + 1
    )
    log.info("attribution.install.session", project_id=install.project_id, counted=bool(updated))


def _platform(message: InstallMessage) -> str:
    """IOS or ANDROID; cross-platform SDKs (React Native, Flutter, Expo) say which via the UA or
    the device data."""
    platform = message["platform"].upper()
    if platform in {"IOS", "ANDROID"}:
        return platform
    agent = parse_user_agent(message.get("user_agent") or "")
    if agent.platform in {"IOS", "ANDROID"}:
        return agent.platform
    data = message.get("device_data") or {}
    apple = str(data.get("brand", "")).lower() == "apple" or bool(data.get("idfv"))
    return "IOS" if apple else "ANDROID" if data else platform


def windows_of(project: Project) -> Windows:
    return Windows(
        click_lookback=project.click_lookback_hours * 3600,
        probabilistic=project.probabilistic_window_hours * 3600,
        view_through=project.view_through_hours * 3600,
        reinstall=int(timedelta(days=project.reinstall_window_days).total_seconds()),
    )


def context_for(install: Install) -> InstallContext:
    data = install.device_data or {}
    agent = parse_user_agent(install.user_agent)
    os_version = normalize_version(str(data.get("system_version") or "")) or agent.os_version
    return InstallContext(
        project_id=install.project_id,
        install_id=install.id,
        install_instance_id=install.install_instance_id,
        platform=install.platform,
        at=install.installed_at,
        gaid=install.gaid or None,
        idfa=install.idfa or None,
        idfv=install.idfv or None,
        ip=install.ip,
        os_version=os_version,
        device_data=data,
        referrer=parse_play_referrer(_referrer_text(data), data),
        windows=windows_of(install.project),
    )


def _identifiers(context: InstallContext) -> dict[str, Any]:
    """Which identifiers the install had; device ids shortened (the row keeps them in full)."""
    return {
        "gaid": short_id(context.gaid),
        "idfa": short_id(context.idfa),
        "idfv": short_id(context.idfv),
        "ip": context.ip,
        "platform": context.platform,
        "os_version": context.os_version,
    }


def _referrer_text(data: dict[str, Any]) -> str:
    for key in ("install_ref", "installReferrer", "install_referrer"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def run_strategies(context: InstallContext, strategies: Iterable[Strategy]) -> list[dict[str, Any]]:
    """Run each strategy that can handle the install; one trace entry per strategy."""
    entries: list[dict[str, Any]] = []
    for strategy in strategies:
        if not strategy.can_handle(context):
            entries.append({"name": strategy.name, "ran": False})
            continue
        outcome = strategy.run(context)
        entries.append(
            {
                "name": strategy.name,
                "ran": True,
                "note": outcome.note,
                "details": outcome.details,
                "candidates": [c.to_json() for c in outcome.candidates],
            }
        )
    return entries
