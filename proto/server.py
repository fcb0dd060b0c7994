"""The gRPC server: PostbackService, AnalyticsService and the standard health service."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
from django.db import close_old_connections
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from analytics.rpc import AnalyticsService
from postbacks.rpc import PostbackService
from proto import analytics_pb2_grpc, postbacks_pb2_grpc

SERVICES = ("hazelnut.v1.PostbackService", "hazelnut.v1.AnalyticsService")


class _DatabaseConnections(grpc.ServerInterceptor):
    """Drop broken or expired database connections around each call, as Django does per request."""

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        close_old_connections()
        return continuation(handler_call_details)


def build(address: str, workers: int = 8) -> tuple[grpc.Server, int]:
    """A started-ready (not yet started) server bound to `address`, and the bound port."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers), interceptors=[_DatabaseConnections()]
    )
    postbacks_pb2_grpc.add_PostbackServiceServicer_to_server(PostbackService(), server)
    analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server(AnalyticsService(), server)
    checker = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    for name in ("", *SERVICES):
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port(address)
    return server, port
