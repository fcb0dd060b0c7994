"""Schemathesis drives every operation of the OpenAPI schema in-process; no answer may be a 5xx.

Bad input must be refused with a 4xx envelope, so a server error here is a bug in the edge.
Bodies get the real project token (and S2S calls the real server key) so generated data gets
past authentication to validation and the handlers, and install ids name an existing install so
the synchronous install updates write to the database. The run is derandomized: the same
examples every time, so a failure is reproducible and never flaky.

No worker runs here, so an install announced by a fuzzed `init` is never written; each
operation gets its own Redis namespace so that launch claim does not turn another operation's
"unknown install" (404) into the "install pending, retry" 503 the SDKs are meant to retry
(that answer is tested in test_sdk_routes).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from attribution.models import Install
from hazelnut.wsgi import application
from ingest import kv
from tests.ingest.conftest import Api, Published

EXAMPLES_PER_MODE = 20
INSTALL = "fuzz-install-1"


def _authenticate(case: Any, api: Api) -> dict[str, str]:
    """Put the project's credentials (and its one install) where the operation expects them."""
    if isinstance(case.body, dict) and "token" in case.body:
        web = case.operation.path.startswith("/web/")
        case.body["token"] = api.project.web_token if web else api.project.token
    if isinstance(case.body, dict) and isinstance(case.body.get("install_instance_id"), str):
        case.body["install_instance_id"] = INSTALL
    if case.operation.path == "/api/client/getProfile":
        case.query = {**(case.query or {}), "token": api.project.token}
    return {"linkrunner-key": api.server_key}


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly fires request_started/finished, whose handler closes the
    database connection; inside the test's transaction that breaks every later query (Django's
    own test client disconnects the handler the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(
    api: Api, published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An install to update, so the synchronous install routes get past "unknown install".
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    Install.objects.create(
        project=api.project,
        install_instance_id=INSTALL,
        platform="IOS",
        installed_at=moment,
        last_seen_at=moment,
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the schema has operations schemathesis cannot read"
    server_errors: list[str] = []
    calls = 0

    base = kv.PREFIX
    for index, operation in enumerate(operations):
        monkeypatch.setattr(kv, "PREFIX", f"{base}:op{index}")
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=2 * EXAMPLES_PER_MODE,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def exercise(case: Any) -> None:
            nonlocal calls
            response = case.call(headers=_authenticate(case, api))
            calls += 1
            if response.status_code >= 500:
                server_errors.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]} (body={case.body!r:.200})"
                )

        exercise()

    assert len(operations) >= 20
    assert calls >= 10 * len(operations)
    assert server_errors == []
