"""The development sink the demo's network accounts point at outside a simulator run: it
answers as each network would, so a demo postback ends delivered, and production has none."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from attribution import demo
from attribution.api import install_facts
from attribution.models import Install, Project
from hazelnut import urls
from postbacks.api import run_delivery
from postbacks.models import Delivery
from postbacks.tasks import _fan_out


def test_the_sink_answers_like_the_networks_and_apple(client: Client) -> None:
    meta = client.post("/dev/outside/networks/meta/v25.0/1/events", {"data": "[]"})
    google = client.get("/dev/outside/networks/google?conversion_action=first_open")
    apple = client.post("/dev/outside/adservices/api/v1/", "some-token", content_type="text/plain")

    assert (meta.status_code, meta.json()["status"]) == (200, "success")
    assert (google.status_code, google.json()) == (200, {"ad_events": []})
    assert (apple.status_code, apple.json()) == (200, {"attribution": False})
    assert client.post("/dev/outside/elsewhere").status_code == 404


def test_production_has_no_sink(client: Client, settings: Settings) -> None:
    settings.PRODUCTION = True

    assert urls.development_only() == []
    assert client.post("/dev/outside/networks/meta").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_demo_postbacks_to_the_sink_end_delivered(
    live_server: LiveServer, settings: Settings, tmp_path: Path
) -> None:
    settings.STATE_DIR = tmp_path
    out = StringIO()
    call_command("seed_demo", stdout=out)
    project = Project.objects.get(pk=json.loads(out.getvalue())["project_id"])
    demo.aim_accounts(project.pk, live_server.url + "/dev/outside")
    made = []
    for code in ("META", "GOOGLE", "TIKTOK", "SNAPCHAT"):
        install = Install.objects.create(
            project=project,
            install_instance_id=f"sink-{code}",
            platform="ANDROID",
            installed_at=timezone.now(),
            last_seen_at=timezone.now(),
            status=Install.Status.ATTRIBUTED,
            network_code=code,
            attribution_type="INORGANIC",
            gaid="38400000-8cf0-11bd-b23e-10b96e40000d",
        )
        facts = install_facts(install.pk)
        assert facts is not None
        made += _fan_out(facts, None)

    for delivery_id in made:
        run_delivery(delivery_id)

    states = dict(
        Delivery.objects.filter(pk__in=made, state=Delivery.State.DELIVERED).values_list(
            "destination", "state"
        )
    )
    assert sorted(states) == ["google_ads", "meta", "snapchat", "tiktok"]
