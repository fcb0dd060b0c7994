"""Fixtures of the HTTP edge tests: captured publishes, a private Redis namespace, clients."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from attribution import queries
from attribution.models import Project
from ingest import auth, kv, publish, web


@dataclass
class Published:
    messages: list[tuple[str, dict[str, Any]]]

    def of(self, task_name: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.messages if name == task_name]


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Published:
    """Every message the edge hands to the broker, instead of a broker."""
    captured = Published([])

    def send(task_name: str, kwargs: dict[str, Any]) -> None:
        json.dumps(kwargs)  # what a JSON serializer would refuse, the test refuses too
        captured.messages.append((task_name, kwargs))

    monkeypatch.setattr(publish, "send", send)
    return captured


@pytest.fixture(autouse=True)
def _isolated_edge(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Redis key namespace per test, fresh caches, and no waiting for install rows."""
    prefix = f"hztest-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(kv, "PREFIX", prefix)
    monkeypatch.setattr(queries, "INSTALL_WAIT_SECONDS", 0.0)
    auth.clear_cache()
    web.forget_keys()
    publish.breaker.reset()
    yield
    kv.client.cache_clear()
    client = kv.client()
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@dataclass
class Api:
    client: Client
    project: Project
    server_key: str

    def sdk(self, route: str, body: dict[str, Any], **headers: str) -> Any:
        payload = {"token": self.project.token, **body}
        return self.raw(f"/api/client/{route}", json.dumps(payload).encode(), **headers)

    @staticmethod
    def envelope(response: Any) -> dict[str, Any]:
        """The response body, checked to be the envelope with status equal to the HTTP code."""
        body: dict[str, Any] = response.json()
        assert set(body) >= {"msg", "status", "data"}
        assert body["status"] == response.status_code
        return body

    def raw(self, path: str, data: bytes, **headers: str) -> Any:
        return self.client.post(path, data=data, content_type="application/json", headers=headers)

    def server(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        call = getattr(self.client, method.lower())
        headers = {"linkrunner-key": self.server_key}
        if method.upper() == "GET":
            return call(path, body or {}, headers=headers)
        data = json.dumps(body or {})
        return call(path, data=data, content_type="application/json", headers=headers)


@pytest.fixture
def api(project_with_key: tuple[Project, str]) -> Api:
    project, key = project_with_key
    return Api(Client(), project, key)
