"""The decision-trace route answers its errors like every other API route: a code in data.error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from attribution.contracts import ATTRIBUTE_INSTALL
from attribution.models import Project
from tests.attribution.conftest import install_message


def _get(path: str, key: str | None) -> Any:
    return Client().get(path, headers={"linkrunner-key": key} if key else {})


def test_decision_route_errors_carry_a_code(
    project_with_key: tuple[Project, str], run: Callable[[str, dict[str, Any]], None]
) -> None:
    project, key = project_with_key
    run(ATTRIBUTE_INSTALL, install_message(project, "inst-known", at="2024-05-01T10:00:00Z"))

    unknown = _get("/api/v1/attribution-decision/inst-unknown", key)
    missing = _get("/api/v1/attribution-decision", key)
    no_key = _get("/api/v1/attribution-decision/inst-known", None)
    found = _get("/api/v1/attribution-decision/inst-known", key)

    assert (unknown.status_code, unknown.json()) == (
        404,
        {"msg": "Install not found.", "status": 404, "data": {"error": "install_not_found"}},
    )
    assert (missing.status_code, missing.json()["data"]) == (
        400,
        {"error": "missing_field", "field": "install_instance_id"},
    )
    assert (no_key.status_code, no_key.json()["data"]) == (401, {"error": "missing_key"})
    assert found.status_code == 200
    assert found.json()["data"]["install_instance_id"] == "inst-known"
    assert found.json()["data"]["attribution_type"] == "ORGANIC"
