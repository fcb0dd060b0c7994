"""createproject and seed_demo: what they print is what was stored."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from pytest_django import Settings

from attribution.models import App, Campaign, Project, SigningCredential


@pytest.mark.django_db
def test_createproject_prints_secrets_that_authenticate() -> None:
    out = StringIO()
    call_command(
        "createproject",
        "Acme",
        "--platform",
        "ANDROID",
        "--platform",
        "IOS",
        "--with-signing-key",
        "--webhook-url",
        "https://hooks.example.test/in",
        stdout=out,
    )
    printed = json.loads(out.getvalue())

    project = Project.objects.get(pk=printed["id"])
    assert project.token == printed["token"]
    assert project.webhook_url == "https://hooks.example.test/in"
    assert printed["webhook_signing_secret"].startswith("hz_whsec_")
    assert project.webhook_signing_secret == printed["webhook_signing_secret"]
    with connection.cursor() as cursor:  # encrypted at rest: the column holds no plaintext
        cursor.execute(
            "SELECT webhook_signing_secret FROM attribution_project WHERE id = %s", [project.pk]
        )
        (stored,) = cursor.fetchone()
    assert stored
    assert printed["webhook_signing_secret"] not in stored
    assert project.check_server_key(printed["server_api_key"])
    assert not project.check_server_key(printed["server_api_key"] + "x")
    # Only a digest is stored: the key itself appears nowhere in the row.
    assert printed["server_api_key"] not in json.dumps(list(Project.objects.values()), default=str)
    assert sorted(App.objects.filter(project=project).values_list("platform", flat=True)) == [
        "ANDROID",
        "IOS",
    ]
    credential = SigningCredential.objects.get(key_id=printed["signing_key_id"])
    assert credential.secret == printed["signing_secret"]


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings: Settings, tmp_path: Path) -> None:
    settings.STATE_DIR = tmp_path
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    assert json.loads(first.getvalue()) == json.loads(second.getvalue())
    demo = json.loads(first.getvalue())
    project = Project.objects.get(pk=demo["project_id"])
    assert project.check_server_key(demo["server_api_key"])
    assert Campaign.objects.filter(project=project).count() == 5
    assert Project.objects.filter(name="Demo").count() == 1
