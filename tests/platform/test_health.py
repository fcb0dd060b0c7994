"""/healthz and /readyz on whichever services the run is configured with."""

from __future__ import annotations

import pytest
from django.test import Client


def test_healthz_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_every_service_ok() -> None:
    response = Client().get("/readyz")
    body = response.json()
    assert set(body["services"]) >= {"database", "redis", "broker", "warehouse"}
    failing = {name: s for name, s in body["services"].items() if s["status"] != "ok"}
    assert failing == {}, f"services not ready: {failing}"
    assert response.status_code == 200
