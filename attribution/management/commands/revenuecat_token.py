"""`manage.py revenuecat_token PROJECT_ID`: a new token for RevenueCat's webhook, printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attribution.models import Project


class Command(BaseCommand):
    help = (
        "Give the project a new RevenueCat webhook token (the old one stops working) and print "
        "it: paste it into RevenueCat's Authorization header field, with the URL "
        "<your host>/webhook/revenuecat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"no project {options['project_id']}")
        token = project.rotate_revenuecat_token()
        project.save(update_fields=["revenuecat_token_digest"])
        self.stdout.write(token)
