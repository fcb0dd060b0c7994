from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lint.checks import check_paths

Lint = Callable[[str], list[str]]
README = """# Project

## Limitations

- `attribution/listed.py`: clicks older than the window are not replayed yet.

## Licence
"""


def test_hz006_reports_limit_marks_that_run_on_or_say_nothing(lint_fixture: Lint) -> None:
    assert lint_fixture("postbacks/limits.py") == [
        "postbacks/limits.py:5: HZ006 `# Limit:` mark runs past one line",
        "postbacks/limits.py:9: HZ006 `# Limit:` mark says nothing",
    ]


def test_hz007_reports_marked_modules_the_readme_does_not_list(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(README + "\n`attribution/unlisted.py` is mentioned here.\n")
    (tmp_path / "attribution").mkdir()
    for name in ("listed", "unlisted"):
        (tmp_path / "attribution" / f"{name}.py").write_text(
            "WINDOW = 7  # Limit: a fixed window until projects can set their own.\n"
        )

    violations = check_paths([tmp_path], tmp_path)

    assert [str(v) for v in violations] == [
        "attribution/unlisted.py:1: HZ007 `# Limit:` mark not listed in README.md Limitations"
    ]


def test_hz007_needs_a_readme_with_a_limitations_section(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Project\n")
    (tmp_path / "marked.py").write_text("X = 1  # Limit: not configurable yet.\n")

    assert check_paths([tmp_path], tmp_path) == []
