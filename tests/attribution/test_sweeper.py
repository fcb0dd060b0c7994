"""The attribution sweeper: pending installs whose task was lost are re-driven to the end, fresh
ones are left alone, and a fan-out that was never recorded is published again without a second
delivery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from attribution import finish, sweeper
from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.installs import RUN_EXTERNAL
from attribution.models import AdNetwork, Campaign, Install, NetworkAccount, Project
from hazelnut import metrics
from hazelnut.broker import publisher
from hazelnut.celery import app
from postbacks.models import Delivery
from postbacks.networks import webhook
from tests.attribution.conftest import Sent, click_message, install_message, iso
from tests.attribution.fakeserver import Canned, fake_server
from tests.postbacks import conftest as postbacks_fixtures
from tests.postbacks import receivers

# The postbacks fixtures (in-process tasks, loopback receivers, a fake warehouse), used here.
_allow_loopback = postbacks_fixtures._allow_loopback
_clean_throttle = postbacks_fixtures._clean_throttle
make_install = postbacks_fixtures.make_install
run_tasks = postbacks_fixtures.run_tasks
warehouse = postbacks_fixtures.warehouse

Run = Callable[[str, dict[str, Any]], None]
Rows = dict[str, list[dict[str, Any]]]
GAID = "dddd0000-0000-4000-8000-00000000000d"
INSTALLED = "2024-05-01T10:00:00Z"
AT = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
GOOGLE_CLAIM = {
    "attributed": True,
    "errors": [],
    "ad_events": [
        {
            "ad_event_id": "e-sweep",
            "campaign_id": 777,
            "interaction_type": "click",
            "timestamp": 1714557000.5,
        }
    ],
}


@dataclass
class Lost:
    """Task names in `names` are lost on publish (a worker or broker failure); others go on."""

    names: set[str] = field(default_factory=set)
    dropped: list[str] = field(default_factory=list)


@pytest.fixture
def lost(sent: Sent, monkeypatch: pytest.MonkeyPatch) -> Lost:
    state = Lost()
    publish = app.send_task

    def send_task(name: str, *args: Any, **kwargs: Any) -> None:
        if name in state.names:
            state.dropped.append(name)
        else:
            publish(name, *args, **kwargs)

    monkeypatch.setattr(app, "send_task", send_task)
    return state


def _swept(action: str) -> float:
    return float(metrics.ATTRIBUTION_SWEPT.labels(action=action)._value.get())


def _google_account(project: Project, url: str) -> None:
    NetworkAccount.objects.create(
        project=project,
        network=AdNetwork.objects.get_or_create(code="GOOGLE", defaults={"name": "Google"})[0],
        credentials={"base_url": url, "dev_token": "dt", "link_id": "L-sweep"},
    )


@pytest.mark.django_db(transaction=True)
def test_install_left_pending_by_a_lost_external_task_is_redriven_and_ends_attributed(
    project: Project, run: Run, sent: Sent, lost: Lost, make_campaign: Callable[..., Campaign]
) -> None:
    app_campaign = make_campaign("uac-sweep", network="GOOGLE", network_campaign_id="777")
    message = install_message(
        project, "inst-lost", at=INSTALLED, device_data={"gaid": GAID, "system_version": "14"}
    )
    with fake_server([Canned(200, GOOGLE_CLAIM)]) as google:
        _google_account(project, google.url + "/pagead/conversion/app/1.0")
        lost.names.add(RUN_EXTERNAL)
        run(ATTRIBUTE_INSTALL, message)
        stuck = Install.objects.get(install_instance_id="inst-lost")
        assert (stuck.status, stuck.decision["pending_external"]) == ("PENDING", ["google_ads_api"])
        assert google.received == []

        lost.names.clear()
        before = _swept("redriven")
        result = sweeper.sweep()
        calls = list(google.received)

    assert result == sweeper.SweepResult(redriven=1, republished=0)
    assert _swept("redriven") - before == 1
    (republished,) = sent.named(ATTRIBUTE_INSTALL)
    assert republished["received_at"] == iso(INSTALLED)
    assert republished["device_data"] == {"gaid": GAID, "system_version": "14"}
    (call,) = calls
    assert parse_qs(urlsplit(call.path).query)["rdid"] == [GAID]
    install = Install.objects.get(pk=stuck.pk)
    assert install.status == Install.Status.ATTRIBUTED
    assert (install.source, install.network_code) == ("google_ads_api", "GOOGLE")
    assert install.campaign == app_campaign
    assert install.session_count == 1
    assert install.redriven_at is not None
    assert install.fanout_published_at is not None
    assert sweeper.sweep() == sweeper.SweepResult(redriven=0, republished=0)


@pytest.mark.django_db(transaction=True)
def test_pending_install_with_no_trace_is_redriven_to_its_click(
    project: Project, run: Run, make_campaign: Callable[..., Campaign], warehouse_rows: Rows
) -> None:
    """A row left pending before any strategy ran (as by a worker that died after storing it)."""
    campaign = make_campaign("cmp-died")
    click = click_message(
        project, "clk-died", at="2024-05-01T09:30:00Z", campaign=campaign, params={"gaid": GAID}
    )
    run("attribution.clicks.record", click)
    stuck = Install.objects.create(
        project=project,
        install_instance_id="inst-died",
        platform="ANDROID",
        app_version="1.0.0",
        gaid=GAID,
        device_data={"gaid": GAID},
        installed_at=AT,
        last_seen_at=AT,
    )

    assert sweeper.sweep().redriven == 1

    install = Install.objects.get(pk=stuck.pk)
    assert install.status == Install.Status.ATTRIBUTED
    assert install.click is not None
    assert (install.source, install.campaign, install.click.click_id) == (
        "click_match",
        campaign,
        "clk-died",
    )
    assert [row["install_id"] for row in warehouse_rows["installs"]] == [install.pk]


@pytest.mark.django_db(transaction=True)
def test_fresh_pending_install_is_left_alone_and_redriven_once_per_grace(
    project: Project, run: Run, sent: Sent, lost: Lost, settings: Any
) -> None:
    settings.HAZELNUT_SWEEP_PENDING_AFTER_SECONDS = 300
    _google_account(project, "http://127.0.0.1:9/never-called")
    lost.names.add(RUN_EXTERNAL)  # every external task is lost: the install stays pending
    run(
        ATTRIBUTE_INSTALL,
        install_message(project, "inst-fresh", at=INSTALLED, device_data={"gaid": GAID}),
    )

    def sweep_at(minutes: float) -> int:
        return sweeper.sweep(now=AT + dt.timedelta(minutes=minutes)).redriven

    assert sweep_at(1) == 0
    assert sweep_at(4.9) == 0
    assert sent.named(ATTRIBUTE_INSTALL) == []
    assert Install.objects.get(install_instance_id="inst-fresh").redriven_at is None

    assert sweep_at(6) == 1
    assert sweep_at(7) == 0  # re-driven a minute ago: its task may still be queued
    assert sweep_at(10.9) == 0
    assert sweep_at(11.5) == 1
    install = Install.objects.get(install_instance_id="inst-fresh")
    assert install.status == Install.Status.PENDING
    assert install.redriven_at == AT + dt.timedelta(minutes=11.5)
    assert len(sent.named(ATTRIBUTE_INSTALL)) == 2
    assert lost.dropped == [RUN_EXTERNAL] * 3  # the first, then one per re-drive


def _unrecorded(make_install: Callable[..., Install], instance: str, minutes_ago: int) -> Install:
    """An attributed install whose worker crashed before its fan-out was recorded."""
    attributed = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return make_install(code="META", instance=instance, attributed_at=attributed)


def test_attributed_install_without_a_fanout_record_gets_exactly_one_delivery_after_two_sweeps(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
    warehouse_rows: Rows,
) -> None:
    install = _unrecorded(make_install, "inst-fan", minutes_ago=10)
    with receivers.serve(receivers.ok) as hook:
        project.webhook_url = hook.url + "/hook"
        project.save()
        first, second = sweeper.sweep(), sweeper.sweep()
        received = list(hook.received)

    assert (first.republished, second.republished) == (1, 0)
    (delivery,) = Delivery.objects.filter(destination=webhook.DESTINATION)
    assert (delivery.state, delivery.subject["install_id"]) == (
        Delivery.State.DELIVERED,
        install.pk,
    )
    (sent,) = received
    assert (sent.json()["event_type"], sent.json()["campaign_id"]) == ("install", "cmp-inst-fan")
    assert [row["install_id"] for row in warehouse_rows["installs"]] == [install.pk]
    install.refresh_from_db()
    assert install.fanout_published_at is not None


def test_fanout_published_again_after_a_lost_record_makes_no_second_delivery(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    install = _unrecorded(make_install, "inst-twice", minutes_ago=10)
    with receivers.serve(receivers.ok) as hook:
        project.webhook_url = hook.url + "/hook"
        project.save()
        assert sweeper.sweep().republished == 1
        # The crash came after the publish but before the record: the sweeper publishes again.
        Install.objects.filter(pk=install.pk).update(fanout_published_at=None)
        assert sweeper.sweep().republished == 1
        received = list(hook.received)

    assert Delivery.objects.filter(destination=webhook.DESTINATION).count() == 1
    assert len(received) == 1
    fan_outs = [kwargs for name, kwargs in run_tasks if name == "postbacks.fanout.install"]
    assert fan_outs == [{"install_id": install.pk}, {"install_id": install.pk}]


def test_recent_or_recorded_fanouts_are_not_published_again(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    _unrecorded(make_install, "inst-recent", minutes_ago=1)
    make_install(
        instance="inst-recorded",
        attributed_at=timezone.now() - dt.timedelta(hours=1),
        fanout_published_at=timezone.now() - dt.timedelta(hours=1),
    )
    make_install(instance="inst-pending", attributed=False)

    assert sweeper.sweep().republished == 0
    assert [name for name, _ in run_tasks] == []


def test_each_sweep_takes_at_most_a_batch_oldest_first(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
    settings: Any,
) -> None:
    settings.HAZELNUT_SWEEP_BATCH_SIZE = 2
    for instance, minutes_ago in (("inst-b", 20), ("inst-c", 10), ("inst-a", 30)):
        _unrecorded(make_install, instance, minutes_ago)

    assert [sweeper.sweep().republished for _ in range(3)] == [2, 1, 0]
    order = [
        Install.objects.get(pk=kwargs["install_id"]).install_instance_id
        for name, kwargs in run_tasks
        if name == "postbacks.fanout.install"
    ]
    assert order == ["inst-a", "inst-b", "inst-c"]


def test_fanout_not_confirmed_by_the_broker_stays_unrecorded_until_it_is(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install = _unrecorded(make_install, "inst-kafka-down", minutes_ago=10)
    monkeypatch.setattr(publisher, "flush_all", lambda timeout: 3)
    assert sweeper.sweep().republished == 1
    install.refresh_from_db()
    assert install.fanout_published_at is None

    monkeypatch.setattr(publisher, "flush_all", lambda timeout: 0)
    assert sweeper.sweep().republished == 1
    assert sweeper.sweep().republished == 0
    install.refresh_from_db()
    assert install.fanout_published_at is not None


def test_a_failing_fanout_does_not_hold_back_the_others(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = _unrecorded(make_install, "inst-bad", minutes_ago=30)
    good = _unrecorded(make_install, "inst-good", minutes_ago=10)
    publish = finish.publish_fanout

    def publish_or_fail(install: Install) -> None:
        if install.pk == bad.pk:
            raise LookupError("broken row")
        publish(install)

    monkeypatch.setattr(finish, "publish_fanout", publish_or_fail)
    failed = _swept("failed")

    assert sweeper.sweep().republished == 1
    assert _swept("failed") - failed == 1
    marked = dict(Install.objects.values_list("install_instance_id", "fanout_published_at"))
    assert marked["inst-bad"] is None
    assert marked["inst-good"] is not None
    assert good.pk != bad.pk


def test_the_sweep_is_scheduled_on_the_maintenance_queue() -> None:
    import attribution.tasks  # noqa: F401  (registers the task)

    entry = settings.CELERY_BEAT_SCHEDULE["attribution-sweep"]
    assert entry["task"] == sweeper.SWEEP
    assert entry["schedule"] == dt.timedelta(minutes=1)
    assert sweeper.SWEEP in app.tasks
    assert app.amqp.router.route({}, sweeper.SWEEP)["queue"].name == "maintenance"
