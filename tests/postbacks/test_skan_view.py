"""Apple's SKAdNetwork postback route: stored once per transaction, with its signature checked;
only Apple-signed winning reports count."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from attribution.models import App, Project, SkanPostback
from postbacks.views import won_postbacks
from tests.postbacks import skan_examples

URL = "/.well-known/skadnetwork/report-attribution/"


@pytest.fixture
def ios_app(project: Project) -> App:
    return App.objects.create(
        project=project, platform="IOS", name="A", bundle_id="b", store_id="525463029"
    )


def _post(report: dict[str, Any]) -> dict[str, Any]:
    response = Client().post(URL, json.dumps(report), "application/json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _forged(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "attribution-signature": skan_examples.V3_NOT_WINNER["attribution-signature"]}


@pytest.mark.urls("postbacks.urls")
@pytest.mark.usefixtures("ios_app")
def test_reports_are_stored_once_and_only_signed_winners_count(project: Project) -> None:
    winner, loser = skan_examples.V4_WEB_HIGH_TIER, skan_examples.V3_NOT_WINNER
    assert _post(winner)["msg"] == "Received."
    assert _post(winner)["msg"] == "Already received."
    assert _post(loser)["msg"] == "Received."
    assert SkanPostback.objects.count() == 2
    counted = won_postbacks(project.pk).values_list("transaction_id", flat=True)
    assert list(counted) == [winner["transaction-id"]]
    stored = SkanPostback.objects.get(transaction_id=winner["transaction-id"])
    assert (stored.fine_conversion_value, stored.source_identifier) == (63, "5239")
    assert (stored.verified, stored.did_win) == (True, True)
    assert SkanPostback.objects.get(transaction_id=loser["transaction-id"]).verified is True


@pytest.mark.urls("postbacks.urls")
@pytest.mark.usefixtures("ios_app")
def test_a_forged_winner_is_kept_but_not_counted(project: Project) -> None:
    forged = _forged({**skan_examples.V4_WEB_LOW_TIER, "transaction-id": "forged-1"})
    assert _post(forged)["msg"] == "Received."
    stored = SkanPostback.objects.get(transaction_id="forged-1")
    assert (stored.did_win, stored.verified) == (True, False)
    assert won_postbacks(project.pk).count() == 0


@pytest.mark.urls("postbacks.urls")
@pytest.mark.usefixtures("ios_app")
def test_apples_report_replaces_a_forgery_sent_first_under_its_transaction_id(
    project: Project,
) -> None:
    real = skan_examples.V4_WEB_LOW_TIER
    _post(_forged({**real, "source-identifier": "99"}))
    assert won_postbacks(project.pk).count() == 0
    assert _post(real)["msg"] == "Received."
    stored = SkanPostback.objects.get(transaction_id=real["transaction-id"])
    assert (stored.verified, stored.source_identifier, stored.coarse_conversion_value) == (
        True,
        "39",
        "high",
    )
    assert won_postbacks(project.pk).count() == 1
    assert _post(_forged(real))["msg"] == "Already received."  # a forgery cannot undo it
    assert SkanPostback.objects.get(transaction_id=real["transaction-id"]).verified is True


@pytest.mark.urls("postbacks.urls")
@pytest.mark.usefixtures("ios_app")
def test_a_signed_version_2_postback_counts_as_a_win(project: Project) -> None:
    _post(skan_examples.V2_2)
    stored = SkanPostback.objects.get()
    assert (stored.verified, stored.did_win, stored.source_identifier) == (True, True, "42")
    assert won_postbacks(project.pk).count() == 1


@pytest.mark.usefixtures("ios_app")
def test_the_migration_verifies_postbacks_stored_before_the_check() -> None:
    for report in (skan_examples.V3_WINNER, _forged(skan_examples.V2_2)):
        SkanPostback.objects.create(
            transaction_id=report["transaction-id"] + report["version"],
            payload=report,
            did_win=False,
        )
    migration = importlib.import_module("postbacks.migrations.0002_verify_stored_skan_postbacks")
    migration.verify_stored(apps, None)
    rows = SkanPostback.objects.order_by("transaction_id")
    assert [(r.payload["version"], r.verified, r.did_win) for r in rows] == [
        ("2.2", False, False),
        ("3.0", True, True),
    ]


@pytest.mark.urls("postbacks.urls")
@pytest.mark.django_db
def test_bad_reports_get_a_400_envelope() -> None:
    client = Client()
    response = client.post(URL, "not json", "application/json")
    assert response.status_code == 400
    assert response.json()["status"] == 400
    response = client.post(URL, json.dumps({"did-win": True}), "application/json")
    assert response.json()["msg"] == "transaction-id is required."
