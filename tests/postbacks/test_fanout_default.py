"""Who hears of an install by default: the credited network and the webhook, nobody else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from structlog.testing import capture_logs

from attribution import api as attribution
from attribution.models import CustomEvent, Install, Project, UserIdentity
from postbacks import fanout, tasks
from postbacks.models import Delivery, PostbackEventMap
from tests.postbacks.conftest import network

SINK = "http://127.0.0.1:9"


@pytest.fixture
def four_networks(project: Project, account: Callable[..., Any]) -> None:
    account("META", SINK, dataset_id="ds", access_token="tok")
    account("GOOGLE", SINK, dev_token="dev", link_id="LINK")
    account("TIKTOK", SINK, access_token="tok", tiktok_app_id="7000")
    account("SNAPCHAT", SINK, snap_app_id="snap-app", access_token="tok")
    project.webhook_url = "https://hooks.example.test/hazelnut"
    project.save()


def _sent(subject: dict[str, Any]) -> dict[str, tuple[str, str]]:
    rows = Delivery.objects.filter(**{f"subject__{k}": v for k, v in subject.items()})
    return {row.destination: (row.event_name, row.state) for row in rows}


@pytest.mark.usefixtures("four_networks")
def test_an_install_goes_to_its_network_and_the_webhook_only(
    make_install: Callable[..., Install],
) -> None:
    install = make_install(code="TIKTOK", instance="inst-credited")
    tasks.fan_out_install(install.pk)
    assert _sent({"install_id": install.pk}) == {
        "tiktok": ("InstallApp", Delivery.State.PENDING),
        "webhook": ("install", Delivery.State.PENDING),
    }


@pytest.mark.usefixtures("four_networks")
def test_an_organic_install_goes_to_the_webhook_only(
    make_install: Callable[..., Install],
) -> None:
    install = make_install(code="", instance="inst-organic", campaign=None, click=None)
    tasks.fan_out_install(install.pk)
    assert _sent({"install_id": install.pk}) == {"webhook": ("install", Delivery.State.PENDING)}


@pytest.mark.usefixtures("four_networks")
def test_a_signup_follows_the_same_default(
    project: Project, make_install: Callable[..., Install]
) -> None:
    install = make_install(code="META", instance="inst-signup")
    identity = UserIdentity.objects.create(project=project, user_id="u-9", install=install)
    tasks.fan_out_event("signup", identity.pk)
    assert _sent({"kind": "signup", "object_id": identity.pk}) == {
        "meta": ("CompleteRegistration", Delivery.State.PENDING),
        "webhook": ("signup", Delivery.State.PENDING),
    }


@pytest.mark.usefixtures("four_networks")
def test_a_map_that_asks_for_every_user_overrides_the_default(
    project: Project, make_install: Callable[..., Install]
) -> None:
    PostbackEventMap.objects.create(
        project=project,
        network=network("GOOGLE"),
        event_kind="install",
        network_event_name="first_open",
        only_attributed=False,
    )
    # With an IDFA Google can match the install, so the row waits to be sent.
    install = make_install(
        code="META", instance="inst-everyone", idfa="6d92078a-8246-4ba4-ae5b-76104861e7dc"
    )
    tasks.fan_out_install(install.pk)
    assert _sent({"install_id": install.pk}) == {
        "meta": ("MobileAppInstall", Delivery.State.PENDING),
        "google_ads": ("first_open", Delivery.State.PENDING),
        "webhook": ("install", Delivery.State.PENDING),
    }


@pytest.mark.usefixtures("four_networks")
def test_an_unmapped_custom_event_is_logged_by_the_fan_out_but_not_by_a_prediction(
    project: Project, make_install: Callable[..., Install]
) -> None:
    install = make_install(code="META", instance="inst-unmapped")
    event = CustomEvent.objects.create(
        project=project, install=install, name="cart_added", occurred_at=timezone.now()
    )
    facts = attribution.event_facts("custom", event.pk)
    assert facts is not None
    assert facts.install is not None

    with capture_logs() as predicted:
        assert list(fanout.specs(facts.install, facts, quiet=True)) == []
    with capture_logs() as fanned_out:
        assert list(fanout.specs(facts.install, facts)) == []

    assert [line["event"] for line in predicted] == []
    unmapped = [line for line in fanned_out if line["event"] == "postbacks.fanout.unmapped"]
    assert sorted(line["destination"] for line in unmapped) == [
        "google_ads",
        "meta",
        "snapchat",
        "tiktok",
    ]
