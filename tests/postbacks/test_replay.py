"""Replaying deliveries: the management command (by id, network or time) and the admin action."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from attribution.models import Install, Project
from postbacks import tasks
from postbacks.models import Delivery
from postbacks.networks import webhook
from tests.postbacks import receivers
from tests.postbacks.receivers import Answer


def _dead_webhooks(
    project: Project, make_install: Callable[..., Install], url: str, n: int
) -> list[int]:
    project.webhook_url = url
    project.save()
    for index in range(n):
        tasks.fan_out_install(make_install(instance=f"inst-rp-{index}").pk)
    Delivery.objects.update(state=Delivery.State.DEAD, attempt_count=1, last_error="http_400")
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


def test_replay_command_by_network_sends_each_dead_delivery_once(
    project: Project, make_install: Callable[..., Install]
) -> None:
    with receivers.serve(receivers.ok) as hook:
        _dead_webhooks(project, make_install, hook.url + "/hook", 3)
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "postbacks", "replay", "--network", "webhook", "--sync", stdout=out, stderr=err
        )
        call_command(
            "postbacks", "replay", "--network", "webhook", "--sync", stdout=out, stderr=err
        )
    assert "replayed 3 of 3 deliveries" in out.getvalue()
    assert "replayed 0 of 0 deliveries" in out.getvalue()
    assert len(hook.received) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert "3/3" in err.getvalue()  # the progress bar


def test_replay_command_by_id_and_time_range(
    project: Project, make_install: Callable[..., Install]
) -> None:
    with receivers.serve(receivers.ok) as hook:
        first, second = _dead_webhooks(project, make_install, hook.url + "/hook", 2)
        call_command(
            "postbacks",
            "replay",
            "--id",
            str(first),
            "--sync",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert Delivery.objects.get(pk=second).state == "dead"
        future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
        call_command(
            "postbacks",
            "replay",
            "--since",
            future,
            "--sync",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        assert Delivery.objects.get(pk=second).state == "dead"
        past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
        call_command(
            "postbacks",
            "replay",
            "--since",
            past,
            "--sync",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert Delivery.objects.get(pk=second).state == "delivered"
    assert len(hook.received) == 2


def test_replay_command_needs_a_selection() -> None:
    with pytest.raises(CommandError, match="name deliveries"):
        call_command("postbacks", "replay", stdout=io.StringIO())


def test_admin_replay_action_enqueues_dead_deliveries(
    project: Project,
    make_install: Callable[..., Install],
    run_tasks: list[tuple[str, dict[str, Any]]],
) -> None:
    with receivers.serve(receivers.ok, script=[Answer(200)]) as hook:
        ids = _dead_webhooks(project, make_install, hook.url + "/hook", 2)
        admin = User.objects.create_superuser("admin", "admin@example.test", "pw")
        client = Client()
        client.force_login(admin)
        response = client.post(
            "/admin/postbacks/delivery/",
            {"action": "replay_selected", "_selected_action": [str(pk) for pk in ids]},
        )
        assert response.status_code == 302
        page = client.get(f"/admin/postbacks/delivery/{ids[0]}/change/")
        assert page.status_code == 200
        assert b"Attempt" in page.content
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
    # Each delivery went out when created (tasks run inline here) and once more on replay.
    per_delivery = Counter(r.headers[webhook.DELIVERY_HEADER] for r in hook.received)
    assert sorted(per_delivery.values()) == [2, 2]
