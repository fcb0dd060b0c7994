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
from django.db import connection
from django.test import Client
from django.utils import timezone

from attribution.models import Install, Project
from hazelnut.http import HttpClient
from postbacks import delivery, tasks
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


def test_a_replay_after_a_token_fix_sends_the_new_token_under_the_same_event_id(
    project: Project,
    make_install: Callable[..., Install],
    account: Callable[..., Any],
    http: HttpClient,
) -> None:
    bad_token = Answer(400, {"error": {"message": "Invalid OAuth access token", "code": 190}})
    with receivers.serve(receivers.meta, script=[bad_token]) as meta:
        meta_account = account("META", meta.url, dataset_id="ds-1", access_token="OLD_TOK")
        tasks.fan_out_install(make_install(code="META", instance="inst-tok").pk)
        (row,) = Delivery.objects.all()
        assert delivery.run(row.pk, http) is None  # refused for good: dead
        row.refresh_from_db()
        assert (row.state, row.last_error) == ("dead", "meta_error_190")

        meta_account.credentials = {**meta_account.credentials, "access_token": "NEW_TOK"}
        meta_account.save()
        call_command("postbacks", "replay", "--id", str(row.pk), "--sync", stdout=io.StringIO())

    first, second = meta.received
    assert (first.query["access_token"], second.query["access_token"]) == ("OLD_TOK", "NEW_TOK")
    sent_ids = [r.json()["data"][0]["event_id"] for r in meta.received]
    assert sent_ids[0] == sent_ids[1]
    row.refresh_from_db()
    assert row.state == "delivered"


def test_a_delivery_keeps_its_network_token_encrypted_and_the_admin_hides_it(
    project: Project, make_install: Callable[..., Install], account: Callable[..., Any]
) -> None:
    account("META", "http://127.0.0.1:9", dataset_id="ds-1", access_token="SECRET_TOK")
    tasks.fan_out_install(make_install(code="META", instance="inst-enc").pk)
    (row,) = Delivery.objects.all()
    with connection.cursor() as cursor:
        cursor.execute("SELECT request FROM postbacks_delivery WHERE id = %s", [row.pk])
        (stored,) = cursor.fetchone()
    admin = User.objects.create_superuser("admin", "admin@example.test", "pw")
    browser = Client()
    browser.force_login(admin)
    page = browser.get(f"/admin/postbacks/delivery/{row.pk}/change/").content.decode()

    assert "SECRET_TOK" in row.request["url"]  # what is sent
    assert "SECRET_TOK" not in str(stored)  # what is stored
    assert "SECRET_TOK" not in page
    assert "access_token=%5Bhidden%5D" in page
    assert "MobileAppInstall" in page
