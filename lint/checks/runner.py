"""Find the Python files under the given paths and run every rule over each one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lint.checks import inline_config, limits, log_messages, on_commit, queue_names, task_args
from lint.checks.base import Module, Violation

Rule = Callable[[Module], Iterable[Violation]]

RULES: dict[str, Rule] = {
    on_commit.RULE: on_commit.check,
    task_args.RULE: task_args.check,
    log_messages.RULE: log_messages.check,  # and RULE_EVENT_KEY
    queue_names.RULE: queue_names.check,
    inline_config.RULE: inline_config.check,
    limits.RULE_ONE_LINE: limits.check,
}
SKIPPED_DIRECTORIES = frozenset(
    {".git", ".venv", "__pycache__", "migrations", ".mypy_cache", ".ruff_cache", ".hazelnut"}
)
# Deliberately bad code that the tests feed to the rules; skipped unless named explicitly.
FIXTURES = "tests/lint/fixtures"


def check_source(path: str, source: str) -> list[Violation]:
    """Every violation in one module; `path` is relative to the project root."""
    try:
        module = Module.parse(path, source)
    except SyntaxError as error:
        return [Violation(path, error.lineno or 1, "HZ000", f"syntax error: {error.msg}")]
    return sorted(violation for rule in RULES.values() for violation in rule(module))


def check_paths(paths: Iterable[Path], root: Path) -> list[Violation]:
    """Every violation under `paths`, plus the project-wide HZ007 when root has a README.md."""
    violations: list[Violation] = []
    marked: dict[str, int] = {}
    for file in python_files(paths, root):
        relative = _relative(file, root)
        source = file.read_text(encoding="utf-8")
        violations.extend(check_source(relative, source))
        if lines := limits.marks(source):
            marked[relative] = lines[0]
    readme = root / "README.md"
    if readme.is_file():
        violations.extend(limits.unlisted(marked, readme.read_text(encoding="utf-8")))
    return sorted(violations)


def _relative(file: Path, root: Path) -> str:
    """`file` as rules and readers see it: relative to the root when it lies inside it."""
    try:
        return file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return file.as_posix()


def python_files(paths: Iterable[Path], root: Path) -> Iterator[Path]:
    fixtures = (root / FIXTURES).resolve()
    for path in paths:
        if path.is_file():
            yield path
            continue
        for directory, subdirectories, files in os.walk(path):
            subdirectories[:] = sorted(
                name
                for name in subdirectories
                if name not in SKIPPED_DIRECTORIES
                and (Path(directory, name).resolve() != fixtures or path.resolve() == fixtures)
            )
            yield from (Path(directory, name) for name in sorted(files) if name.endswith(".py"))
