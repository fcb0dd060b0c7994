from __future__ import annotations

from collections.abc import Callable

Lint = Callable[[str], list[str]]
MESSAGE = "HZ005 inline mypy configuration; exempt a module in lint/mypy-exemptions.txt"


def test_hz005_reports_inline_mypy_switches(lint_fixture: Lint) -> None:
    assert lint_fixture("attribution/untyped.py") == [
        f"attribution/untyped.py:1: {MESSAGE}",
        f"attribution/untyped.py:5: {MESSAGE}",
    ]
