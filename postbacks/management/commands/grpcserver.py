"""`manage.py grpcserver`: serve PostbackService, AnalyticsService and health over gRPC."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hazelnut.net import is_loopback_host
from proto import server as grpc_server

log = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Run the gRPC server (postbacks, analytics, health)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--address", default=settings.GRPC_ADDRESS)
        parser.add_argument("--workers", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        address, token = options["address"], settings.HAZELNUT_GRPC_TOKEN
        if not token and not _loopback(address):
            # The services act on any project's installs by id: never open and unauthenticated.
            raise CommandError(f"{address} is reachable from other hosts: set HAZELNUT_GRPC_TOKEN")
        server, port = grpc_server.build(address, options["workers"], token)
        server.start()
        log.info("grpc.server.started", port=port, authenticated=bool(token))
        server.wait_for_termination()


def _loopback(address: str) -> bool:
    return is_loopback_host(address.rsplit(":", 1)[0])
