"""Fixtures for the lint tests: run the custom checks on one of the deliberately bad files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lint.checks import check_source

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_root() -> Path:
    return FIXTURES


@pytest.fixture
def lint_fixture() -> Callable[[str], list[str]]:
    """Run every rule over `fixtures/<path>` as if it lived at `<path>` in the project."""

    def run(path: str) -> list[str]:
        source = (FIXTURES / path).read_text(encoding="utf-8")
        return [str(violation) for violation in check_source(path, source)]

    return run
