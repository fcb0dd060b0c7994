"""Start-up in production mode refuses bad configuration with one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CLICKHOUSE_URL")


def _manage(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_production_without_a_service_url_names_it() -> None:
    result = _manage(
        {"HAZELNUT_ENV": "production", "SECRET_KEY": "s", "DATABASE_URL": "sqlite:///x"}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("configuration error: ")
    assert lines[0].endswith("is required but not set")
    assert any(name in lines[0] for name in (*SERVICE_VARIABLES, "HAZELNUT_ENCRYPTION_KEY"))


@pytest.mark.slow
def test_malformed_database_url_is_one_line() -> None:
    result = _manage({"DATABASE_URL": "postgres://u:p@db:notaport/hazelnut"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: DATABASE_URL is not a valid URL: "
        "Port could not be cast to integer value as 'notaport'"
    )
