"""Log lines: personal data masked, worker heartbeats recorded for the liveness probe."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest
import structlog
from celery import signals
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from hazelnut import logging as hazelnut_logging
from hazelnut import worker


def test_personal_fields_and_emails_are_masked() -> None:
    event = {
        "event": "ingest.signup.received",
        "email": "ada@example.test",
        "gaid": "c01a0000-0000-4000-8000-000000000001",
        "note": "contact ada@example.test please",
        "project_id": 7,
    }
    masked = hazelnut_logging.redact_personal_data(None, "info", event)
    assert masked["email"] == "ada@…"
    assert masked["gaid"] == "c01a…"
    assert masked["note"] == "contact <email> please"
    assert masked["project_id"] == 7


def test_heartbeat_feeds_the_liveness_probe(settings: Settings, tmp_path: Path) -> None:
    settings.STATE_DIR = tmp_path
    with pytest.raises(CommandError, match=r"^no worker heartbeat recorded yet$"):
        call_command("worker_alive", "--max-age", "30")

    class Sender:
        hostname = "pipeline@test"

    signals.heartbeat_sent.send(sender=Sender())
    age = worker.newest_heartbeat_age()
    assert age is not None
    assert 0 <= age < 5
    assert (tmp_path / "heartbeats" / "pipeline@test").exists()
    call_command("worker_alive", "--max-age", "30")

    stale = time.time() - 120
    (tmp_path / "heartbeats" / "pipeline@test").write_text(str(stale))
    with pytest.raises(CommandError, match=r"^newest worker heartbeat is 12\d\.\ds old$"):
        call_command("worker_alive", "--max-age", "30")


def test_console_tracebacks_leave_out_the_frames_locals() -> None:
    saved_structlog = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers, root.level
    try:
        hazelnut_logging.configure("console", "INFO")
        formatter = root.handlers[0].formatter
        assert formatter is not None

        def fail(body: str) -> None:
            raise ValueError("bad payload")

        token = "-".join(("tok", "secret", "123"))  # only a local holds it, not a source line
        try:
            fail(f'{{"token": "{token}"}}')
        except ValueError:
            record = logging.LogRecord("t", logging.ERROR, __file__, 1, "x", None, sys.exc_info())
        text = formatter.format(record)
    finally:
        structlog.configure(**saved_structlog)
        root.handlers, root.level = saved_handlers, saved_level

    assert "ValueError: bad payload" in text
    assert "in fail" in text
    assert "tok-secret-123" not in text
