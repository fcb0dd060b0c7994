"""GET /api/v1/reporting/campaigns: counts, revenue and retention by campaign and day.

Campaigns (and the filters on them) come from the models; the numbers from the warehouse,
one `campaign_days` query for the whole project and period, then filtered, sorted and paged here.
Days are UTC days. See `hazelnut/warehouse/queries.py` for what each number counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from attribution.models import Campaign, Project
from attribution.reports import ratelimit
from attribution.reports.http import (
    ReportError,
    api_view,
    choice,
    day,
    iso,
    page_and_limit,
    pagination,
)
from attribution.reports.summary import SORTABLE, Totals, count, formatted, summarize
from hazelnut.warehouse import EventCount, ReportFilter, get_warehouse

# Limit: days are UTC days; a `timezone` parameter for reports is not supported yet.
VIEWS = ("user_acquisition", "retargeting")
MAX_DAYS = 366
MAX_EVENT_NAMES = 20
DISPLAY_CURRENCY = "USD"  # Limit: no per-project currency yet; amounts are reported as sent.


@api_view
def campaign_report(request: HttpRequest, project: Project) -> dict[str, Any]:
    ratelimit.check(project, "reporting", "HAZELNUT_RATE_LIMIT_REPORTING_PER_MINUTE", 60)
    start, end = period(request)
    page, limit = page_and_limit(request, default=10, maximum=100)
    view = choice(request, "view", VIEWS, "user_acquisition")
    sort_field = choice(request, "sort_field", ("name", "created_at", *SORTABLE), "installs")
    descending = choice(request, "sort_order", ("asc", "desc"), "desc") == "desc"
    platform = request.GET.get("platform")
    if platform is not None:
        platform = choice(request, "platform", ("ios", "android"), "ios").upper()

    custom_names = _names(request, "events")
    payment_names = _names(request, "payment_events")
    campaigns = list(_campaigns(request, project))
    report = ReportFilter(project.id, start, end, platform=platform)
    warehouse = get_warehouse()
    totals = summarize(warehouse.campaign_days(report))
    custom = _counts(warehouse.event_counts(report, "custom", custom_names))
    paid = _counts(warehouse.event_counts(report, "payment", payment_names))
    for removed in warehouse.event_counts(report, "payment_removed", payment_names):
        paid[(removed.campaign_id, removed.name)] -= removed.count
    rows = [(campaign, totals.get(campaign.id, Totals())) for campaign in campaigns]
    rows.sort(key=lambda row: _sort_key(row, sort_field), reverse=descending)
    total = len(rows)
    shown = rows[(page - 1) * limit : page * limit]
    return {
        "campaigns": [
            {
                **_campaign_json(campaign, numbers),
                "custom_events": {n: count(custom[(campaign.id, n)]) for n in custom_names},
                "payment_events": {n: count(paid[(campaign.id, n)]) for n in payment_names},
            }
            for campaign, numbers in shown
        ],
        "organic": formatted(totals.get(0, Totals())),
        "pagination": pagination(total, page, limit),
        "display_currency": DISPLAY_CURRENCY,
        "view": view,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }


def _names(request: HttpRequest, name: str) -> tuple[str, ...]:
    """Event names from `name=a,b` or repeated `name=a&name=b`, in order, without repeats."""
    raw = ",".join(request.GET.getlist(name))
    names = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if len(names) > MAX_EVENT_NAMES:
        raise ReportError(422, f"At most {MAX_EVENT_NAMES} names in '{name}'.", "invalid_" + name)
    return names


def _counts(rows: list[EventCount]) -> Counter[tuple[int, str]]:
    return Counter({(row.campaign_id, row.name): row.count for row in rows})


def period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    end = day(request, "to", "end_date") or timezone.now().date()
    start = day(request, "from", "start_date") or end - dt.timedelta(days=6)
    if start > end:
        raise ReportError(422, "'from' must not be after 'to'.", "invalid_period", "from")
    if (end - start).days >= MAX_DAYS:
        raise ReportError(422, f"The period may span at most {MAX_DAYS} days.", "invalid_period")
    return start, end


def _campaigns(request: HttpRequest, project: Project) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(project=project).select_related("network")
    active = request.GET.get("active")
    if active:
        campaigns = campaigns.filter(
            active=choice(request, "active", ("true", "false"), "true") == "true"
        )
    if request.GET.get("network"):
        campaigns = campaigns.filter(network__code__iexact=request.GET["network"])
    if request.GET.get("search"):
        term = request.GET["search"]
        campaigns = campaigns.filter(Q(name__icontains=term) | Q(display_id__icontains=term))
    # Limit: meta_account_id, unique_user_events, cost_per_event, active_users wait for spend data.
    return campaigns


def _sort_key(row: tuple[Campaign, Totals], field: str) -> tuple[Any, ...]:
    campaign, totals = row
    if field == "name":
        return (campaign.name.lower(), campaign.id)
    if field == "created_at":
        return (campaign.created_at, campaign.id)
    return (totals.value(field), campaign.name.lower())


def _campaign_json(campaign: Campaign, totals: Totals) -> dict[str, Any]:
    code = campaign.network_code
    return {
        "id": campaign.id,
        "display_id": campaign.display_id,
        "name": campaign.name,
        "active": campaign.active,
        "created_at": iso(campaign.created_at),
        "network": code,
        "google": code == "GOOGLE",
        "meta": code == "META",
        "tiktok": code == "TIKTOK",
        **formatted(totals),
    }
