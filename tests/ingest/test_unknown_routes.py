"""Unknown paths under /api/ and wrong methods on its routes answer with the envelope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver

from tests.ingest.conftest import Api


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/client/nope"),
        ("post", "/api/v1/unknown"),
        ("get", "/api/"),
        ("put", "/api/x/"),
        ("get", "/api"),
        ("get", "/web/x"),
        ("post", "/web/"),
        ("get", "/web"),
    ],
)
def test_unknown_api_path_is_an_envelope_404(debug: bool, method: str, path: str) -> None:
    with override_settings(DEBUG=debug):
        response = getattr(Client(), method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json() == {
        "msg": "No API route at this path.",
        "status": 404,
        "data": {"error": "unknown_route"},
    }


def test_a_routes_own_404_is_kept(api: Api) -> None:
    response = api.server("DELETE", "/api/v1/campaigns/nosuchcampaign")

    assert response.status_code == 404
    assert api.envelope(response)["msg"] == "Campaign not found!"
    assert api.envelope(response)["data"] == {"error": "not_found"}


def test_paths_outside_the_api_keep_django_404() -> None:
    response = Client().get("/admin-nope/x/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_wrong_method_on_the_web_collector_is_an_envelope_405() -> None:
    # Its preflight and posts are covered in test_web_collector; both still answer as before.
    refused = Client().get("/web/collect")

    assert refused.status_code == 405
    assert refused.json() == {
        "msg": "Method not allowed.",
        "status": 405,
        "data": {"error": "method_not_allowed"},
    }
    assert "POST" in refused["Allow"]


def test_slash_redirect_under_api_still_happens() -> None:
    response = Client().get("/api/docs")

    assert response.status_code == 301
    assert response["Location"] == "/api/docs/"


def _api_routes(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, route)
        elif route.startswith("api/"):
            yield route, entry.callback


def _wrong_methods() -> list[Any]:
    """One refused method per /api/ route: one its view lacks, PUT for plain function views."""
    cases: dict[str, Any] = {}
    for route, callback in _api_routes(get_resolver()):
        path = "/" + re.sub(r"<str:\w+>", "abc123", route)
        if path in cases:  # a documentation-only twin of a route resolves to the first one
            continue
        view_class = getattr(callback, "cls", None)
        allowed = view_class().allowed_methods if view_class is not None else ["POST", "GET"]
        method = next(m for m in ("PUT", "GET", "DELETE") if m not in allowed)
        cases[path] = pytest.param(method, path, id=f"{method} {path}")
    return list(cases.values())


@pytest.mark.parametrize(("method", "path"), _wrong_methods())
def test_wrong_method_on_a_known_route_is_an_envelope_405(method: str, path: str) -> None:
    response = Client().generic(method, path)

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 405
    assert body["data"] == {"error": "method_not_allowed"}
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert allowed
    assert method not in allowed


def test_wrong_method_cases_cover_every_api_app() -> None:
    paths = [case.values[1] for case in _wrong_methods()]

    assert "/api/client/init" in paths
    assert "/api/v1/campaigns/abc123" in paths
    assert "/api/v1/attribution-decision" in paths
    assert "/api/v1/reporting/campaigns" in paths


def _server_routes() -> list[Any]:
    """Every /api/v1/ route once, with a method it takes."""
    cases: dict[str, Any] = {}
    for route, callback in _api_routes(get_resolver()):
        path = "/" + re.sub(r"<str:\w+>", "abc123", route)
        if not path.startswith("/api/v1/") or path in cases:
            continue
        view_class = getattr(callback, "cls", None)
        allowed = view_class().allowed_methods if view_class is not None else ["GET"]
        method = next(m for m in ("GET", "POST", "PATCH", "DELETE") if m in allowed)
        cases[path] = pytest.param(method, path, id=f"{method} {path}")
    return list(cases.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "code"), [(None, "missing_key"), ("hz_sk_wrong", "invalid_key")], ids=["none", "wrong"]
)
@pytest.mark.parametrize(("method", "path"), _server_routes())
def test_a_server_route_refusing_a_key_names_the_error(
    method: str, path: str, key: str | None, code: str
) -> None:
    headers = {"linkrunner-key": key} if key else {}
    response = Client().generic(method, path, b"{}", "application/json", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["data"] == {"error": code}


def test_every_server_route_is_swept_for_its_key_error() -> None:
    paths = {case.values[1] for case in _server_routes()}

    assert {"/api/v1/attribution-decision", "/api/v1/attribution-decision/abc123"} <= paths
    assert {"/api/v1/campaigns", "/api/v1/reporting/campaigns", "/api/v1/capture-event"} <= paths
