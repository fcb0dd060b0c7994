"""Micro-batched attribution (`attribution.installs.attribute_batch`): the same outcome as one
install at a time, idempotent per install_instance_id, one fan-out per install, and a statement
count that does not grow with the batch."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attribution import api
from attribution.contracts import ATTRIBUTE_INSTALL, RECORD_CLICK
from attribution.engine import locks
from attribution.installs import ATTRIBUTE_BATCH, InstallBusy, attribute_installs
from attribution.models import Campaign, Install, Project
from attribution.strategies.base import Candidate
from postbacks.api import FAN_OUT_INSTALL
from tests.attribution.conftest import Sent, click_message, install_message

pytestmark = pytest.mark.django_db(transaction=True)

Run = Callable[[str, dict[str, Any]], None]
CHROME = (
    "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 Chrome/124.0.0.0 Mobile Safari/537.36"
)
SHARED_IP = "198.51.100.7"
IDFV = "ba7c0000-0000-4000-8000-000000000006"
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def _gaid(n: int) -> str:
    return f"ba7c0000-0000-4000-8000-{n:012d}"


def _project(name: str) -> Project:
    project, _ = Project.new(name)
    project.save()
    return project


def _clicks(project: Project, run: Run) -> None:
    campaign = Campaign.objects.create(project=project, display_id=f"batch-{project.pk}", name="b")
    for n in (1, 2):
        run(
            RECORD_CLICK,
            click_message(
                project,
                f"{project.pk}-clk-{n}",
                at="2024-05-01T09:00:00Z",
                campaign=campaign,
                params={"gaid": _gaid(n)},
            ),
        )
    run(
        RECORD_CLICK,
        click_message(
            project,
            f"{project.pk}-clk-ip",
            at="2024-05-01T09:30:00Z",
            campaign=campaign,
            ip=SHARED_IP,
            user_agent=CHROME,
        ),
    )


def _messages(project: Project) -> list[dict[str, Any]]:
    """A batch with every interaction a batch must keep: two installs after one IP click, an
    organic one, a reinstall of an install in the same batch, a redelivery and a later open."""

    def android(instance: str, n: int, at: str, ip: str | None = None) -> dict[str, Any]:
        data = {"gaid": _gaid(n), "system_version": "14"}
        return install_message(project, instance, at=at, device_data=data, ip=ip)

    def ios(instance: str, at: str) -> dict[str, Any]:
        return install_message(project, instance, at=at, platform="IOS", device_data={"idfv": IDFV})

    first = android("inst-1", 1, "2024-05-01T10:00:00Z")
    return [
        first,
        android("inst-2", 2, "2024-05-01T10:01:00Z"),
        android("inst-3", 3, "2024-05-01T10:02:00Z", ip=SHARED_IP),
        android("inst-4", 4, "2024-05-01T10:03:00Z", ip=SHARED_IP),
        android("inst-5", 5, "2024-05-01T10:04:00Z", ip="192.0.2.99"),
        ios("inst-6", "2024-05-01T10:05:00Z"),
        ios("inst-6-again", "2024-05-03T10:05:00Z"),
        first,
        android("inst-2", 2, "2024-05-02T08:00:00Z"),
    ]


def _outcome(project: Project) -> dict[str, tuple[Any, ...]]:
    """What attribution decided per install, without ids and times that differ between runs."""
    prefix = f"{project.pk}-"
    outcome = {}
    for install in Install.objects.filter(project=project).select_related("campaign", "click"):
        decision = install.decision
        outcome[install.install_instance_id] = (
            install.status,
            install.attribution_type,
            install.source,
            install.campaign.name if install.campaign else None,
            install.click.click_id.removeprefix(prefix) if install.click else None,
            install.is_reinstall,
            install.reinstall_of.install_instance_id if install.reinstall_of else None,
            install.session_count,
            decision["rule"],
            [(c["click_id"] or "").removeprefix(prefix) for c in decision["ranking"]],
            [c["claimed"] for c in decision["claims"]],
            [s["name"] for s in decision["strategies"] if s["ran"]],
        )
    return outcome


def test_a_batch_decides_every_install_as_one_at_a_time_would(run: Run, sent: Sent) -> None:
    one_by_one, batched = _project("one by one"), _project("batched")
    for project in (one_by_one, batched):
        _clicks(project, run)

    for message in _messages(one_by_one):
        run(ATTRIBUTE_INSTALL, message)
    run(ATTRIBUTE_BATCH, {"messages": _messages(batched)})

    expected = _outcome(one_by_one)
    assert _outcome(batched) == expected
    assert expected["inst-3"][2:5] == ("click_match", "b", "clk-ip")
    assert expected["inst-4"][1] == "ORGANIC"
    assert expected["inst-4"][10] == [False]  # the IP click went to inst-3 first
    assert expected["inst-6-again"][5:7] == (True, "inst-6")
    assert expected["inst-2"][7] == 2  # the later open counted once
    assert expected["inst-1"][7] == 1  # the redelivery counted nothing


def test_a_redelivered_batch_makes_no_second_install_or_fan_out(run: Run, sent: Sent) -> None:
    project = _project("redelivered")
    _clicks(project, run)
    messages = _messages(project)

    run(ATTRIBUTE_BATCH, {"messages": messages})
    first = {i.install_instance_id: i.decision for i in Install.objects.filter(project=project)}
    run(ATTRIBUTE_BATCH, {"messages": messages})

    installs = Install.objects.filter(project=project)
    assert {i.install_instance_id: i.decision for i in installs} == first
    assert installs.count() == 7
    fanned = sorted(kwargs["install_id"] for kwargs in sent.named(FAN_OUT_INSTALL))
    assert fanned == sorted(i.id for i in installs)
    assert all(i.fanout_published_at is not None for i in installs)


def test_a_busy_install_is_left_for_the_retry_and_the_rest_are_done(
    click_store: redis.Redis, sent: Sent
) -> None:
    project = _project("busy")
    messages = [
        install_message(project, f"inst-{n}", at="2024-05-01T10:00:00Z", ip=f"192.0.2.{n}")
        for n in range(1, 4)
    ]
    busy = locks.key_for(project.pk, "inst-2")
    click_store.set(busy, "another worker")

    with pytest.raises(InstallBusy):
        attribute_installs(messages)  # type: ignore[arg-type]
    assert sorted(Install.objects.values_list("install_instance_id", flat=True)) == [
        "inst-1",
        "inst-3",
    ]
    assert click_store.get(busy) == b"another worker"

    click_store.delete(busy)
    ids = attribute_installs(messages)  # type: ignore[arg-type]

    assert ids == [Install.objects.get(install_instance_id=f"inst-{n}").id for n in (1, 2, 3)]
    assert sorted(kwargs["install_id"] for kwargs in sent.named(FAN_OUT_INSTALL)) == sorted(ids)
    assert not click_store.keys("hz:lock:*")


def test_a_failing_install_does_not_hold_up_the_rest_of_its_batch(sent: Sent) -> None:
    project = _project("poison")
    good = install_message(project, "inst-good", at="2024-05-01T10:00:00Z", ip="192.0.2.1")
    orphan = {**good, "project_id": project.pk + 1000, "install_instance_id": "inst-orphan"}
    later = {**good, "install_instance_id": "inst-later"}

    with pytest.raises(Project.DoesNotExist):
        attribute_installs([good, orphan, later])  # type: ignore[list-item]

    done = Install.objects.filter(project=project, status=Install.Status.ATTRIBUTED)
    assert sorted(done.values_list("install_instance_id", flat=True)) == [
        "inst-good",
        "inst-later",
    ]
    assert len(sent.named(FAN_OUT_INSTALL)) == 2


def test_a_batch_costs_a_fixed_number_of_statements(
    run: Run, sent: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty paid installs: project, existing installs, reinstall check, insert, Google account
    check, the candidate clicks (locked), every claim, campaigns, every install's outcome and
    the fan-out mark: ten statements, the same for two hundred."""
    project = _project("statements")
    campaign = Campaign.objects.create(project=project, display_id="count", name="count")
    for n in range(20):
        params = {"gaid": _gaid(100 + n)}
        clicked = click_message(
            project, f"clk-{n}", at="2024-05-01T09:00:00Z", campaign=campaign, params=params
        )
        run(RECORD_CLICK, clicked)
    monkeypatch.setattr(api.install_attributed, "receivers", [])
    monkeypatch.setattr(api.install_attributed, "sender_receivers_cache", {})
    messages = [
        install_message(
            project, f"inst-{n}", at="2024-05-01T10:00:00Z", device_data={"gaid": _gaid(100 + n)}
        )
        for n in range(20)
    ]

    with CaptureQueriesContext(connection) as captured:
        run(ATTRIBUTE_BATCH, {"messages": messages})

    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(CONTROL)]
    assert len(statements) == 10, statements
    paid = Install.objects.filter(project=project, campaign=campaign, attribution_type="INORGANIC")
    assert paid.count() == 20
    assert sorted(paid.values_list("click__click_id", flat=True)) == sorted(
        f"clk-{n}" for n in range(20)
    )


def test_a_candidates_json_is_what_asdict_gives_without_sharing_its_details() -> None:
    details = {"row_id": 7, "nested": {"ids": [1, 2]}, "pair": (1, "a")}
    candidate = Candidate("click_match", 2, "device_id", "META", 3, 1.5, "clk", details)

    as_json = candidate.to_json()

    assert as_json == dataclasses.asdict(candidate)
    as_json["details"]["nested"]["ids"].append(3)
    assert details["nested"] == {"ids": [1, 2]}
