"""What-if attribution: stored installs re-judged under other click windows.

Installs that were organic or credited by our own click matching are matched again against the
stored clicks before them: a device id (GAID/IDFA) within the click look-back, then the same IP
(and platform) within the probabilistic window; the latest click of the stronger rule wins.
Installs credited by the install referrer's click id keep that click if it falls within the
look-back. Installs credited by a network's own answer keep their campaign: windows do not
change those.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from attribution.models import Click, Install

# Limit: re-implements the click rules over PostgreSQL (no OS-version check), not the live engine.
REJUDGED_SOURCES = frozenset({"", "click_match"})
REFERRER_SOURCES = frozenset({"play_referrer"})


@dataclass(frozen=True)
class Windows:
    click_lookback_hours: int
    probabilistic_window_hours: int

    @property
    def widest(self) -> dt.timedelta:
        return dt.timedelta(hours=max(self.click_lookback_hours, self.probabilistic_window_hours))


@dataclass(frozen=True)
class Verdict:
    install_id: int
    live_campaign_id: int
    campaign_id: int
    rule: str


@dataclass
class Difference:
    live: Counter[int] = field(default_factory=Counter)
    whatif: Counter[int] = field(default_factory=Counter)
    changed: int = 0
    total: int = 0

    def add(self, verdict: Verdict) -> None:
        self.live[verdict.live_campaign_id] += 1
        self.whatif[verdict.campaign_id] += 1
        self.total += 1
        self.changed += verdict.campaign_id != verdict.live_campaign_id


def judge_page(installs: list[Install], windows: Windows) -> list[Verdict]:
    """Verdicts for a page of one project's installs, with one query for their clicks."""
    if not installs:
        return []
    first = min(i.installed_at for i in installs) - windows.widest
    last = max(i.installed_at for i in installs)
    clicks = list(
        Click.objects.filter(
            project_id=installs[0].project_id,
            clicked_at__gte=first,
            clicked_at__lte=last,
            is_view=False,
        ).order_by("-clicked_at")
    )
    return [_judge(install, clicks, windows) for install in installs]


def _judge(install: Install, clicks: Iterable[Click], windows: Windows) -> Verdict:
    live = install.campaign_id or 0
    lookback = dt.timedelta(hours=windows.click_lookback_hours)
    probabilistic = dt.timedelta(hours=windows.probabilistic_window_hours)
    if install.source in REFERRER_SOURCES:
        rules: list[tuple[str, Any]] = [
            ("click_id", lambda c: c.id == install.click_id and _within(install, c, lookback)),
        ]
    elif install.attribution_type == "ORGANIC" or install.source in REJUDGED_SOURCES:
        rules = [
            ("device_id", lambda c: _same_device(install, c) and _within(install, c, lookback)),
            ("probabilistic", lambda c: _same_network(install, c)
             and _within(install, c, probabilistic)),
        ]  # fmt: skip
    else:
        return Verdict(install.id, live, live, "kept:" + (install.source or "network"))
    for rule, matches in rules:
        found = next((c for c in clicks if matches(c)), None)  # clicks are newest first
        if found is not None:
            return Verdict(install.id, live, found.campaign_id or 0, rule)
    return Verdict(install.id, live, 0, "organic")


def _within(install: Install, click: Click, window: dt.timedelta) -> bool:
    return dt.timedelta(0) <= install.installed_at - click.clicked_at <= window


def _same_network(install: Install, click: Click) -> bool:
    same_platform = not click.platform or click.platform.upper() == install.platform.upper()
    return bool(install.ip) and click.ip == install.ip and same_platform


def _same_device(install: Install, click: Click) -> bool:
    return bool(
        (install.gaid and click.gaid == install.gaid)
        or (install.idfa and click.idfa == install.idfa)
    )


def result_row(
    run_id: str, install: Install, verdict: Verdict, windows: Windows, now: dt.datetime
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "project_id": install.project_id,
        "install_id": install.id,
        "installed_at": install.installed_at,
        "click_lookback_hours": windows.click_lookback_hours,
        "probabilistic_window_hours": windows.probabilistic_window_hours,
        "live_campaign_id": verdict.live_campaign_id,
        "whatif_campaign_id": verdict.campaign_id,
        "whatif_rule": verdict.rule,
        "computed_at": now,
    }
