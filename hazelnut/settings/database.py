"""PostgreSQL through psycopg 3 with a connection pool, or SQLite in WAL mode when unset."""

from __future__ import annotations

from typing import Any

from hazelnut.config import ConfigError
from hazelnut.settings.runtime import ENV, STATE_DIR, required_in_production

required_in_production("DATABASE_URL")
_database_url = ENV.url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))


def _postgres(url: Any) -> dict[str, Any]:
    name = url.path.lstrip("/")
    if not name:
        raise ConfigError("DATABASE_URL names no database")
    options: dict[str, Any] = {}
    if ENV.boolean("DATABASE_POOL", True):
        options["pool"] = {
            "min_size": ENV.integer("DATABASE_POOL_MIN", 1),
            "max_size": ENV.integer("DATABASE_POOL_MAX", 10),
            "timeout": 10,
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": url.username or "",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "",
        "PORT": str(url.port or 5432),
        "OPTIONS": options,
        "TEST": {"NAME": ENV.string("DATABASE_TEST_NAME", f"test_{name}")},
    }


def _sqlite(path: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # WAL lets the web process read while a worker writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


if _database_url is None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": _sqlite(str(STATE_DIR / "hazelnut.sqlite3"))}
elif _database_url.scheme == "sqlite":
    DATABASES = {"default": _sqlite(_database_url.path)}
else:
    DATABASES = {"default": _postgres(_database_url)}
