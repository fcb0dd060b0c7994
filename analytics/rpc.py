"""The AnalyticsService gRPC servicer: validate, then enqueue the analytics fan-out."""

from __future__ import annotations

import grpc
import structlog

from analytics import api
from attribution import api as attribution
from proto import analytics_pb2, analytics_pb2_grpc, postbacks_pb2

log = structlog.get_logger(__name__)

KINDS = frozenset({"install", "signup", "payment", "custom"})


class AnalyticsService(analytics_pb2_grpc.AnalyticsServiceServicer):
    def SendAnalyticsEvent(
        self, request: analytics_pb2.AnalyticsEventRequest, context: grpc.ServicerContext
    ) -> postbacks_pb2.EnqueueReply:
        if request.kind not in KINDS or request.object_id <= 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kind or object_id is invalid")
        if request.kind == "install":
            if attribution.install_facts(request.object_id) is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such install")
            api.forward_install(request.object_id)
        else:
            if attribution.event_facts(request.kind, request.object_id) is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such event")
            api.forward_event(request.kind, request.object_id)
        log.info("analytics.rpc.event", kind=request.kind, object_id=request.object_id)
        return postbacks_pb2.EnqueueReply(accepted=True, message="analytics event enqueued")
