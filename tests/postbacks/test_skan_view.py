"""Apple's SKAdNetwork postback route: stored once per transaction, only did-win counts."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from attribution.models import App, Project, SkanPostback
from postbacks.views import won_postbacks

URL = "/.well-known/skadnetwork/report-attribution/"


def _report(transaction_id: str, did_win: bool) -> dict[str, object]:
    return {
        "version": "4.0",
        "ad-network-id": "example123.skadnetwork",
        "source-identifier": "5239",
        "app-id": 525463029,
        "transaction-id": transaction_id,
        "redownload": False,
        "fidelity-type": 1,
        "did-win": did_win,
        "fine-conversion-value": 42,
        "postback-sequence-index": 0,
        "attribution-signature": "MEUCIQ...",
    }


@pytest.mark.urls("postbacks.urls")
def test_reports_are_stored_once_and_only_winners_count(project: Project) -> None:
    App.objects.create(
        project=project, platform="IOS", name="A", bundle_id="b", store_id="525463029"
    )
    client = Client()
    for transaction_id, did_win in (("t-1", True), ("t-1", True), ("t-2", False)):
        response = client.post(
            URL, json.dumps(_report(transaction_id, did_win)), "application/json"
        )
        assert response.status_code == 200
    assert SkanPostback.objects.count() == 2
    assert list(won_postbacks(project.pk).values_list("transaction_id", flat=True)) == ["t-1"]
    stored = SkanPostback.objects.get(transaction_id="t-1")
    assert (stored.fine_conversion_value, stored.source_identifier) == (42, "5239")


@pytest.mark.urls("postbacks.urls")
@pytest.mark.django_db
def test_bad_reports_get_a_400_envelope() -> None:
    client = Client()
    response = client.post(URL, "not json", "application/json")
    assert response.status_code == 400
    assert response.json()["status"] == 400
    response = client.post(URL, json.dumps({"did-win": True}), "application/json")
    assert response.json()["msg"] == "transaction-id is required."
