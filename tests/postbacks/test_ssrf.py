"""The address guard for customer URLs: private, loopback, link-local and metadata refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from attribution.models import Install, Project
from hazelnut.http import HttpClient
from postbacks import delivery, ssrf, tasks
from postbacks.models import Delivery
from tests.postbacks import receivers


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::1]/hook",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:10.0.0.1]/",
        "http://100.64.1.1/",
        "http://0.0.0.0/",
        "ftp://example.test/file",
        "file:///etc/passwd",
    ],
)
def test_private_and_odd_destinations_are_refused(url: str) -> None:
    with pytest.raises(ssrf.DestinationRefused):
        ssrf.check_url(url, allow_private=False)


def test_public_address_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    public = [(2, 1, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: public)
    ssrf.check_url("https://hooks.example.test/x", allow_private=False)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    mixed = [(2, 1, 6, "", ("93.184.215.14", 443)), (2, 1, 6, "", ("10.0.0.7", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: mixed)
    with pytest.raises(ssrf.DestinationRefused, match="not public"):
        ssrf.check_url("https://rebind.example.test/x", allow_private=False)


def test_refused_webhook_ends_dead_without_a_request(
    project: Project,
    make_install: Callable[..., Install],
    http: HttpClient,
    settings: Any,
) -> None:
    with receivers.serve(receivers.ok) as hook:
        project.webhook_url = hook.url + "/hook"
        project.save()
        tasks.fan_out_install(make_install(instance="inst-ssrf").pk)
        settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = False
        row = Delivery.objects.get()
        assert delivery.run(row.pk, http) is None
    row.refresh_from_db()
    assert row.state == Delivery.State.DEAD
    assert row.last_error.startswith("refused")
    assert hook.received == []
