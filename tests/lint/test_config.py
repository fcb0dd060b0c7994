"""The tool configuration in pyproject.toml keeps the promises CONTRIBUTING.md makes."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mypy.main import define_options
from mypy.options import PER_MODULE_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
STRICT_PACKAGES = {"hazelnut.broker.*", "attribution.*", "postbacks.*", "analytics.*"}


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def override_for(module: str) -> dict[str, Any]:
    overrides = pyproject()["tool"]["mypy"]["overrides"]
    return next(o for o in overrides if module in o["module"])


def test_the_strict_override_sets_every_flag_of_mypy_strict() -> None:
    _, _, strict_assignments = define_options()
    mypy = pyproject()["tool"]["mypy"]
    strict = override_for("hazelnut.broker.*")

    # Global-only flags (warn_redundant_casts) must be on globally; per-module ones in the override
    # unless already on globally.
    missing = [
        (flag, value)
        for flag, value in strict_assignments
        if (strict.get(flag, mypy.get(flag)) if flag in PER_MODULE_OPTIONS else mypy.get(flag))
        != value
    ]
    assert missing == []


def test_strict_covers_the_transport_the_attribution_logic_and_the_delivery_machinery() -> None:
    assert set(override_for("hazelnut.broker.*")["module"]) >= STRICT_PACKAGES


def test_admin_is_back_in_normal_mode() -> None:
    _, _, strict_assignments = define_options()
    admin = override_for("attribution.admin.*")

    relaxed = {flag: not value for flag, value in strict_assignments if flag in admin}
    assert admin == {"module": ["attribution.admin.*"], **relaxed}


def test_no_blanket_type_ignore_and_no_unused_ones() -> None:
    mypy = pyproject()["tool"]["mypy"]

    assert "ignore-without-code" in mypy["enable_error_code"]
    assert mypy["warn_unused_ignores"] is True
    assert "ignore_missing_imports" not in mypy


def test_ruff_keeps_every_selected_rule_on() -> None:
    lint = pyproject()["tool"]["ruff"]["lint"]

    assert "ignore" not in lint
    assert "extend-ignore" not in lint
    assert pyproject()["tool"]["ruff"]["line-length"] == 100
    assert "PGH" in lint["select"]  # PGH003/PGH004: blanket type-ignore and noqa comments


def test_make_lint_runs_every_check() -> None:
    script = (ROOT / "scripts" / "lint.sh").read_text(encoding="utf-8")

    for command in (
        "ruff format --check",
        "ruff check",
        "-m lint.checks",
        "lint-imports",
        "-m lint.typecheck",
    ):
        assert command in script
