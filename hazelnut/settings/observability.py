"""Logging (structlog), Sentry and OpenTelemetry switches."""

from __future__ import annotations

from hazelnut import logging as hazelnut_logging
from hazelnut.settings.runtime import ENV, PRODUCTION

LOG_FORMAT = ENV.string("LOG_FORMAT", "json" if PRODUCTION else "console")
LOG_LEVEL = ENV.string("LOG_LEVEL", "INFO")
SENTRY_DSN = ENV.optional("SENTRY_DSN")

# structlog owns the handlers; Django's own dictConfig step is skipped.
LOGGING_CONFIG = None
hazelnut_logging.configure(LOG_FORMAT, LOG_LEVEL)
