"""`manage.py seed_demo`: the demo project `make run` starts with, and an admin login.

Idempotent: the first run creates everything and keeps the secrets in the state directory
(they cannot be read back from the database), later runs print the same ones again. Every run
makes sure the demo's campaigns, network accounts and event maps are there (attribution.demo),
so a demo seeded by an older version gains what it lacks.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from attribution import demo
from attribution.models import App, Platform, Project, SigningCredential


class Command(BaseCommand):
    help = (
        "Create the demo project, its campaigns, network accounts and event maps and an admin"
        " user; print how to use them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        state_file = Path(settings.STATE_DIR) / "demo.json"
        stored = json.loads(state_file.read_text()) if state_file.exists() else {}
        project_id = stored.get("project_id")
        project = Project.objects.filter(name="Demo", pk=project_id).first() if project_id else None
        if project is not None:
            seeded = stored
            self._complete(project)
        else:
            seeded = self._create()
            state_file.parent.mkdir(parents=True, exist_ok=True)
            state_file.write_text(json.dumps(seeded, indent=2))
            state_file.chmod(0o600)
        self.stdout.write(json.dumps(seeded, indent=2))

    @transaction.atomic
    def _complete(self, project: Project) -> None:
        networks = demo.ensure_standard_networks()
        demo.ensure_campaigns(project, networks, list(App.objects.filter(project=project)))
        demo.ensure_postbacks(project, networks)

    @transaction.atomic
    def _create(self) -> dict[str, Any]:
        Project.objects.filter(name="Demo").delete()
        project, server_key = Project.new(
            "Demo", website="https://demo.hazelnut.test", allowed_origins=demo.WEB_ORIGIN
        )
        project.save()
        android = App.objects.create(
            project=project, platform=Platform.ANDROID, name="Demo", bundle_id="com.hazelnut.demo"
        )
        ios = App.objects.create(
            project=project,
            platform=Platform.IOS,
            name="Demo",
            bundle_id="com.hazelnut.demo",
            store_id="1234567890",
        )
        networks = demo.ensure_standard_networks()
        demo.ensure_campaigns(project, networks, [android, ios])
        demo.ensure_postbacks(project, networks)
        credential, signing_secret = SigningCredential.new(project, Platform.IOS)
        credential.save()

        admin_password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        admin, _ = user_model.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.set_password(admin_password)
        admin.save()
        return {
            "project_id": project.pk,
            "token": project.token,
            "web_token": project.web_token,
            "server_api_key": server_key,
            "signing_key_id": credential.key_id,
            "signing_secret": signing_secret,
            "campaign_links": [f"/{display_id}" for display_id, _, _ in demo.CAMPAIGNS],
            "admin": {"username": "admin", "password": admin_password},
        }
