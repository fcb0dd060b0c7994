"""`manage.py seed_demo`: the demo project `make run` starts with, and an admin login.

Idempotent: the first run creates everything and keeps the secrets in the state directory
(they cannot be read back from the database), later runs print the same ones again.
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

from attribution.models import AdNetwork, App, Campaign, Platform, Project, SigningCredential

STANDARD_NETWORKS = [
    ("GOOGLE", "Google Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("META", "Meta Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("TIKTOK", "TikTok Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("SNAPCHAT", "Snapchat Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
    ("APPLE_SEARCH_ADS", "Apple Search Ads", AdNetwork.Kind.SELF_ATTRIBUTING),
]

DEMO_CAMPAIGNS = [
    ("demo-google-search", "Google search - brand", "GOOGLE"),
    ("demo-meta-spring", "Meta - spring sale", "META"),
    ("demo-tiktok-creators", "TikTok - creators", "TIKTOK"),
    ("demo-newsletter", "Newsletter", None),
]


def ensure_standard_networks() -> dict[str, AdNetwork]:
    networks = {}
    for code, name, kind in STANDARD_NETWORKS:
        network, _ = AdNetwork.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        networks[code] = network
    return networks


class Command(BaseCommand):
    help = "Create the demo project, its campaigns and an admin user; print how to use them."

    def handle(self, *args: Any, **options: Any) -> None:
        state_file = Path(settings.STATE_DIR) / "demo.json"
        if state_file.exists() and Project.objects.filter(name="Demo").exists():
            demo = json.loads(state_file.read_text())
        else:
            demo = self._create()
            state_file.parent.mkdir(parents=True, exist_ok=True)
            state_file.write_text(json.dumps(demo, indent=2))
            state_file.chmod(0o600)
        self.stdout.write(json.dumps(demo, indent=2))

    @transaction.atomic
    def _create(self) -> dict[str, Any]:
        networks = ensure_standard_networks()
        Project.objects.filter(name="Demo").delete()
        project, server_key = Project.new(
            "Demo", website="https://demo.hazelnut.test", allowed_origins="http://127.0.0.1:8000"
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
        for display_id, name, network_code in DEMO_CAMPAIGNS:
            Campaign.objects.filter(display_id=display_id).delete()
            campaign = Campaign.objects.create(
                project=project,
                display_id=display_id,
                name=name,
                network=networks.get(network_code) if network_code else None,
                deeplink=f"demo://campaign/{display_id}",
            )
            campaign.store_listings.set([android, ios])
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
            "campaign_links": [f"/{display_id}" for display_id, _, _ in DEMO_CAMPAIGNS],
            "admin": {"username": "admin", "password": admin_password},
        }
