"""`manage.py createproject NAME`: a new project, its secrets printed once as one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from attribution.models import App, Platform, Project, SigningCredential


class Command(BaseCommand):
    help = "Create a project and print its id, token, server API key and signing key as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--platform",
            action="append",
            choices=[Platform.ANDROID.value, Platform.IOS.value],
            default=[],
            help="Add a store listing for this platform (repeatable).",
        )
        parser.add_argument("--bundle-id", default="", help="Package name / bundle id of the app.")
        parser.add_argument("--with-signing-key", action="store_true")
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--website", default="")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        project, server_key = Project.new(
            options["name"], webhook_url=options["webhook_url"], website=options["website"]
        )
        project.save()
        bundle_id = options["bundle_id"] or f"com.example.{project.pk}"
        for platform in options["platform"]:
            App.objects.create(
                project=project, platform=platform, name=project.name, bundle_id=bundle_id
            )

        output: dict[str, Any] = {
            "id": project.pk,
            "name": project.name,
            "token": project.token,
            "web_token": project.web_token,
            "server_api_key": server_key,
            "webhook_signing_secret": project.webhook_signing_secret,
        }
        if options["with_signing_key"]:
            platform = options["platform"][0] if options["platform"] else Platform.IOS.value
            credential, secret = SigningCredential.new(project, platform)
            credential.save()
            output["signing_key_id"] = credential.key_id
            output["signing_secret"] = secret
        self.stdout.write(json.dumps(output))
