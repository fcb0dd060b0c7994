"""Pure pieces of the transport: option parsing, the record layout and delay-tier routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hazelnut.broker import message_key, wire
from hazelnut.broker.delay import delayed_route, tier_for
from hazelnut.broker.naming import Names
from hazelnut.broker.options import Options
from hazelnut.broker.settings import CELERY_SETTINGS, transport_options


def test_options_take_per_queue_topics_and_ignore_kombu_keys() -> None:
    options = Options.parse(
        "h:9092",
        {
            "topics": {"attribution": {"partitions": 24, "retention_ms": 1000}},
            "default_partitions": "6",
            "delay_relay": "false",
            "visibility_timeout": 600,
        },
    )
    assert options.queue_spec("attribution").partitions == 24
    assert options.queue_spec("attribution").broker_config() == {"retention.ms": "1000"}
    assert options.queue_spec("clicks").partitions == 6
    assert options.retry_spec("attribution").partitions == 1
    assert options.delay_relay is False
    assert options.bootstrap_servers == "h:9092"


def test_options_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="fetch_batch"):
        Options.parse("h:9092", {"fetch_batch": 0})
    with pytest.raises(ValueError, match="delay_tiers_s"):
        Options.parse("h:9092", {"delay_tiers_s": [0]})


def test_recommended_settings_carry_the_delivery_guarantees() -> None:
    assert CELERY_SETTINGS["CELERY_TASK_ACKS_LATE"] is True
    assert CELERY_SETTINGS["CELERY_TASK_RETRY_ON_WORKER_LOST"] is True
    assert CELERY_SETTINGS["CELERY_WORKER_PREFETCH_MULTIPLIER"] <= 4
    options = transport_options({"clicks": {"partitions": 12, "retention_ms": 5}})
    parsed = Options.parse("h:9092", options)
    assert parsed.queue_spec("clicks").retention_ms == 5
    assert parsed.exchange_spec("celery.pidbox").retention_ms == 300_000
    assert parsed.exchange_spec("celeryev").retention_ms == 3_600_000


def test_record_layout_round_trips_a_kombu_message() -> None:
    message = {
        "body": b"[[1], {}, {}]",
        "content-type": "application/json",
        "content-encoding": "utf-8",
        "headers": {"id": "t-1", "task": "x.y", "eta": None},
        "properties": {
            "correlation_id": "t-1",
            "delivery_info": {"exchange": ""},
            "delivery_tag": "abc",
            "body_encoding": "base64",
            **message_key("install-9"),
        },
    }
    value, key, headers = wire.encode(message)
    assert value == b"[[1], {}, {}]"
    assert key == b"install-9"
    decoded = wire.decode(value, headers)
    assert decoded["headers"] == {"id": "t-1", "task": "x.y", "eta": None}
    assert decoded["properties"] == {"correlation_id": "t-1"}
    assert decoded["content-type"] == "application/json"


def test_header_helpers_replace_and_drop() -> None:
    headers = wire.with_headers([("kombu", b"{}"), ("hz-deliveries", b"1")], hz_deliveries="2")
    assert wire.header_int(headers, wire.DELIVERIES, 1) == 2
    assert wire.header(headers, "kombu") == b"{}"
    assert wire.without(headers, wire.DELIVERIES) == [("kombu", b"{}")]


def test_eta_parsing_accepts_aware_and_naive_iso_times() -> None:
    moment = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert wire.eta_seconds({"headers": {"eta": moment.isoformat()}}) == moment.timestamp()
    naive = moment.replace(tzinfo=None).isoformat()
    assert wire.eta_seconds({"headers": {"eta": naive}}) == moment.timestamp()
    assert wire.eta_seconds({"headers": {"eta": None}}) is None
    assert wire.eta_seconds({"headers": {"eta": "not a date"}}) is None


@pytest.mark.parametrize(
    ("remaining", "tier"), [(0.5, None), (1, 1), (3.9, 1), (4, 4), (100, 64), (10**6, 16384)]
)
def test_tier_is_the_longest_that_does_not_overshoot(remaining: float, tier: int | None) -> None:
    assert tier_for(remaining, (1, 4, 16, 64, 256, 1024, 4096, 16384)) == tier


def test_delayed_route_only_for_tasks_due_later_than_the_threshold() -> None:
    options = Options.parse("h:9092", {})
    names = Names("p.")
    now = datetime.now(UTC).timestamp()
    assert delayed_route(names, options, "p.work", now + 0.5, now) is None
    route = delayed_route(names, options, "p.work", now + timedelta(minutes=5).seconds, now)
    assert route is not None
    topic, extra = route
    assert topic == "p.delay.256s"
    assert wire.header(extra, wire.TARGET) == b"p.work"
    assert wire.header_int(extra, wire.DUE_MS, 0) == int((now + 300) * 1000)
