"""The gRPC server: validation, enqueueing, and the standard health service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
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
