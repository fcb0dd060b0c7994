"""`manage.py web_collector_key <project id>`: a new key pair for the encrypted web collector.

Prints the key id and public key to paste into the web SDK (`keyId` / `publicKey`); the private
key is stored encrypted and never shown.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from attribution.models import Project
from hazelnut.secrets import new_token
from ingest import webcrypto
from ingest.models import WebCollectorKey


class Command(BaseCommand):
    help = "Create a P-256 key pair for the web collector's encrypted envelope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"no project with id {options['project_id']}")
        private_pem, public_key = webcrypto.new_key_pair()
        key = WebCollectorKey.objects.create(
            project=project,
            key_id=new_token("wk_", 9),
            private_key=private_pem,
            public_key=public_key,
        )
        self.stdout.write(f"keyId={key.key_id}\npublicKey={key.public_key}")
