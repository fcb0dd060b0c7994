"""Logging (structlog), Sentry and OpenTelemetry switches."""

from __future__ import annotations

from hazelnut.settings.runtime import ENV, PRODUCTION

LOG_FORMAT = ENV.str("LOG_FORMAT", "json" if PRODUCTION else "console")
LOG_LEVEL = ENV.str("LOG_LEVEL", "INFO")
SENTRY_DSN = ENV.optional("SENTRY_DSN")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
