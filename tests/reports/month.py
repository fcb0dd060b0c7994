"""A simulated June 2026 for one project, written to the models and the warehouse.

The shape is chosen so the totals can be worked out by hand (see test_month.py):
- campaign A (GOOGLE, active): each day d of June, 2 clicks and 1 view, 1 install at 10:00
  (ANDROID on odd days, IOS on even days) that signs up the same day; a reinstall on days 10, 20,
  30; installs of days 1..10 pay 9.99 the next day at 12:00; installs of days 1..5 send a custom
  event 7 days later. Every installs row of A is written twice (at-least-once delivery).
- campaign B (META, active): on days 1..15, 1 click and 1 IOS install that signs up; on days
  16..30, 1 re-engagement; a payment of 100.00 on day 5 and one of 50.00 on day 6 later removed.
- campaign C (TIKTOK, inactive): nothing happens.
- organic: 2 ANDROID installs a day.
- noise: one A install on 1 July, and one install of another project in June.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from attribution.models import AdNetwork, Campaign, Domain, Install, Project, UserIdentity
from hazelnut.warehouse import Warehouse

JUNE_DAYS = range(1, 31)
# A's payments are FIRST_PAYMENT, B's (and B's removal) ONE_TIME; custom events level_completed.
EVENT_NAMES = {"signup": "signup", "custom": "level_completed", "payment": "FIRST_PAYMENT"}


@dataclass(frozen=True)
class Month:
    project: Project
    key: str
    a: Campaign
    b: Campaign
    c: Campaign


def at(day: int, hour: int, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def _campaign(project: Project, code: str, display_id: str, name: str, active: bool) -> Campaign:
    network, _ = AdNetwork.objects.get_or_create(code=code, defaults={"name": code.title()})
    return Campaign.objects.create(
        project=project, display_id=display_id, name=name, network=network, active=active
    )


def build(project: Project, key: str, warehouse: Warehouse) -> Month:
    Domain.objects.create(project=project, host="go.example.test", is_default=True)
    month = Month(
        project=project,
        key=key,
        a=_campaign(project, "GOOGLE", "sum-a", "Summer Google", True),
        b=_campaign(project, "META", "ret-b", "Meta Retarget", True),
        c=_campaign(project, "TIKTOK", "tik-c", "Paused TikTok", False),
    )
    writer = _Writer(project.id)
    _campaign_a(month, writer)
    _campaign_b(month, writer)
    for d in JUNE_DAYS:
        for n in range(2):
            writer.install(5000 + d * 2 + n, 0, "", "ANDROID", at(d, 8))
    writer.install(9999, month.a.id, "GOOGLE", "ANDROID", at(1, 10, month=7))
    writer.rows["installs"].append({**writer.rows["installs"][-1], "project_id": project.id + 1000})
    for table, rows in writer.rows.items():
        warehouse.write(table, rows)
    warehouse.flush()
    return month


def _campaign_a(month: Month, writer: _Writer) -> None:
    a = month.a.id
    for d in JUNE_DAYS:
        platform = "ANDROID" if d % 2 else "IOS"
        writer.click(f"a-{d}-0", a, "GOOGLE", platform, at(d, 9))
        writer.click(f"a-{d}-1", a, "GOOGLE", platform, at(d, 9))
        writer.click(f"a-{d}-v", a, "GOOGLE", platform, at(d, 9), is_view=1)
        install_id = 1000 + d
        writer.install(install_id, a, "GOOGLE", platform, at(d, 10), copies=2)
        installed = at(d, 10)
        writer.event(f"su-a-{d}", "signup", install_id, a, "GOOGLE", platform, installed, installed)
        if d % 10 == 0:
            writer.install(2000 + d, a, "GOOGLE", platform, at(d, 11), copies=2, is_reinstall=1)
        if d <= 10:
            paid = installed + dt.timedelta(days=1, hours=2)
            writer.event(
                f"pay-a-{d}",
                "payment",
                install_id,
                a,
                "GOOGLE",
                platform,
                installed,
                paid,
                amount="9.99",
            )
        if d <= 5:
            later = installed + dt.timedelta(days=7)
            writer.event(f"cu-a-{d}", "custom", install_id, a, "GOOGLE", platform, installed, later)
        _model_install(month, install_id, platform, installed)


def _campaign_b(month: Month, writer: _Writer) -> None:
    b = month.b.id
    for d in range(1, 16):
        writer.click(f"b-{d}", b, "META", "IOS", at(d, 9))
        writer.install(3000 + d, b, "META", "IOS", at(d, 10))
        writer.event(f"su-b-{d}", "signup", 3000 + d, b, "META", "IOS", at(d, 10), at(d, 10))
    for d in range(16, 31):
        writer.install(3000 + d - 15, b, "META", "IOS", at(d, 15), is_reengagement=1)
    writer.event("pay-b-1", "payment", 3005, b, "META", "IOS", at(5, 10), at(5, 18), "100.00")
    writer.event("pay-b-2", "payment", 3006, b, "META", "IOS", at(6, 10), at(6, 18), "50.00")
    for row in writer.rows["user_events"][-2:]:
        row["name"] = "ONE_TIME"
    writer.event(
        "pay-b-2", "payment_removed", 3006, b, "META", "IOS", at(6, 10), at(6, 18), "50.00"
    )


def _model_install(month: Month, install_id: int, platform: str, installed: dt.datetime) -> None:
    install = Install.objects.create(
        project=month.project,
        install_instance_id=f"iid-{install_id}",
        platform=platform,
        attribution_type="INORGANIC",
        campaign=month.a,
        network_code="GOOGLE",
        installed_at=installed,
        last_seen_at=installed,
        attributed_at=installed,
    )
    user = UserIdentity.objects.create(
        project=month.project, user_id=f"user-{install_id}", install=install, name="N"
    )
    UserIdentity.objects.filter(id=user.id).update(created_at=installed)


class _Writer:
    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.rows: dict[str, list[dict[str, Any]]] = {
            "clicks": [],
            "installs": [],
            "user_events": [],
        }

    def click(
        self,
        click_id: str,
        campaign: int,
        network: str,
        platform: str,
        when: dt.datetime,
        is_view: int = 0,
    ) -> None:
        self.rows["clicks"].append(
            {
                "project_id": self.project_id,
                "click_id": click_id,
                "campaign_id": campaign,
                "network": network,
                "platform": platform,
                "clicked_at": when,
                "is_view": is_view,
            }
        )

    def install(
        self,
        install_id: int,
        campaign: int,
        network: str,
        platform: str,
        when: dt.datetime,
        copies: int = 1,
        **flags: int,
    ) -> None:
        row = {
            "project_id": self.project_id,
            "install_id": install_id,
            "campaign_id": campaign,
            "network": network,
            "platform": platform,
            "installed_at": when,
            "attributed_at": when,
            "attribution_type": "INORGANIC" if campaign else "ORGANIC",
            **flags,
        }
        self.rows["installs"].extend([row] * copies)

    def event(
        self,
        key: str,
        kind: str,
        install_id: int,
        campaign: int,
        network: str,
        platform: str,
        installed: dt.datetime,
        when: dt.datetime,
        amount: str = "0",
    ) -> None:
        self.rows["user_events"].append(
            {
                "project_id": self.project_id,
                "install_id": install_id,
                "event_key": key,
                "kind": kind,
                "campaign_id": campaign,
                "network": network,
                "platform": platform,
                "installed_at": installed,
                "occurred_at": when,
                "amount": amount,
                "name": EVENT_NAMES[kind] if kind != "payment_removed" else "ONE_TIME",
            }
        )
