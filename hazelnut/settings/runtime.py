"""The environment snapshot and run mode shared by every settings module."""

from __future__ import annotations

import os
from pathlib import Path

from hazelnut.config import Env

ENV = Env.from_os()
BASE_DIR = Path(__file__).resolve().parent.parent.parent

# production: every service must be configured; development: a missing URL means "embedded".
MODE = ENV.string("HAZELNUT_ENV", "development")
PRODUCTION = MODE == "production"
STATE_DIR = Path(ENV.string("HAZELNUT_STATE_DIR", str(BASE_DIR / ".hazelnut")))


def required_in_production(name: str) -> None:
    if PRODUCTION:
        ENV.string(name)


# Web and worker processes share one directory of Prometheus samples (read by /metrics). It
# must be set before prometheus_client is first imported, which is why it lives here.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(STATE_DIR / "metrics"))
Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
