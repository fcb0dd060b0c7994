"""A round's install rows: which already exist, which are reinstalls, and one insert for the rest.

Three statements per round whatever its size: the installs that already exist (a later app open
or a redelivery, never a second install: case C12), the earlier installs on the same devices
inside each project's reinstall window, and one bulk insert. The reinstall rule is the one in
`attribution.reinstalls.mark_reinstall`, applied to many installs from one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from attribution.contracts import InstallMessage
from attribution.identifiers import device_ids
from attribution.models import Install, Project
from hazelnut.net import normalize_ip

DEVICE_FIELDS = ("idfv", "gaid", "idfa")


def projects_of(messages: Iterable[InstallMessage]) -> dict[int, Project]:
    """The batch's projects by id, in one query (a message naming no project fails alone)."""
    found: dict[int, Project] = Project.objects.in_bulk({m["project_id"] for m in messages})
    return found


def existing(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Install]:
    """The installs that already have a row, by (project, instance id)."""
    by_project: dict[int, list[str]] = {}
    for project_id, instance_id in keys:
        by_project.setdefault(project_id, []).append(instance_id)
    query = Q()
    for project_id, instance_ids in by_project.items():
        query |= Q(project_id=project_id, install_instance_id__in=instance_ids)
    return {
        (install.project_id, install.install_instance_id): install
        for install in Install.objects.filter(query)
    }


def build(message: InstallMessage, project: Project, platform: str, at: datetime) -> Install:
    """The unsaved Install row for a first launch (project attached, so nothing lazy-loads)."""
    ids = device_ids(message.get("device_data") or {}, message["platform"])
    return Install(
        project=project,
        install_instance_id=message["install_instance_id"],
        platform=platform,
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


def mark_reinstalls(installs: Sequence[Install]) -> None:
    """Set is_reinstall / reinstall_of on unsaved installs, from one query for all of them."""
    with_device = [install for install in installs if _device_values(install)]
    if not with_device:
        return
    query = Q()
    for field in DEVICE_FIELDS:
        values = {getattr(install, field) for install in with_device} - {""}
        if values:
            query |= Q(**{f"{field}__in": values})
    since = min(_since(install) for install in with_device)
    earlier = list(
        Install.objects.filter(
            query,
            project_id__in={install.project_id for install in with_device},
            last_seen_at__gte=since,
        )
    )
    for install in with_device:
        match = _latest_earlier(install, earlier)
        if match is not None:
            install.is_reinstall = True
            install.reinstall_of = match


def _device_values(install: Install) -> dict[str, str]:
    return {field: getattr(install, field) for field in DEVICE_FIELDS if getattr(install, field)}


def _since(install: Install) -> datetime:
    return install.installed_at - timedelta(days=install.project.reinstall_window_days)


def _latest_earlier(install: Install, rows: Sequence[Install]) -> Install | None:
    mine = _device_values(install).items()
    since = _since(install)
    matches = [
        row
        for row in rows
        if row.project_id == install.project_id
        and row.last_seen_at >= since
        and row.install_instance_id != install.install_instance_id
        and any(getattr(row, field) == value for field, value in mine)
    ]
    return max(matches, key=lambda row: row.last_seen_at, default=None)


def insert(installs: list[Install]) -> list[Install]:
    """Insert the rows; any that another worker inserted meanwhile are returned instead of
    inserted (the caller treats them as existing), the rest get their ids."""
    if not installs:
        return []
    try:
        with transaction.atomic():
            Install.objects.bulk_create(installs)
        return []
    except IntegrityError:
        pass
    # Only a lock that expired lets two workers insert the same install: sort out which.
    taken = existing((i.project_id, i.install_instance_id) for i in installs)
    fresh = [i for i in installs if (i.project_id, i.install_instance_id) not in taken]
    with transaction.atomic():
        Install.objects.bulk_create(fresh)
    return list(taken.values())


def record_session(install: Install, at: datetime) -> bool:
    """A later app open: counted once (a redelivered message carries the same time)."""
    updated = Install.objects.filter(id=install.id, last_seen_at__lt=at).update(
        last_seen_at=at, session_count=F("session_count") + 1
    )
    return bool(updated)
