"""`manage.py grpcserver`: serve PostbackService, AnalyticsService and health over gRPC."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

import structlog
from django.core.management.base import BaseCommand

from proto import server as grpc_server

log = structlog.get_logger(__name__)


class Command(BaseCommand):
    help = "Run the gRPC server (postbacks, analytics, health)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        default = os.environ.get("GRPC_ADDRESS", "[::]:" + os.environ.get("GRPC_PORT", "50051"))
        parser.add_argument("--address", default=default)
        parser.add_argument("--workers", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        server, port = grpc_server.build(options["address"], options["workers"])
        server.start()
        log.info("grpc.server.started", port=port)
        server.wait_for_termination()
