"""Warehouse rows rebuilt from the models: what `manage.py warehouse_backfill` writes.

The row builders are the canonical mapping from a model row to its warehouse row, event keys
included (see `hazelnut/warehouse/tables.py`), so live writers can use them too and a backfill
over live data only repeats rows that the reports count once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from attribution import clicks
from attribution.models import (
    Click,
    CustomEvent,
    Install,
    Payment,
    Reengagement,
    UserIdentity,
)
from attribution.models.event import PaymentStatus
from attribution.reinstalls import reengagement_row

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Source:
    """One model's rows for one warehouse table."""

    name: str
    table: str
    queryset: QuerySet[Any]
    time_field: str
    build: Any  # Callable[[model], list[dict[str, Any]]]


def click_row(click: Click) -> dict[str, Any]:
    return clicks.warehouse_row(click, click.campaign)


def install_row(install: Install) -> dict[str, Any]:
    campaign = install.campaign
    touched = install.store_click_at
    return {
        "project_id": install.project_id,
        "install_id": install.id,
        "install_instance_id": install.install_instance_id,
        "platform": install.platform,
        "attribution_type": install.attribution_type,
        "source": install.source,
        "campaign_id": install.campaign_id or 0,
        "campaign_display_id": campaign.display_id if campaign else "",
        "network": install.network_code,
        "is_reinstall": int(install.is_reinstall),
        "is_reengagement": 0,
        "installed_at": install.installed_at,
        "attributed_at": install.attributed_at or install.installed_at,
        "click_to_install_seconds": int((install.installed_at - touched).total_seconds())
        if touched
        else 0,
    }


def _event(kind: str, key: str, install: Install | None, **fields: Any) -> dict[str, Any]:
    row = {"kind": kind, "event_key": key, **fields}
    if install is not None:
        row.update(
            install_id=install.id,
            installed_at=install.installed_at,
            platform=install.platform,
            campaign_id=fields.get("campaign_id") or install.campaign_id or 0,
            network=install.network_code,
        )
    return row


def signup_rows(user: UserIdentity) -> list[dict[str, Any]]:
    install = user.install
    return [
        _event(
            "signup",
            f"signup:{user.id}",
            install,
            project_id=user.project_id,
            user_id=user.user_id,
            name="signup",
            occurred_at=user.created_at,
        )
    ]


def payment_rows(payment: Payment) -> list[dict[str, Any]]:
    if payment.status != PaymentStatus.PAYMENT_COMPLETED:
        return []
    row = _event(
        "payment",
        f"payment:{payment.id}",
        payment.install,
        project_id=payment.project_id,
        user_id=payment.user_id,
        name=payment.type,
        campaign_id=payment.campaign_id or 0,
        amount=payment.amount,
        currency=payment.currency,
        occurred_at=payment.occurred_at,
    )
    if payment.removed_at is None:
        return [row]
    return [row, {**row, "kind": "payment_removed"}]


def custom_rows(event: CustomEvent) -> list[dict[str, Any]]:
    return [
        _event(
            "custom",
            f"custom:{event.id}",
            event.install,
            project_id=event.project_id,
            user_id=event.user_id,
            name=event.name[:200],
            campaign_id=event.campaign_id or 0,
            occurred_at=event.occurred_at,
        )
    ]


def sources() -> list[Source]:
    return [
        Source(
            "clicks",
            "clicks",
            Click.objects.select_related("campaign__network"),
            "clicked_at",
            lambda c: [click_row(c)],
        ),
        Source(
            "installs",
            "installs",
            Install.objects.select_related("campaign"),
            "installed_at",
            lambda i: [install_row(i)],
        ),
        Source(
            "reengagements",
            "installs",
            Reengagement.objects.select_related("install", "campaign__network"),
            "occurred_at",
            lambda r: [reengagement_row(r)],
        ),
        Source(
            "signups",
            "user_events",
            UserIdentity.objects.select_related("install").filter(install__isnull=False),
            "created_at",
            signup_rows,
        ),
        Source(
            "payments",
            "user_events",
            Payment.objects.select_related("install").filter(parked=False),
            "occurred_at",
            payment_rows,
        ),
        Source(
            "custom_events",
            "user_events",
            CustomEvent.objects.select_related("install").filter(parked=False),
            "occurred_at",
            custom_rows,
        ),
    ]


def narrowed(
    source: Source, project_id: int | None, since: dt.datetime | None, until: dt.datetime | None
) -> QuerySet[Any]:
    rows = source.queryset
    if project_id is not None:
        rows = rows.filter(project_id=project_id)
    if since is not None:
        rows = rows.filter(**{f"{source.time_field}__gte": since})
    if until is not None:
        rows = rows.filter(**{f"{source.time_field}__lt": until})
    return rows.order_by("pk")


def chunks(rows: QuerySet[M], size: int) -> Iterator[list[M]]:
    """Keyset pages by primary key: constant memory, no long-running cursor."""
    last = 0
    while True:
        page = list(rows.filter(pk__gt=last)[:size])
        if not page:
            return
        yield page
        last = page[-1].pk
