"""The mypy wrapper and its shrink-only exemption ledger."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest

from lint import typecheck
from lint.typecheck import head_ledger, ledger_problems, parse_ledger

LEDGER = "# header\n\ningest/views/sdk.py  # half-typed serializer glue\npostbacks/tasks.py\n"


def test_parse_ledger_keeps_entries_with_their_line_numbers() -> None:
    assert parse_ledger(LEDGER) == {"ingest/views/sdk.py": 3, "postbacks/tasks.py": 4}


def test_a_ledger_that_shrank_and_still_has_errors_passes() -> None:
    current = "ingest/views/sdk.py\n"
    errors = Counter({"ingest/views/sdk.py": 2})

    assert ledger_problems(current, LEDGER, errors) == []


def test_a_new_exemption_fails_as_growth() -> None:
    current = LEDGER + "attribution/installs.py\n"
    errors = Counter(
        {"ingest/views/sdk.py": 1, "postbacks/tasks.py": 1, "attribution/installs.py": 4}
    )

    assert ledger_problems(current, LEDGER, errors) == [
        "lint/mypy-exemptions.txt:5: HZ101 new exemption attribution/installs.py: "
        "the ledger may only shrink; fix the errors"
    ]


def test_an_exempted_module_that_passes_must_leave_the_ledger() -> None:
    errors = Counter({"ingest/views/sdk.py": 3})

    assert ledger_problems(LEDGER, LEDGER, errors) == [
        "lint/mypy-exemptions.txt:4: HZ102 postbacks/tasks.py passes mypy now; delete the line"
    ]


def test_an_exempted_module_that_is_gone_must_leave_the_ledger() -> None:
    errors = Counter({"ingest/views/sdk.py": 3})

    problems = ledger_problems(LEDGER, LEDGER, errors, exists={"ingest/views/sdk.py"})

    assert problems == [
        "lint/mypy-exemptions.txt:4: HZ102 postbacks/tasks.py does not exist; delete the line"
    ]


def test_without_a_committed_ledger_only_growth_goes_unchecked() -> None:
    errors = Counter({"ingest/views/sdk.py": 1})

    assert ledger_problems(LEDGER, None, errors) == [
        "lint/mypy-exemptions.txt:4: HZ102 postbacks/tasks.py passes mypy now; delete the line"
    ]


def test_head_ledger_reads_the_committed_copy(tmp_path: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test"]
    (tmp_path / "lint").mkdir()
    (tmp_path / "lint" / "mypy-exemptions.txt").write_text("committed.py\n")
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    assert head_ledger(tmp_path) is None  # no commit yet

    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "ledger"], cwd=tmp_path, check=True)
    (tmp_path / "lint" / "mypy-exemptions.txt").write_text("committed.py\nworking.py\n")

    assert head_ledger(tmp_path) == "committed.py\n"


def test_the_wrapper_reports_unexempted_errors_and_stale_exemptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mypy]\ncache_dir = ".mypy_cache"\ndisallow_untyped_defs = true\n'
    )
    package = tmp_path / "hazelnut"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text("def untyped(x):\n    return x\n")
    (package / "exempt.py").write_text("def untyped(x):\n    return x\n")
    (package / "fixed.py").write_text("def typed(x: int) -> int:\n    return x\n")
    (tmp_path / "lint").mkdir()
    (tmp_path / "lint" / "mypy-exemptions.txt").write_text(
        "hazelnut/exempt.py\nhazelnut/fixed.py\n"
    )

    status = typecheck.main(["--root", str(tmp_path)])

    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines() == [
        "hazelnut/bad.py:1: error: Function is missing a type annotation  [no-untyped-def]",
        "lint/mypy-exemptions.txt:2: HZ102 hazelnut/fixed.py passes mypy now; delete the line",
    ]


def test_the_wrapper_fails_loudly_when_mypy_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mypy]\nplugins = ["no_such_plugin"]\n')
    (tmp_path / "manage.py").write_text("")

    status = typecheck.main(["--root", str(tmp_path)])

    assert status == 2
    assert "lint.typecheck: mypy exited 2:" in capsys.readouterr().err
