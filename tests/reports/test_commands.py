"""manage.py warehouse_migrate, warehouse_backfill and whatif_windows, on both warehouses."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.management import call_command

from attribution.models import (
    AdNetwork,
    Campaign,
    Click,
    CustomEvent,
    Install,
    Payment,
    Project,
    Reengagement,
    UserIdentity,
)
from hazelnut.warehouse import ReportFilter, Warehouse
from tests.reports.month import at


def _campaign(project: Project, code: str, display_id: str) -> Campaign:
    network, _ = AdNetwork.objects.get_or_create(code=code, defaults={"name": code})
    return Campaign.objects.create(
        project=project, display_id=display_id, name=display_id.upper(), network=network
    )


def _install(project: Project, n: int, campaign: Campaign | None, **fields: object) -> Install:
    values: dict[str, object] = {
        "project": project,
        "install_instance_id": f"iid-{n}",
        "platform": "ANDROID",
        "attribution_type": "INORGANIC" if campaign else "ORGANIC",
        "campaign": campaign,
        "network_code": campaign.network_code if campaign else "",
        "installed_at": at(3, 12),
        "last_seen_at": at(3, 12),
    }
    values.update(fields)
    return Install.objects.create(**values)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_warehouse_migrate_reports_the_version(warehouse: Warehouse) -> None:
    out = io.StringIO()
    call_command("warehouse_migrate", stdout=out)

    assert out.getvalue().strip() == (
        f"warehouse {warehouse.name}: schema version {warehouse.schema_version()} "
        "(nothing to apply)"
    )


def test_backfill_rebuilds_the_reports_from_the_models(
    warehouse: Warehouse, project: Project
) -> None:
    a = _campaign(project, "GOOGLE", "bf-a")
    for n in range(3):
        Click.objects.create(project=project, campaign=a, click_id=f"bf-{n}", clicked_at=at(3, 9))
    first = _install(project, 1, a)
    second = _install(project, 2, a, installed_at=at(4, 12))
    _install(project, 3, None)
    user = UserIdentity.objects.create(project=project, user_id="u1", install=first)
    UserIdentity.objects.filter(id=user.id).update(created_at=at(3, 13))
    pay = {"project": project, "install": first, "campaign": a, "user_id": "u1"}
    Payment.objects.create(**pay, payment_id="p1", amount=Decimal("12.50"), occurred_at=at(4, 9))
    Payment.objects.create(
        **pay, payment_id="p2", amount=Decimal("3.00"), occurred_at=at(4, 9), removed_at=at(5, 9)
    )
    Payment.objects.create(
        **pay, payment_id="p3", amount=Decimal("7"), occurred_at=at(4, 9), status="PAYMENT_FAILED"
    )
    CustomEvent.objects.create(
        project=project, install=second, campaign=a, name="level", occurred_at=at(5, 9)
    )
    Reengagement.objects.create(
        project=project,
        install=first,
        campaign=a,
        trigger="deeplink",
        occurred_at=at(6, 9),
        dedup_key="re-1",
    )

    out = _run("warehouse_backfill", "--project", str(project.id))
    _run("warehouse_backfill", "--project", str(project.id), "--only", "payments")  # repeat

    assert "payments: 3 rows -> user_events" in out  # p1, p2 and p2's removal; p3 failed
    days = {
        (d.campaign_id, d.day.day): d
        for d in warehouse.campaign_days(
            ReportFilter(project.id, at(1, 0).date(), at(30, 0).date())
        )
    }
    assert (days[(a.id, 3)].clicks, days[(a.id, 3)].installs, days[(a.id, 3)].signups) == (3, 1, 1)
    assert (days[(a.id, 4)].installs, days[(a.id, 4)].payments, days[(a.id, 4)].revenue) == (
        1,
        1,
        Decimal("12.5000"),
    )
    assert (days[(a.id, 6)].reengagements, days[(0, 3)].installs) == (1, 1)
    assert days[(a.id, 4)].d1_retained == 1  # the second install's custom event on day 5


def test_whatif_reattributes_under_other_windows(warehouse: Warehouse, project: Project) -> None:
    a, b, c = (
        _campaign(project, code, f"wi-{code.lower()}") for code in ("GOOGLE", "META", "TIKTOK")
    )
    own = Click.objects.create(project=project, campaign=a, click_id="own", clicked_at=at(3, 10))
    Click.objects.create(
        project=project, campaign=b, click_id="dev", clicked_at=at(2, 6), gaid="g-2"
    )
    by_ip = Click.objects.create(
        project=project, campaign=a, click_id="ip", clicked_at=at(3, 9), ip="198.51.100.4"
    )
    _install(project, 1, a, click=own, source="play_referrer")  # the referrer's click, 2 h before
    _install(project, 2, None, gaid="g-2")  # a device click 30 h before: organic at 24 h
    _install(project, 3, c, source="meta_referrer")  # a network's answer: windows do not apply
    _install(project, 4, a, ip="198.51.100.4", click=by_ip, source="click_match")  # IP, 3 h

    out = _run(
        "whatif_windows",
        "--project",
        str(project.id),
        "--click-lookback-hours",
        "48",
        "--probabilistic-window-hours",
        "2",
    )

    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:-1]}
    assert lines["WI-GOOGLE"] == ["2", "1", "-1"]
    assert lines["WI-META"] == ["0", "1", "+1"]
    assert lines["WI-TIKTOK"] == ["1", "1", "+0"]
    assert lines["(organic)"] == ["1", "1", "+0"]
    assert out.splitlines()[-1] == "changed: 2 of 4 installs"
    rules = sorted(
        (row["whatif_rule"], row["whatif_campaign_id"])
        for row in warehouse.select("whatif_installs", project.id)
    )
    assert rules == sorted(
        [("click_id", a.id), ("device_id", b.id), ("kept:meta_referrer", c.id), ("organic", 0)]
    )


def test_rollup_command_fills_campaign_daily(warehouse: Warehouse, project: Project) -> None:
    a = _campaign(project, "GOOGLE", "ru-a")
    warehouse.write(
        "installs",
        [
            {
                "project_id": project.id,
                "install_id": 1,
                "campaign_id": a.id,
                "installed_at": at(3, 9),
            }
        ],
    )
    warehouse.flush()

    out = io.StringIO()
    call_command(
        "warehouse_rollup", "--project", str(project.id), "--from", "2026-06-01",
        "--to", "2026-06-30", stdout=out,
    )  # fmt: skip

    assert out.getvalue().strip() == f"project {project.id}: 1 campaign days 2026-06-01..2026-06-30"
    [day] = warehouse.daily(ReportFilter(project.id, at(1, 0).date(), at(30, 0).date()))
    assert (day.campaign_id, day.day.day, day.installs) == (a.id, 3, 1)
