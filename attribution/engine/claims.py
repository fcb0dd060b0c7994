"""Deciding a round of installs at once: rank, claim clicks, write the outcome, in a few statements.

The rules are `attribution.finish`'s (its ranking, claim order, decision trace and row fields);
only the round trips differ. The candidate clicks of the whole round are read and locked in one
query, the installs claim them in batch order exactly as they would one after another (an earlier
install's claim makes the click taken for a later one), then one UPDATE writes every claim and
one writes every install. Whatever does not fit that shape (a click candidate without a row id,
a row that changed under us) raises `Reshuffle`, and the caller redoes the round one install at
a time through `attribution.finish`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Field

from attribution import arbiter, finish
from attribution.models import Campaign, Click, Install
from attribution.strategies.base import Candidate


class Reshuffle(Exception):
    """The round cannot be decided in bulk; redo it one install at a time."""


@dataclass
class Decided:
    install: Install
    fields: dict[str, Any]


@dataclass
class _Choice:
    winner: Candidate | None
    click_row: int | None
    claims: list[dict[str, Any]]


def decide(items: Sequence[tuple[Install, dict[str, Any]]]) -> list[Decided]:
    """Rank, claim and write every (install, trace) of the round; the installs now finished.

    Must run inside the round's transaction; the caller publishes after it commits.
    """
    rankings = [finish.rank(install, trace) for install, trace in items]
    choices = _choose_all([install for install, _ in items], rankings)
    campaigns = _campaigns(choices)
    decided = [
        Decided(install, _fields(install, trace, ranking, choice, campaigns))
        for (install, trace), ranking, choice in zip(items, rankings, choices, strict=True)
    ]
    _write(decided)
    return decided


def _choose_all(installs: list[Install], rankings: list[arbiter.Ranking]) -> list[_Choice]:
    click_candidates = [c for ranking in rankings for c in ranking.ordered if c.click_id]
    if len(installs) == 1 or not click_candidates:
        # One install: the claim-as-you-go of `attribution.finish` is already one statement.
        return [_Choice(*finish._choose(i, r)) for i, r in zip(installs, rankings, strict=True)]
    if any(not c.details.get("row_id") for c in click_candidates):
        raise Reshuffle("a click candidate without a row id")
    claimed = _locked_claims({int(c.details["row_id"]) for c in click_candidates})
    choices = [_choose_one(i, r, claimed) for i, r in zip(installs, rankings, strict=True)]
    _write_claims(installs, choices)
    return choices


def _locked_claims(row_ids: set[int]) -> dict[int, tuple[int, int | None]]:
    """Each candidate click's (project, claiming install), rows locked until the round commits;
    in id order, so two workers lock shared clicks in the same order."""
    rows = Click.objects.filter(id__in=row_ids).order_by("id")
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {
        row_id: (project_id, claimed_by)
        for row_id, project_id, claimed_by in rows.values_list(
            "id", "project_id", "claimed_by_install_id"
        )
    }


def _choose_one(
    install: Install, ranking: arbiter.Ranking, claimed: dict[int, tuple[int, int | None]]
) -> _Choice:
    """`attribution.finish._choose` against the round's view of the clicks."""
    claims: list[dict[str, Any]] = []
    for candidate in ranking.ordered:
        if not candidate.click_id:
            return _Choice(candidate, None, claims)
        row_id = int(candidate.details["row_id"])
        project_id, holder = claimed.get(row_id, (None, None))
        free = project_id == install.project_id and holder in (None, install.id)
        claims.append({"click_id": candidate.click_id, "claimed": free})
        if free:
            claimed[row_id] = (install.project_id, install.id)
            return _Choice(candidate, row_id, claims)
    return _Choice(None, None, claims)


def _write_claims(installs: list[Install], choices: list[_Choice]) -> None:
    """Every claim of the round in one pipelined executemany (rows already locked above)."""
    owners = [
        (install.id, choice.click_row)
        for install, choice in zip(installs, choices, strict=True)
        if choice.click_row is not None
    ]
    if not owners:
        return
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} = %s WHERE {} = %s".format(
        quote(Click._meta.db_table), quote("claimed_by_install_id"), quote("id")
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, owners)
        if cursor.rowcount != len(owners):
            raise Reshuffle("a claimed click disappeared")


def _campaigns(choices: list[_Choice]) -> dict[int, Campaign]:
    wanted = {c.winner.campaign_id for c in choices if c.winner and c.winner.campaign_id}
    if not wanted:
        return {}
    found: dict[int, Campaign] = Campaign.objects.select_related("network").in_bulk(wanted)
    return found


def _fields(
    install: Install,
    trace: dict[str, Any],
    ranking: arbiter.Ranking,
    choice: _Choice,
    campaigns: dict[int, Campaign],
) -> dict[str, Any]:
    winner = choice.winner
    campaign = campaigns.get(winner.campaign_id) if winner and winner.campaign_id else None
    if campaign is not None and campaign.project_id != install.project_id:
        campaign = None  # `campaigns.by_id` only finds the install's own project's campaigns
    decision = {
        **trace,
        "ranking": [c.to_json() for c in ranking.ordered],
        "dropped": ranking.dropped,
        "claims": choice.claims,
        "winner": winner.to_json() if winner else None,
        "rule": ranking.rule_for(winner) if winner else "no candidate: organic",
        "contributors": arbiter.contributors(ranking, winner),
        "decided_at": datetime.now(UTC).isoformat(),
    }
    return finish._fields(winner, campaign, choice.click_row, decision)


def _write(decided: list[Decided]) -> None:
    """The outcome of every install, only while it is still PENDING (the exactly-once guard).

    One parameterised UPDATE sent for all installs at once (psycopg pipelines executemany): the
    ORM's bulk_update builds a CASE per field and row, which cost more than the rest of the
    round together.
    """
    if not decided:
        return
    for item in decided:
        for name, value in item.fields.items():
            setattr(item.install, name, value)
    fields = [_concrete(name) for name in decided[0].fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s AND {} = %s".format(
        quote(Install._meta.db_table),
        ", ".join(f"{quote(str(field.column))} = %s" for field in fields),
        quote("id"),
        quote("status"),
    )
    rows = [
        [
            *(f.get_db_prep_save(getattr(item.install, f.attname), connection) for f in fields),
            item.install.id,
            Install.Status.PENDING,
        ]
        for item in decided
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        updated = cursor.rowcount
    if updated != len(decided):
        raise Reshuffle("an install was finished elsewhere")


def _concrete(name: str) -> Field[Any, Any]:
    field = Install._meta.get_field(name)
    assert isinstance(field, Field)
    return field
