"""The gRPC server: PostbackService, AnalyticsService and the standard health service.

With a token, every call but the health check must carry `authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
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


class _Token(grpc.ServerInterceptor):
    """Refuse calls without the shared token; load balancers probe health without one."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        if handler_call_details.method.startswith("/grpc.health.v1.Health/"):
            return continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        given = str(metadata.get("authorization", "")).encode()
        if hmac.compare_digest(given, self._expected):
            return continuation(handler_call_details)
        return grpc.unary_unary_rpc_method_handler(_refuse)


def _refuse(request: Any, context: grpc.ServicerContext) -> Any:
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong authorization token")


def build(address: str, workers: int = 8, token: str = "") -> tuple[grpc.Server, int]:
    """A started-ready (not yet started) server bound to `address`, and the bound port."""
    interceptors: list[grpc.ServerInterceptor] = [_DatabaseConnections()]
    if token:
        interceptors.insert(0, _Token(token))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), interceptors=interceptors)
    postbacks_pb2_grpc.add_PostbackServiceServicer_to_server(PostbackService(), server)
    analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server(AnalyticsService(), server)
    checker = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    for name in ("", *SERVICES):
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port(address)
    return server, port
