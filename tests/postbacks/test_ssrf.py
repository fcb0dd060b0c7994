"""The address guard for customer URLs: private, loopback, link-local and metadata refused, and
requests connect only to the addresses that were checked (DNS rebinding)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from attribution.models import Install, Project
from hazelnut.http import HttpClient, HttpResult
from postbacks import batcher, delivery, guarded, ssrf, tasks
from postbacks.frozen import FrozenRequest
from postbacks.models import Delivery
from tests.postbacks import receivers
from tests.postbacks.fake_dns import FakeDns, tls_for


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


# DNS rebinding: a name answers with a public address when it is checked and with an inside one
# when asked again. 127.0.0.2 stands in for the public address (the test patches the guard's
# idea of "public" for it); the inside address, 127.0.0.1, listens on the same port.

REBINDING = "rebind.hazelnut.test"


@pytest.fixture
def outside_address(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ssrf._is_public
    monkeypatch.setattr(
        ssrf, "_is_public", lambda address: str(address) == "127.0.0.2" or real(address)
    )


@contextmanager
def outside_and_inside() -> Iterator[tuple[receivers.Receiver, receivers.Receiver, int]]:
    with receivers.serve(receivers.ok, host="127.0.0.2") as outside:
        port = int(outside.url.rsplit(":", 1)[1])
        with receivers.serve(receivers.ok, host="127.0.0.1", port=port) as inside:
            yield outside, inside, port


def _webhook_delivery(project: Project, make_install: Callable[..., Install], url: str) -> int:
    project.webhook_url = url
    project.save()
    tasks.fan_out_install(make_install(instance="inst-rebind").pk)
    row: Delivery = Delivery.objects.get()
    return row.pk


@pytest.mark.usefixtures("outside_address")
def test_a_rebinding_name_is_sent_only_to_the_address_that_was_checked(
    project: Project,
    make_install: Callable[..., Install],
    http: HttpClient,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dns = FakeDns(REBINDING, ["127.0.0.2", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with outside_and_inside() as (outside, inside, port):
        delivery_id = _webhook_delivery(project, make_install, f"http://{REBINDING}:{port}/hook")
        settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = False
        assert delivery.run(delivery_id, http) is None
    assert Delivery.objects.get(pk=delivery_id).state == Delivery.State.DELIVERED
    assert inside.received == []
    (sent,) = outside.received
    assert sent.headers["Host"] == f"{REBINDING}:{port}"
    assert dns.asked == 1  # one lookup: the one that was checked is the one connected to


@pytest.mark.parametrize(("allowed", "state"), [(False, "dead"), (True, "delivered")])
def test_a_name_pointing_inside_is_refused_unless_the_setting_allows_it(
    project: Project,
    make_install: Callable[..., Install],
    http: HttpClient,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    allowed: bool,
    state: str,
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(REBINDING, ["127.0.0.1"]))
    with receivers.serve(receivers.ok) as inside:
        port = int(inside.url.rsplit(":", 1)[1])
        delivery_id = _webhook_delivery(project, make_install, f"http://{REBINDING}:{port}/hook")
        settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = allowed
        assert delivery.run(delivery_id, http) is None
    row = Delivery.objects.get(pk=delivery_id)
    assert row.state == state
    assert len(inside.received) == (1 if allowed else 0)
    assert row.last_error == ("" if allowed else "refused: address is not public")


async def _batched_send(url: str) -> HttpResult:
    request = FrozenRequest("POST", url, (), "{}", guarded=True, label="webhook")
    async with aiohttp.ClientSession(connector=guarded.connector(4)) as session:
        return await batcher.send(session, request)


@pytest.mark.usefixtures("outside_address")
def test_the_batched_sender_connects_only_to_the_checked_address(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = False
    dns = FakeDns(REBINDING, ["127.0.0.2", "127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with outside_and_inside() as (outside, inside, port):
        result = asyncio.run(_batched_send(f"http://{REBINDING}:{port}/hook"))
    assert (result.status, result.error) == (200, None)
    assert (len(outside.received), inside.received, dns.asked) == (1, [], 1)


@pytest.mark.parametrize("allowed", [False, True])
def test_the_batched_sender_refuses_inside_addresses_unless_allowed(
    settings: Any, monkeypatch: pytest.MonkeyPatch, allowed: bool
) -> None:
    settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = allowed
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(REBINDING, ["127.0.0.1"]))
    with receivers.serve(receivers.ok) as inside:
        port = int(inside.url.rsplit(":", 1)[1])
        result = asyncio.run(_batched_send(f"http://{REBINDING}:{port}/hook"))
    if allowed:
        assert (result.status, len(inside.received)) == (200, 1)
    else:
        assert (result.status, result.error, result.transient) == (
            None,
            "refused: address is not public",
            False,
        )
        assert inside.received == []


PINNED = "pinned.hazelnut.test"


@pytest.mark.usefixtures("outside_address")
def test_pinned_tls_still_names_and_verifies_the_host(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.HAZELNUT_ALLOW_PRIVATE_DESTINATIONS = False
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns(PINNED, ["127.0.0.2"]))
    tls = tls_for(PINNED, tmp_path)
    with receivers.serve(receivers.ok, host="127.0.0.2", tls=tls.server) as server:
        url = f"https://{PINNED}:{server.url.rsplit(':', 1)[1]}/hook"
        session = requests.Session()
        session.mount("https://", guarded.PinnedAdapter())
        assert session.get(url, verify=tls.ca_file, timeout=5).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            session.get(url, timeout=5)  # the system's CAs do not know the test CA

        async def through_aiohttp() -> int:
            context = ssl.create_default_context(cafile=tls.ca_file)
            async with (
                aiohttp.ClientSession(connector=guarded.connector(2)) as pinned,
                pinned.get(url, ssl=context) as response,
            ):
                return response.status

        assert asyncio.run(through_aiohttp()) == 200
    assert tls.names_asked == [PINNED, PINNED, PINNED]
    assert len(server.received) == 2
