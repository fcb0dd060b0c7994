"""The per-project dashboard: installs, events and revenue by campaign and day, organic versus
paid, top networks and postback health, on one server-rendered page (charts are inline SVG).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from attribution.models import Campaign, Project
from attribution.reports.charts import Series, bar_chart, line_chart
from attribution.reports.http import ReportError, day
from attribution.reports.summary import Totals, money, period_days, summarize
from hazelnut.warehouse import CampaignDay, ReportFilter, get_warehouse
from postbacks.api import delivery_health

DEFAULT_DAYS = 30
TOP_CAMPAIGNS = 6
TOP_NETWORKS = 8


# Limit: any staff user sees every project; there is no per-project membership yet.
@login_required(login_url="admin:login")
@user_passes_test(lambda user: user.is_staff, login_url="admin:login")
def project_dashboard(request: HttpRequest, project_id: int) -> HttpResponse:
    project = get_object_or_404(Project, id=project_id)
    try:
        end = day(request, "to") or timezone.now().date()
        start = day(request, "from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    except ReportError as error:
        return HttpResponse(error.msg, status=400)
    return render(request, "reports/dashboard.html", _context(project, start, end))


def _context(project: Project, start: dt.date, end: dt.date) -> dict[str, Any]:
    warehouse = get_warehouse()
    report = ReportFilter(project.id, start, end)
    rows = warehouse.campaign_days(report)
    totals = summarize(rows)
    names = dict(Campaign.objects.filter(project=project).values_list("id", "name"))
    names[0] = "Organic"
    days = period_days(start, end)
    ranked = sorted(totals, key=lambda c: (-totals[c].installs, names.get(c, "")))[:TOP_CAMPAIGNS]
    everything = Totals()
    for row in rows:
        everything.add(row)
    networks = warehouse.install_breakdown(report, "network")[:TOP_NETWORKS]
    paid = warehouse.install_breakdown(report, "attribution_type")
    since = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    return {
        "project": project,
        "start": start,
        "end": end,
        "backend": warehouse.name,
        "totals": everything,
        "revenue": money(everything.revenue),
        "installs_chart": _by_day(
            "Installs by campaign and day", rows, ranked, names, days, lambda r: r.installs
        ),
        "events_chart": _by_day(
            "Sign-ups and payments by campaign and day",
            rows,
            ranked,
            names,
            days,
            lambda r: r.signups + r.payments,
        ),
        "revenue_chart": _by_day(
            "Revenue by campaign and day", rows, ranked, names, days, lambda r: r.revenue
        ),
        "paid_chart": bar_chart(
            "Organic versus paid installs",
            [("Paid" if b.key == "INORGANIC" else "Organic", b.installs) for b in paid],
        ),
        "networks_chart": bar_chart(
            "Top networks by installs", [(b.key or "Organic", b.installs) for b in networks]
        ),
        "campaign_rows": [
            (names.get(c, f"#{c}"), totals[c], money(totals[c].revenue)) for c in ranked
        ],
        "health": delivery_health(project.id, since),
    }


def _by_day(
    title: str,
    rows: list[CampaignDay],
    campaigns: list[int],
    names: dict[int, str],
    days: list[dt.date],
    metric: Any,
) -> Any:
    index = {(row.campaign_id, row.day): row for row in rows}
    series = []
    for campaign in campaigns:
        values: tuple[Decimal | int, ...] = tuple(
            metric(index[(campaign, d)]) if (campaign, d) in index else 0 for d in days
        )
        series.append(Series(names.get(campaign, f"#{campaign}"), values))
    return line_chart(title, days, series)
