"""Install attribution, second half: pick the winner, claim its click, write the install and
hand it to the fan-out, exactly once.

"Exactly once" rests on one conditional UPDATE (status PENDING -> ATTRIBUTED): only the worker
whose update changes the row commits its claims, writes the warehouse row and publishes the
postback and analytics fan-out; any other (a redelivery, a racing retry) rolls back. The fan-out
is marked (`fanout_published_at`) once it is durable, so a crash between the commit and the
publish is repaired by `attribution.sweeper`, which publishes it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Q

from analytics.api import forward_install
from attribution import api, arbiter, campaigns, instants, reinstalls, sink
from attribution.models import Campaign, Click, Install
from attribution.models.install import AttributionType
from attribution.strategies.base import Candidate
from hazelnut import metrics, warehouse
from hazelnut.broker import publisher
from postbacks.api import fan_out_install

log = structlog.get_logger(__name__)

# How long a fan-out waits for Kafka to store its records before leaving the mark to the sweeper.
BROKER_FLUSH_SECONDS = 10.0


def _candidates(trace: dict[str, Any]) -> list[Candidate]:
    return [
        Candidate.from_json(candidate)
        for entry in trace.get("strategies", [])
        for candidate in entry.get("candidates", [])
    ]


def rank(install: Install, trace: dict[str, Any]) -> arbiter.Ranking:
    """The arbiter's ranking of the trace's candidates, with Play's install-begin time if any."""
    begun = instants.from_iso((trace.get("referrer") or {}).get("install_begin_time"))
    return arbiter.rank(
        _candidates(trace), install.installed_at.timestamp(), begun.timestamp() if begun else None
    )


def _claim(install: Install, candidate: Candidate) -> int | None:
    """Claim the candidate's click for this install; the Click row id, or None if taken."""
    claimable = Q(claimed_by_install_id__isnull=True) | Q(claimed_by_install_id=install.id)
    clicks = Click.objects.filter(claimable, project_id=install.project_id)
    row_id = candidate.details.get("row_id")
    if row_id:
        # The click store knows the row id, so the claim is one UPDATE by primary key.
        return (
            int(row_id)
            if clicks.filter(id=row_id).update(claimed_by_install_id=install.id)
            else None
        )
    rows = clicks.filter(click_id=candidate.click_id).update(claimed_by_install_id=install.id)
    if not rows:
        return None
    return Click.objects.filter(click_id=candidate.click_id).values_list("id", flat=True).first()


def _choose(
    install: Install, ranking: arbiter.Ranking
) -> tuple[Candidate | None, int | None, list[dict[str, Any]]]:
    claims: list[dict[str, Any]] = []
    for candidate in ranking.ordered:
        if not candidate.click_id:
            return candidate, None, claims
        click_row = _claim(install, candidate)
        claims.append({"click_id": candidate.click_id, "claimed": click_row is not None})
        if click_row is not None:
            return candidate, click_row, claims
    return None, None, claims


def finish_install(install_id: int, trace: dict[str, Any], install: Install | None = None) -> bool:
    """Decide and write; True when this call finished the install (False: already finished).

    `install` may be passed when the caller has just loaded or created the row.
    """
    if install is None:
        install = Install.objects.select_related("project").get(id=install_id)
    ranking = rank(install, trace)
    with transaction.atomic():
        winner, click_row, claims = _choose(install, ranking)
        campaign = campaigns.by_id(install.project_id, winner.campaign_id) if winner else None
        decision = {
            **trace,
            "ranking": [c.to_json() for c in ranking.ordered],
            "dropped": ranking.dropped,
            "claims": claims,
            "winner": winner.to_json() if winner else None,
            "rule": ranking.rule_for(winner) if winner else "no candidate: organic",
            "contributors": arbiter.contributors(ranking, winner),
            "decided_at": datetime.now(UTC).isoformat(),
        }
        fields = _fields(winner, campaign, click_row, decision)
        updated = Install.objects.filter(id=install.id, status=Install.Status.PENDING).update(
            **fields
        )
        if not updated:
            transaction.set_rollback(True)
            return False
        for name, value in fields.items():
            setattr(install, name, value)
        finished = install
        transaction.on_commit(lambda: _after_commit(finished))
    metrics.ATTRIBUTION_OUTCOMES.labels(source=fields["source"] or "organic").inc()
    log.info(
        "attribution.install.attributed",
        project_id=install.project_id,
        source=fields["source"],
        network=fields["network_code"],
    )
    return True


def _fields(
    winner: Candidate | None,
    campaign: Campaign | None,
    click_row: int | None,
    decision: dict[str, Any],
) -> dict[str, Any]:
    network = (campaign.network_code if campaign else None) or (winner.network if winner else "")
    touched = winner.touched_at if winner else None
    return {
        "status": Install.Status.ATTRIBUTED,
        "attribution_type": AttributionType.INORGANIC if winner else AttributionType.ORGANIC,
        "source": winner.strategy if winner else "",
        "campaign": campaign,
        "network_code": network or "",
        "click_id": click_row,
        "contributors": decision["contributors"],
        "decision": decision,
        "store_click_at": datetime.fromtimestamp(touched, tz=UTC) if touched else None,
        "attributed_at": datetime.now(UTC),
    }


def _after_commit(install: Install) -> None:
    # A crash before the mark leaves fanout_published_at empty; the sweeper publishes again.
    publish_fanout(install)
    record_fanout([install.id])


def publish_fanout(install: Install) -> None:
    """Hand an attributed install downstream: warehouse row, re-engagement, postback and
    analytics fan-out, the install_attributed signal.

    Safe to run again (the sweeper does, when the mark is missing): reports count one row per
    install_id, the re-engagement row and every delivery have unique keys, and adoption clears
    each parked event with a conditional update.
    """
    sink.write("installs", [_warehouse_row(install)])
    reinstalls.reengage_on_reinstall(install)
    fan_out_install(install.id)
    forward_install(install.id)
    api.install_attributed.send(sender=Install, attribution=api.from_install(install))


def record_fanout(install_ids: Sequence[int]) -> int:
    """Mark the installs' fan-out published once what it produced is durable; rows marked.

    Warehouse rows and Kafka records sit in buffers until flushed, and a crash after the mark
    but before the flush would lose them for good. The task flushes both before it returns
    anyway, so flushing first only moves that wait ahead of the mark.
    """
    if not install_ids:
        return 0
    warehouse.flush_all()
    unsent = publisher.flush_all(BROKER_FLUSH_SECONDS)
    if unsent:
        log.warning("attribution.fanout.unconfirmed", installs=len(install_ids), records=unsent)
        return 0
    return Install.objects.filter(id__in=install_ids, fanout_published_at__isnull=True).update(
        fanout_published_at=datetime.now(UTC)
    )


def _warehouse_row(install: Install) -> dict[str, Any]:
    click_to_install = (
        int((install.installed_at - install.store_click_at).total_seconds())
        if install.store_click_at
        else 0
    )
    return {
        "project_id": install.project_id,
        "install_id": install.id,
        "install_instance_id": install.install_instance_id,
        "platform": install.platform,
        "attribution_type": install.attribution_type,
        "source": install.source,
        "campaign_id": install.campaign_id or 0,
        "campaign_display_id": install.campaign.display_id if install.campaign else "",
        "network": install.network_code,
        "is_reinstall": int(install.is_reinstall),
        "is_reengagement": 0,
        "installed_at": install.installed_at,
        "attributed_at": install.attributed_at or install.installed_at,
        "click_to_install_seconds": click_to_install,
    }
