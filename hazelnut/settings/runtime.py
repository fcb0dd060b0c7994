"""The environment snapshot and run mode shared by every settings module."""

from __future__ import annotations

from pathlib import Path

from hazelnut.config import Env

ENV = Env.from_os()
BASE_DIR = Path(__file__).resolve().parent.parent.parent

# production: every service must be configured; development: a missing URL means "embedded".
MODE = ENV.str("HAZELNUT_ENV", "development")
PRODUCTION = MODE == "production"
STATE_DIR = Path(ENV.str("HAZELNUT_STATE_DIR", str(BASE_DIR / ".hazelnut")))


def required_in_production(name: str) -> None:
    if PRODUCTION:
        ENV.str(name)
