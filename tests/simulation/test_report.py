"""The simulator's verdict: which runs fail and why, and the postbacks each network should have
had, counted from the rows a run leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from attribution.models import AdNetwork, CustomEvent, Install, NetworkAccount, Payment, Project
from attribution.models.install import UserIdentity
from ingest.simulation import deliveries, report
from postbacks.models import Delivery, PostbackEventMap

SINCE = datetime(2024, 5, 1, tzinfo=UTC)


def _result(**changes: Any) -> dict[str, Any]:
    """A run that passes; `changes` spoil it."""
    result: dict[str, Any] = {
        "installs_sent": 10,
        "installs_stored": 10,
        "drain_timed_out": False,
        "drain_seconds": 1.5,
        "open_deliveries": 0,
        "not_2xx": [],
        "paid_without_campaign": {},
        "match_by_kind": [
            {"kind": "link_ip_match", "sent": 10, "matched": 9, "rate": 0.9, "expected_rate": 0.9},
            {"kind": "organic", "sent": 4, "matched": 4, "rate": 1.0, "expected_rate": 1.0},
        ],
        "postbacks_missing": [],
        "postbacks_off_machine": [],
    }
    result.update(changes)
    return result


def test_a_clean_run_passes() -> None:
    assert report.problems(_result()) == []
    assert report.passed(_result())


def test_paid_installs_without_a_campaign_fail_the_run() -> None:
    result = _result(paid_without_campaign={"click_match": 7})
    assert report.problems(result) == ["7 paid installs credited by click_match name no campaign"]
    assert not report.passed(result)


def test_a_match_rate_below_its_floor_fails_the_run() -> None:
    rows = _result()["match_by_kind"]
    rows[0] = {**rows[0], "matched": 14, "sent": 21, "rate": 0.667}
    assert report.problems(_result(match_by_kind=rows)) == [
        "link_ip_match matched 14/21, below 90%"
    ]


def test_missing_postback_kinds_and_off_machine_requests_fail_the_run() -> None:
    result = _result(
        postbacks_missing=["meta payment", "tiktok custom"], postbacks_off_machine=["webhook"]
    )
    assert report.problems(result) == [
        "no meta payment postback delivered",
        "no tiktok custom postback delivered",
        "a webhook postback left the machine",
    ]


def test_a_drain_that_gave_up_fails_the_run() -> None:
    result = _result(drain_timed_out=True, drain_seconds=120.0, open_deliveries=2)
    assert report.problems(result) == [
        "the drain gave up after 120.0 s with 2 deliveries or events unfinished"
    ]


def test_missing_lists_expected_kinds_that_were_never_delivered() -> None:
    made = {
        "meta": {"install": {"delivered": 3}, "payment": {"skipped": 2, "dead": 1}},
        "tiktok": {"install": {"delivered": 1}},
    }
    wanted = {"meta": ["install", "payment"], "tiktok": ["install", "custom"]}
    assert deliveries.missing(wanted, made) == ["meta payment", "tiktok custom"]


def test_a_kind_the_network_could_not_match_is_not_missing() -> None:
    made = {"google_ads": {"install": {"delivered": 2}, "custom": {"unmatchable": 3}}}
    wanted = {"google_ads": ["install", "custom"]}
    assert deliveries.missing(wanted, made) == []


@pytest.fixture
def networks(project: Project) -> dict[str, AdNetwork]:
    found = {}
    for code in ("META", "TIKTOK", "SNAPCHAT"):
        found[code], _ = AdNetwork.objects.get_or_create(code=code, defaults={"name": code})
        NetworkAccount.objects.create(project=project, network=found[code], account_id="a")
    return found


def _map(project: Project, network: AdNetwork, kind: str, source: str = "", **extra: Any) -> None:
    PostbackEventMap.objects.create(
        project=project,
        network=network,
        event_kind=kind,
        source_event_name=source,
        network_event_name=f"{kind}-name",
        **extra,
    )


def _install(project: Project, instance: str, network: str) -> Install:
    return Install.objects.create(
        project=project,
        install_instance_id=instance,
        platform="ANDROID",
        installed_at=SINCE,
        last_seen_at=SINCE,
        network_code=network,
        attribution_type="INORGANIC" if network else "ORGANIC",
    )


@pytest.mark.django_db
def test_expected_kinds_follow_the_maps_and_what_credited_users_did(
    project: Project, networks: dict[str, AdNetwork]
) -> None:
    for kind in ("payment", "custom"):
        for code in ("META", "TIKTOK", "SNAPCHAT"):
            _map(project, networks[code], kind, "cart_added" if kind == "custom" else "")
    meta_user = _install(project, "i-meta", "META")
    tiktok_user = _install(project, "i-tiktok", "TIKTOK")
    organic = _install(project, "i-organic", "")
    UserIdentity.objects.create(project=project, user_id="u-meta", install=meta_user)
    # Payments find their install through the user; custom events name it directly.
    Payment.objects.create(
        project=project, user_id="u-meta", amount=Decimal("4.99"), occurred_at=SINCE
    )
    CustomEvent.objects.create(
        project=project, install=tiktok_user, name="level_completed", occurred_at=SINCE
    )
    CustomEvent.objects.create(
        project=project, install=organic, name="cart_added", occurred_at=SINCE
    )

    wanted = deliveries.expected(project.pk, [meta_user, tiktok_user, organic], SINCE)

    # Installs and signups go out under default names to the credited network; TikTok's user
    # sent no mapped custom event, the organic user's goes to nobody, Snapchat has no user.
    assert wanted == {"meta": ["install", "signup", "payment"], "tiktok": ["install"]}


@pytest.mark.django_db
def test_a_map_for_every_user_expects_events_of_users_credited_elsewhere(
    project: Project, networks: dict[str, AdNetwork]
) -> None:
    _map(project, networks["SNAPCHAT"], "custom", "cart_added", only_attributed=False)
    organic = _install(project, "i-organic", "")
    CustomEvent.objects.create(
        project=project, install=organic, name="cart_added", occurred_at=SINCE
    )
    NetworkAccount.objects.filter(project=project, network__code="META").update(active=False)

    assert deliveries.expected(project.pk, [organic], SINCE) == {"snapchat": ["custom"]}


@pytest.mark.django_db
def test_postbacks_are_counted_per_destination_kind_and_state_and_checked_for_loopback(
    project: Project,
) -> None:
    rows = [
        ("meta", "install", "delivered", "http://127.0.0.1:4100/networks/meta/v25.0/1/events"),
        ("meta", "install", "skipped", ""),
        ("meta", "payment", "delivered", "http://[::1]:4100/networks/meta/v25.0/1/events"),
        ("tiktok", "custom", "delivered", "https://business-api.tiktok.com/open_api/v1.3/"),
    ]
    for number, (destination, kind, state, url) in enumerate(rows):
        Delivery.objects.create(
            project=project,
            destination=destination,
            event_kind=kind,
            state=state,
            idempotency_key=f"k{number}",
            request={"method": "POST", "url": url} if url else {},
        )

    Delivery.objects.create(
        project=project,
        destination="google_ads",
        event_kind="custom",
        state="skipped",
        idempotency_key="k-unmatchable",
        last_error="no advertising id and no gclid: Google cannot match it",
    )

    assert deliveries.by_kind(project.pk, SINCE) == {
        "meta": {"install": {"delivered": 1, "skipped": 1}, "payment": {"delivered": 1}},
        "tiktok": {"custom": {"delivered": 1}},
        "google_ads": {"custom": {"unmatchable": 1}},
    }
    assert deliveries.off_machine(project.pk, SINCE) == ["tiktok"]
