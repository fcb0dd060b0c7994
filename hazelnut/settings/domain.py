"""Knobs of the attribution engine, the event pipeline and the delivery machinery."""

from __future__ import annotations

from datetime import timedelta

from hazelnut.config import ConfigError
from hazelnut.settings.runtime import ENV


def _at_least_one(name: str, default: int) -> int:
    value = ENV.integer(name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


# Attribution
HAZELNUT_CLICK_STORE_TTL_DAYS = ENV.integer("HAZELNUT_CLICK_STORE_TTL_DAYS", 30)
HAZELNUT_APPLE_ADSERVICES_URL = ENV.string(
    "HAZELNUT_APPLE_ADSERVICES_URL", "https://api-adservices.apple.com/api/v1/"
)
HAZELNUT_APPLE_RETRY_SECONDS = ENV.integer("HAZELNUT_APPLE_RETRY_SECONDS", 5)
HAZELNUT_GOOGLE_ADS_ATTEMPTS = ENV.integer("HAZELNUT_GOOGLE_ADS_ATTEMPTS", 3)
# Per-network windows over the project's: {"META": {"click_lookback_hours": 168, ...}}.
HAZELNUT_NETWORK_WINDOWS: dict[str, dict[str, int]] = {}

# The attribution sweeper (attribution.sweeper): an install pending this long lost its task and
# is re-driven (at most once per this period); an attributed install whose fan-out is still
# unrecorded this long after attribution has it published again; each kind at most a batch a run.
HAZELNUT_SWEEP_PENDING_AFTER_SECONDS = _at_least_one("HAZELNUT_SWEEP_PENDING_AFTER_SECONDS", 300)
HAZELNUT_SWEEP_FANOUT_AFTER_SECONDS = _at_least_one("HAZELNUT_SWEEP_FANOUT_AFTER_SECONDS", 120)
HAZELNUT_SWEEP_BATCH_SIZE = _at_least_one("HAZELNUT_SWEEP_BATCH_SIZE", 500)

# Events parked for an install that has not finished attribution this many hours after they
# arrived are released unattributed by the parked-event sweep (attribution.events.orphans).
HAZELNUT_PARKED_EVENT_RELEASE_HOURS = _at_least_one("HAZELNUT_PARKED_EVENT_RELEASE_HOURS", 24)

# An install whose Play referrer names one of our clicks that is not stored yet (its task is still
# queued behind others) is retried for up to this many seconds after it arrived, then decided
# without it (from the referrer's utm values).
HAZELNUT_REFERRER_CLICK_WAIT_SECONDS = ENV.integer("HAZELNUT_REFERRER_CLICK_WAIT_SECONDS", 15)

# Ingest: a web request waits for the broker to confirm each publish (else: the outbox).
HAZELNUT_PUBLISH_CONFIRMED = ENV.boolean("HAZELNUT_PUBLISH_CONFIRMED", True)

# Postbacks
HAZELNUT_POSTBACK_TIMEOUT_SECONDS = ENV.integer("HAZELNUT_POSTBACK_TIMEOUT_SECONDS", 10)
HAZELNUT_POSTBACK_BATCHING = ENV.boolean("HAZELNUT_POSTBACK_BATCHING", True)
HAZELNUT_POSTBACK_RATE_PER_SECOND = ENV.integer("HAZELNUT_POSTBACK_RATE_PER_SECOND", 200)

# Periodic work (celery beat, the `beat` process of the Procfile).
CELERY_BEAT_SCHEDULE = {
    "postbacks-sweep": {"task": "postbacks.sweep", "schedule": timedelta(minutes=1)},
    "attribution-sweep": {"task": "attribution.sweep.run", "schedule": timedelta(minutes=1)},
    "events-adopt-parked": {
        "task": "attribution.events.adopt_parked",
        "schedule": timedelta(minutes=5),
    },
    "outbox-relay": {"task": "ingest.outbox.relay", "schedule": timedelta(seconds=30)},
    "queue-backlog": {"task": "hazelnut.backlog.sample", "schedule": timedelta(seconds=30)},
}

# The gRPC server (manage.py grpcserver): loopback unless told otherwise; off loopback it needs
# a token, which callers send as `authorization: Bearer <token>` metadata.
GRPC_ADDRESS = ENV.string("GRPC_ADDRESS", "127.0.0.1:" + ENV.string("GRPC_PORT", "50051"))
HAZELNUT_GRPC_TOKEN = ENV.string("HAZELNUT_GRPC_TOKEN", "")
