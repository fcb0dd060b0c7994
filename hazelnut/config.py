"""Typed access to the environment, the only place settings read variables from.

Every value Hazelnut takes from the environment goes through `Env`, so a missing or malformed
variable is reported as one line naming the variable (`ConfigError`) instead of a traceback deep
inside Django or a client library.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit


class ConfigError(Exception):
    """A variable is missing or cannot be parsed; the message names it."""


@dataclass(frozen=True)
class Env:
    """Reads typed values from a mapping of environment variables."""

    values: Mapping[str, str]

    @classmethod
    def from_os(cls) -> Env:
        return cls(dict(os.environ))

    def is_set(self, name: str) -> bool:
        return bool(self.values.get(name, "").strip())

    def string(self, name: str, default: str | None = None) -> str:
        value = self.values.get(name, "").strip()
        if value:
            return value
        if default is None:
            raise ConfigError(f"{name} is required but not set")
        return default

    def optional(self, name: str) -> str | None:
        value = self.values.get(name, "").strip()
        return value or None

    def integer(self, name: str, default: int) -> int:
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.values.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def string_list(self, name: str, default: list[str]) -> list[str]:
        raw = self.values.get(name, "").strip()
        if not raw:
            return default
        return [item.strip() for item in raw.split(",") if item.strip()]

    def url(self, name: str, schemes: tuple[str, ...]) -> SplitResult | None:
        """An optional URL whose scheme must be one of `schemes`."""
        raw = self.optional(name)
        if raw is None:
            return None
        try:
            parsed = urlsplit(raw)
            parsed.port  # noqa: B018 - touching .port validates it
        except ValueError as error:
            raise ConfigError(f"{name} is not a valid URL: {error}") from None
        if parsed.scheme not in schemes:
            allowed = ", ".join(schemes)
            raise ConfigError(
                f"{name} must use one of the schemes {allowed}, got {parsed.scheme!r}"
            )
        if not parsed.hostname and not parsed.path:
            raise ConfigError(f"{name} names no host")
        return parsed


def settings_or_exit() -> None:
    """Load Django settings now; on a configuration error, exit with one line naming it.

    Entry points (web, workers, manage.py) call this so a bad deploy reads as a message, not a
    traceback from wherever settings happened to be touched first.
    """
    import sys

    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting loads them all
    except ConfigError as error:
        sys.stderr.write(f"configuration error: {error}\n")
        raise SystemExit(2) from None


def with_redis_db(url: str, db: int) -> str:
    """`url` naming Redis database `db`.

    redis-py lets a db in the URL win over a `db=` argument, so a separate database (for a test
    or a benchmark) has to be named in the URL itself, or its flush would hit the broker's db 0.
    """
    from urllib.parse import parse_qsl, urlencode, urlunsplit

    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"]
    if parts.scheme == "unix":  # urlunsplit would drop the empty host and its "//"
        return f"unix://{parts.path}?{urlencode([*query, ('db', str(db))])}"
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))
