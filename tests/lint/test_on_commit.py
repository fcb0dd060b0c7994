from __future__ import annotations

from collections.abc import Callable

import pytest

from lint.checks import check_source
from lint.checks.on_commit import is_request_module

Lint = Callable[[str], list[str]]


def test_hz001_reports_each_enqueue_in_a_view_that_is_not_deferred_to_on_commit(
    lint_fixture: Lint,
) -> None:
    assert lint_fixture("ingest/views/sdk.py") == [
        "ingest/views/sdk.py:12: HZ001 .delay() outside transaction.on_commit",
        "ingest/views/sdk.py:13: HZ001 .apply_async() outside transaction.on_commit",
        "ingest/views/sdk.py:14: HZ001 .send_task() outside transaction.on_commit",
        "ingest/views/sdk.py:34: HZ001 .delay() outside transaction.on_commit",
    ]


def test_hz001_treats_every_ingest_module_but_the_publish_module_as_request_code(
    lint_fixture: Lint,
) -> None:
    assert lint_fixture("ingest/outbox_relay.py") == [
        "ingest/outbox_relay.py:7: HZ001 .send_task() outside transaction.on_commit",
    ]
    assert lint_fixture("ingest/publish.py") == []


def test_hz001_covers_views_modules_of_other_apps(lint_fixture: Lint) -> None:
    assert lint_fixture("attribution/views.py") == [
        "attribution/views.py:7: HZ001 .delay() outside transaction.on_commit",
    ]


def test_hz001_leaves_task_code_free_to_enqueue_the_next_step(lint_fixture: Lint) -> None:
    assert lint_fixture("attribution/chain.py") == []


def test_hz001_decides_by_where_the_module_lives() -> None:
    source = "def view(request):\n    task.delay(1)\n"

    assert [str(v) for v in check_source("postbacks/views/retry.py", source)] == [
        "postbacks/views/retry.py:2: HZ001 .delay() outside transaction.on_commit"
    ]
    assert check_source("postbacks/fanout.py", source) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("ingest/views/sdk.py", True),
        ("ingest/auth.py", True),
        ("ingest/publish.py", False),
        ("ingest/management/commands/replay.py", False),
        ("attribution/reports/views.py", True),
        ("attribution/views_api.py", True),
        ("attribution/installs.py", False),
        ("tests/ingest/views/test_sdk.py", False),
    ],
)
def test_hz001_request_code_scope(path: str, expected: bool) -> None:
    assert is_request_module(path) is expected
