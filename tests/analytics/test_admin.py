"""Analytics destinations are set up in the admin, which says which credentials each needs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from analytics.models import AnalyticsDestination
from attribution.models import Project

pytestmark = pytest.mark.django_db


def _post(project: Project, credentials: object) -> Any:
    admin = User.objects.create_superuser("admin", "admin@example.test", "pw")
    browser = Client()
    browser.force_login(admin)
    form = {
        "project": project.pk,
        "platform": "mixpanel",
        "credentials": json.dumps(credentials),
        "endpoint": "",
        "active": "on",
    }
    return browser.post("/admin/analytics/analyticsdestination/add/", form)


def test_a_destination_missing_a_required_credential_is_refused_with_the_key(
    project: Project,
) -> None:
    response = _post(project, {"project_id": "123"})

    assert response.status_code == 200  # the form again, with its error
    assert "Mixpanel needs api_secret." in response.content.decode()
    assert not AnalyticsDestination.objects.exists()


def test_a_complete_destination_is_saved(project: Project) -> None:
    response = _post(project, {"project_id": "123", "api_secret": "s"})

    assert response.status_code == 302
    saved = AnalyticsDestination.objects.get()
    assert (saved.platform, saved.credentials) == (
        "mixpanel",
        {"project_id": "123", "api_secret": "s"},
    )
