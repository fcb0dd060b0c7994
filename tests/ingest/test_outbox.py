"""Nothing accepted is lost: a broker outage parks messages in the outbox, the relay sends them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from kombu.exceptions import OperationalError

from attribution.contracts import ATTRIBUTE_INSTALL
from hazelnut import health
from ingest import outbox, publish
from ingest.models import OutboxMessage
from tests.ingest.conftest import Api

BODY = {"platform": "ANDROID", "install_instance_id": "inst-1", "device_data": {"gaid": "g"}}


class FlakyBroker:
    def __init__(self) -> None:
        self.up = False
        self.calls = 0
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_task(self, name: str, **options: Any) -> None:
        self.calls += 1
        if not self.up:
            raise OperationalError("Error 111 connecting to broker. Connection refused.")
        self.sent.append((name, options["kwargs"]))


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> FlakyBroker:
    fake = FlakyBroker()
    monkeypatch.setattr(publish, "app", fake)
    # Celery's path only: the Kafka fast path's outage is in test_taskmessage.py.
    monkeypatch.setattr(publish, "fast_path", lambda: None)
    return fake


def test_outage_parks_the_message_and_still_answers(api: Api, broker: FlakyBroker) -> None:
    response = api.sdk("init", BODY)

    assert response.status_code == 200
    (parked,) = OutboxMessage.objects.all()
    assert parked.task_name == ATTRIBUTE_INSTALL
    assert parked.payload["install_instance_id"] == "inst-1"
    assert parked.published_at is None
    assert "Connection refused" in parked.last_error


def test_breaker_skips_the_broker_after_a_failure(api: Api, broker: FlakyBroker) -> None:
    for index in range(3):
        api.sdk("init", {**BODY, "install_instance_id": f"inst-{index}"})

    assert broker.calls == 1
    assert OutboxMessage.objects.count() == 3


def test_relay_republishes_once_the_broker_is_back(api: Api, broker: FlakyBroker) -> None:
    api.sdk("init", BODY)
    api.sdk("capture-event", {"event_name": "x", "install_instance_id": "inst-1"})

    assert outbox.relay_once() == 0
    assert outbox.depth() == 2
    broker.up = True
    relayed = outbox.relay()

    assert relayed == 2
    assert outbox.depth() == 0
    assert [name for name, _ in broker.sent] == [ATTRIBUTE_INSTALL, "attribution.events.custom"]
    assert broker.sent[0][1]["install_instance_id"] == "inst-1"
    # The failed pass stopped at the first message; the second was only tried once.
    assert [m.attempts for m in OutboxMessage.objects.order_by("id")] == [2, 1]


def test_relay_command_runs_one_pass(
    api: Api, broker: FlakyBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    api.sdk("init", BODY)
    broker.up = True

    call_command("outbox_relay", "--once")

    assert "relayed 1, pending 0" in capsys.readouterr().out


def test_readiness_reports_outbox_depth(api: Api, broker: FlakyBroker) -> None:
    api.sdk("init", BODY)

    _, results = health.run_checks()

    assert results["outbox"]["status"] == "ok"
    assert results["outbox"]["depth"] == 1


def test_broker_and_database_both_down_asks_the_client_to_retry(
    api: Api, broker: FlakyBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError as DatabaseDown

    def refuse(**fields: Any) -> None:
        raise DatabaseDown("database is locked")

    monkeypatch.setattr(OutboxMessage.objects, "create", refuse)

    response = api.sdk("capture-event", {"event_name": "x", "event_id": "e1"})
    retried = api.sdk("capture-event", {"event_name": "x", "event_id": "e1"})

    assert response.status_code == 503
    assert api.envelope(response)["data"]["error"] == "unavailable"
    # The failed attempt did not leave an idempotency claim behind: the retry is not a duplicate.
    assert retried.status_code == 503
    assert api.envelope(retried)["data"]["error"] == "unavailable"


@pytest.mark.django_db
def test_configured_broker_takes_a_message() -> None:
    # A real publish to whichever broker this run is configured with (embedded Redis or Kafka);
    # the relay task is harmless wherever a worker picks it up.
    outcome = publish.publish("ingest.outbox.relay", {})

    assert outcome == publish.Outcome.QUEUED
    assert OutboxMessage.objects.count() == 0
