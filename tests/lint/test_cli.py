"""`python -m lint.checks` as scripts/lint.sh runs it: exit status, report lines, summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lint.checks import check_paths

ROOT = Path(__file__).resolve().parents[2]


def run_checks(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lint.checks", *map(str, arguments)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_cli_fails_on_the_bad_fixtures_naming_rule_file_and_line(fixtures_root: Path) -> None:
    done = run_checks("--root", fixtures_root, fixtures_root)

    lines = done.stdout.splitlines()
    assert done.returncode == 1
    assert len(lines) == 38
    assert lines[0] == (
        "analytics/forwarding.py:12: HZ003 log message built with an f-string; "
        "log an event key with fields"
    )
    assert "ingest/views/sdk.py:12: HZ001 .delay() outside transaction.on_commit" in lines
    assert done.stderr == (
        "lint.checks: 38 violation(s): "
        "HZ001 6, HZ002 12, HZ003 6, HZ004 7, HZ005 2, HZ006 2, HZ008 3\n"
    )


def test_cli_passes_a_clean_tree_silently(tmp_path: Path) -> None:
    (tmp_path / "ingest").mkdir()
    (tmp_path / "ingest" / "views.py").write_text(
        "from django.db import transaction\n"
        "def view(request):\n"
        "    transaction.on_commit(lambda: task.delay(request.data['id']))\n"
        "    log.info('ingest.sdk.accepted', platform=request.data['platform'])\n"
    )

    done = run_checks("--root", tmp_path, tmp_path)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_cli_reports_a_file_it_cannot_parse(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n")

    done = run_checks("--root", tmp_path, tmp_path)

    assert done.returncode == 1
    assert done.stdout == "broken.py:1: HZ000 syntax error: invalid syntax\n"


def test_the_fixtures_are_skipped_when_checking_the_tests_folder() -> None:
    violations = check_paths([ROOT / "tests"], ROOT)

    assert [v for v in violations if v.path.startswith("tests/lint/fixtures/")] == []
