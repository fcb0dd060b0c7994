"""The gRPC server: validation, enqueueing, and the standard health service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from django.core.management import CommandError, call_command
from grpc_health.v1 import health_pb2, health_pb2_grpc

from attribution.models import Install, Payment, Project, UserIdentity
from hazelnut.celery import app
from proto import analytics_pb2, analytics_pb2_grpc, postbacks_pb2, postbacks_pb2_grpc
from proto import server as grpc_server


@pytest.fixture
def channel() -> Iterator[grpc.Channel]:
    server, port = grpc_server.build("127.0.0.1:0", workers=2)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(grace=None)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    published: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        app, "send_task", lambda name, kwargs=None, **_: published.append((name, kwargs or {}))
    )
    return published


@pytest.mark.django_db(transaction=True)
def test_postback_rpcs_validate_and_enqueue(
    project: Project,
    make_install: Callable[..., Install],
    channel: grpc.Channel,
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    install = make_install(instance="inst-grpc")
    identity = UserIdentity.objects.create(project=project, user_id="u-g", install=install)
    stub = postbacks_pb2_grpc.PostbackServiceStub(channel)

    reply = stub.SendInstallPostback(postbacks_pb2.InstallPostbackRequest(install_id=install.pk))
    assert reply.accepted
    stub.SendRegistrationPostback(
        postbacks_pb2.RegistrationPostbackRequest(project_id=project.pk, user_id="u-g")
    )
    assert sent == [
        ("postbacks.fanout.install", {"install_id": install.pk}),
        ("postbacks.fanout.event", {"kind": "signup", "object_id": identity.pk}),
    ]

    with pytest.raises(grpc.RpcError) as missing:
        stub.SendInstallPostback(postbacks_pb2.InstallPostbackRequest(install_id=999_999))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as invalid:
        stub.SendEventPostback(postbacks_pb2.EventPostbackRequest(kind="bogus", object_id=1))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(sent) == 2


@pytest.mark.django_db(transaction=True)
def test_analytics_rpc_and_health(
    project: Project,
    make_install: Callable[..., Install],
    channel: grpc.Channel,
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    from django.utils import timezone

    install = make_install(instance="inst-grpc-a")
    payment = Payment.objects.create(
        project=project, install=install, user_id="u", amount="1.00", occurred_at=timezone.now()
    )
    stub = analytics_pb2_grpc.AnalyticsServiceStub(channel)
    stub.SendAnalyticsEvent(
        analytics_pb2.AnalyticsEventRequest(kind="payment", object_id=payment.pk)
    )
    stub.SendAnalyticsEvent(
        analytics_pb2.AnalyticsEventRequest(kind="install", object_id=install.pk)
    )
    assert sent == [
        ("analytics.fanout.event", {"kind": "payment", "object_id": payment.pk}),
        ("analytics.fanout.install", {"install_id": install.pk}),
    ]
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "hazelnut.v1.PostbackService", "hazelnut.v1.AnalyticsService"):
        check = health.Check  # type: ignore[attr-defined]  # the stubs omit generated methods
        answer = check(health_pb2.HealthCheckRequest(service=service))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.django_db(transaction=True)
def test_with_a_token_only_health_answers_without_it(
    make_install: Callable[..., Install], sent: list[tuple[str, dict[str, Any]]]
) -> None:
    install = make_install(instance="inst-grpc-token")
    server, port = grpc_server.build("127.0.0.1:0", workers=2, token="s3cret")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
            stub = postbacks_pb2_grpc.PostbackServiceStub(chan)
            request = postbacks_pb2.InstallPostbackRequest(install_id=install.pk)
            for metadata in ((), (("authorization", "Bearer wrong"),)):
                with pytest.raises(grpc.RpcError) as refused:
                    stub.SendInstallPostback(request, metadata=metadata)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            check = health_pb2_grpc.HealthStub(chan).Check  # type: ignore[attr-defined]
            health = check(health_pb2.HealthCheckRequest())
            reply = stub.SendInstallPostback(
                request, metadata=(("authorization", "Bearer s3cret"),)
            )
    finally:
        server.stop(grace=None)

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert reply.accepted
    assert sent == [("postbacks.fanout.install", {"install_id": install.pk})]


def test_the_server_refuses_to_listen_beyond_loopback_without_a_token(
    settings: Any,
) -> None:
    settings.HAZELNUT_GRPC_TOKEN = ""
    with pytest.raises(CommandError, match="HAZELNUT_GRPC_TOKEN"):
        call_command("grpcserver", "--address", "0.0.0.0:0")
