"""The PostbackService gRPC servicer: validate the ids, then enqueue the fan-out."""

from __future__ import annotations

import grpc
import structlog

from attribution import api as attribution
from attribution.models import UserIdentity
from postbacks import api
from proto import postbacks_pb2, postbacks_pb2_grpc

log = structlog.get_logger(__name__)

EVENT_KINDS = frozenset({"payment", "custom", "reengagement", "signup"})


def _reply(message: str) -> postbacks_pb2.EnqueueReply:
    return postbacks_pb2.EnqueueReply(accepted=True, message=message)


class PostbackService(postbacks_pb2_grpc.PostbackServiceServicer):
    def SendInstallPostback(
        self, request: postbacks_pb2.InstallPostbackRequest, context: grpc.ServicerContext
    ) -> postbacks_pb2.EnqueueReply:
        if request.install_id <= 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "install_id must be positive")
        install = attribution.install_facts(request.install_id)
        if install is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such install")
        api.fan_out_install(request.install_id)
        log.info("postbacks.rpc.install", install_id=request.install_id)
        return _reply("install postback enqueued")

    def SendEventPostback(
        self, request: postbacks_pb2.EventPostbackRequest, context: grpc.ServicerContext
    ) -> postbacks_pb2.EnqueueReply:
        if request.kind not in EVENT_KINDS or request.object_id <= 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kind or object_id is invalid")
        if attribution.event_facts(request.kind, request.object_id) is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such event")
        api.fan_out_event(request.kind, request.object_id)
        log.info("postbacks.rpc.event", kind=request.kind, object_id=request.object_id)
        return _reply("event postback enqueued")

    def SendRegistrationPostback(
        self, request: postbacks_pb2.RegistrationPostbackRequest, context: grpc.ServicerContext
    ) -> postbacks_pb2.EnqueueReply:
        if request.project_id <= 0 or not request.user_id:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "project_id and user_id are required")
        identity = (
            UserIdentity.objects.filter(project_id=request.project_id, user_id=request.user_id)
            .only("pk")
            .first()
        )
        if identity is None:
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
            raise AssertionError("abort raises")
        api.fan_out_event("signup", identity.pk)
        return _reply("registration postback enqueued")
