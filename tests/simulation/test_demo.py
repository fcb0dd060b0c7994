"""The demo's network accounts and event maps, as seed_demo leaves them and as a simulator run
aims them: active, at loopback only, and back at the sink when the run ends. Outside production
the sink is the web app's stand-in for the networks; in production there is none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from pytest_django import Settings

from attribution import demo
from attribution.models import Campaign, NetworkAccount, Project
from ingest.simulation import stage
from ingest.simulation.fakes import OutsideWorld
from ingest.simulation.journeys import EVENT_NAMES
from postbacks.api import map_event
from postbacks.models import PostbackEventMap

pytestmark = pytest.mark.django_db

NETWORKS = ["APPLE_SEARCH_ADS", "GOOGLE", "META", "SNAPCHAT", "TIKTOK"]


@pytest.fixture
def seeded(settings: Settings, tmp_path: Path) -> Project:
    settings.STATE_DIR = tmp_path
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return Project.objects.get(pk=json.loads(out.getvalue())["project_id"])


@pytest.fixture
def world() -> Iterator[OutsideWorld]:
    running = OutsideWorld().start()
    yield running
    running.stop()


def _accounts(project: Project) -> dict[str, NetworkAccount]:
    rows = NetworkAccount.objects.select_related("network").filter(project=project)
    return {account.network.code: account for account in rows}


def _urls(account: NetworkAccount) -> list[str]:
    return sorted(v for k, v in account.credentials.items() if k in ("endpoint", "base_url"))


def test_seeded_accounts_are_active_and_aimed_at_loopback_only(seeded: Project) -> None:
    accounts = _accounts(seeded)

    assert sorted(accounts) == NETWORKS
    assert {a.account_id for a in accounts.values()} == {demo.ACCOUNT}
    assert all(a.active for a in accounts.values())
    assert _urls(accounts["META"]) == ["http://127.0.0.1:8000/dev/outside/networks/meta"]
    assert _urls(accounts["GOOGLE"]) == [
        "http://127.0.0.1:8000/dev/outside/google-ads/attribution",
        "http://127.0.0.1:8000/dev/outside/networks/google",
    ]
    assert _urls(accounts["APPLE_SEARCH_ADS"]) == [
        "http://127.0.0.1:8000/dev/outside/adservices/api/v1/"
    ]
    for account in accounts.values():
        assert {urlsplit(url).hostname for url in _urls(account)} == {"127.0.0.1"}


def test_seeded_maps_send_every_kind_to_every_postback_network(seeded: Project) -> None:
    maps = {
        (m.network.code, m.event_kind, m.source_event_name): m.network_event_name
        for m in PostbackEventMap.objects.select_related("network").filter(project=seeded)
    }

    assert len(maps) == 16
    assert maps[("META", "payment", "")] == "Purchase"
    assert maps[("META", "custom", "cart_added")] == "AddToCart"
    assert maps[("GOOGLE", "install", "")] == "first_open"
    assert maps[("GOOGLE", "payment", "")] == "in_app_purchase"
    assert maps[("TIKTOK", "signup", "")] == "CompleteRegistration"
    assert maps[("SNAPCHAT", "custom", "cart_added")] == "ADD_CART"
    assert {code for code, _, _ in maps} == {"GOOGLE", "META", "SNAPCHAT", "TIKTOK"}
    assert PostbackEventMap.objects.filter(project=seeded, only_attributed=False).count() == 0
    assert demo.CUSTOM_EVENT in EVENT_NAMES  # the simulator's users do send it


def test_mapping_an_unknown_kind_is_refused(seeded: Project) -> None:
    with pytest.raises(ValueError, match="purchase"):
        map_event(seeded.pk, "META", "purchase", "Purchase")
    map_event(seeded.pk, "META", "payment", "Subscribe")
    assert (
        PostbackEventMap.objects.get(
            project=seeded, network__code="META", event_kind="payment"
        ).network_event_name
        == "Subscribe"
    )


def test_seeding_again_adds_nothing_and_restores_what_an_older_demo_lacks(
    seeded: Project, settings: Settings
) -> None:
    NetworkAccount.objects.filter(project=seeded, network__code="META").delete()
    NetworkAccount.objects.filter(project=seeded).update(active=False)
    PostbackEventMap.objects.filter(project=seeded, event_kind="payment").delete()
    Campaign.objects.filter(display_id="demo-snapchat-stories").delete()

    call_command("seed_demo", stdout=StringIO())

    assert Project.objects.filter(name="Demo").get() == seeded
    assert sorted(_accounts(seeded)) == NETWORKS
    assert NetworkAccount.objects.filter(project=seeded, active=True).count() == 5
    assert PostbackEventMap.objects.filter(project=seeded).count() == 16
    assert Campaign.objects.filter(project=seeded).count() == 5
    snapchat = Campaign.objects.get(display_id="demo-snapchat-stories")
    assert snapchat.network_code == "SNAPCHAT"
    assert snapchat.store_listings.count() == 2


def test_a_run_aims_the_demo_accounts_at_the_fakes_and_the_end_back_at_the_sink(
    seeded: Project, world: OutsideWorld
) -> None:
    meta = NetworkAccount.objects.get(project=seeded, network__code="META")
    left_on = NetworkAccount.objects.create(
        project=seeded, network=meta.network, account_id=stage.SIMULATOR_ACCOUNT
    )
    credentials = stage.demo_credentials()
    staged = stage.prepare(credentials, world)

    left_on.refresh_from_db()
    assert not left_on.active
    during = {a.network.code: a for a in NetworkAccount.objects.filter(project=seeded, active=True)}
    assert sorted(during) == NETWORKS  # the demo's own accounts, no second set
    assert {a.account_id for a in during.values()} == {demo.ACCOUNT}
    assert all(a.active for a in during.values())
    assert during["META"].credentials["endpoint"] == world.network_url("meta")
    assert during["SNAPCHAT"].credentials["endpoint"] == world.network_url("snapchat")
    assert during["GOOGLE"].credentials["base_url"] == world.google_claims_url
    assert during["APPLE_SEARCH_ADS"].credentials["base_url"] == world.apple_url

    stage.release(staged.project_id)

    after = {a.network.code: a for a in NetworkAccount.objects.filter(project=seeded, active=True)}
    assert sorted(after) == NETWORKS
    assert after["META"].credentials["endpoint"] == demo.LOCAL_SINK + "/networks/meta"
    assert after["APPLE_SEARCH_ADS"].credentials["base_url"] == (
        demo.LOCAL_SINK + "/adservices/api/v1/"
    )


def test_in_production_the_demo_accounts_point_at_the_discard_port(
    seeded: Project, settings: Settings
) -> None:
    settings.PRODUCTION = True
    call_command("seed_demo", stdout=StringIO())

    meta = NetworkAccount.objects.get(project=seeded, network__code="META")
    assert meta.credentials["endpoint"] == "http://127.0.0.1:9/networks/meta"


def test_another_project_gets_simulator_accounts_switched_off_after_the_run(
    project: Project, world: OutsideWorld
) -> None:
    credentials = stage.Credentials(project.token, "", None)
    staged = stage.prepare(credentials, world)

    during = _accounts(project)
    assert sorted(during) == NETWORKS
    assert {a.account_id for a in during.values()} == {stage.SIMULATOR_ACCOUNT}
    assert during["TIKTOK"].credentials["endpoint"] == world.network_url("tiktok")

    stage.release(staged.project_id)

    assert not any(a.active for a in _accounts(project).values())


def test_link_journeys_use_only_campaigns_with_a_link_to_a_store(
    seeded: Project, world: OutsideWorld
) -> None:
    registered = Campaign.objects.create(
        project=seeded,
        display_id="apple-search-ads-1-5501",
        name="Apple Search Ads campaign 5501",
        reported_by_network=True,
    )
    registered.store_listings.set(seeded.apps.all())
    Campaign.objects.create(project=seeded, display_id="no-store", name="Made by the API")

    staged = stage.prepare(stage.demo_credentials(), world)
    stage.release(staged.project_id)

    used = {link.display_id for link in staged.link_campaigns}
    assert used == {
        "demo-google-search",
        "demo-meta-spring",
        "demo-newsletter",
        "demo-snapchat-stories",
        "demo-tiktok-creators",
    }
