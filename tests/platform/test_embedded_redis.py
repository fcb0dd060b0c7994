"""The embedded Redis: one daemon per state directory, stopped by whoever started it."""

from __future__ import annotations

import os
from pathlib import Path

import redis

from hazelnut import embedded


def test_a_state_directory_gets_one_server_that_its_starter_stops() -> None:
    # A short directory: unix socket paths are limited to about 100 bytes.
    state_dir = Path("/tmp") / f"hz-embedded-{os.getpid()}"
    try:
        socket = embedded.redis_socket(state_dir)
        client = redis.Redis(unix_socket_path=str(socket))
        client.set("kept", "1")
        assert embedded.redis_socket(state_dir) == socket  # reused, not a second server
        assert client.get("kept") == b"1"
        assert state_dir in embedded.started_here
        assert (state_dir / "redis.pid").read_text().strip().isdigit()  # what `make run` kills

        embedded.stop(state_dir)
        assert not embedded._answers(socket)
    finally:
        embedded.stop(state_dir)
        embedded.started_here.discard(state_dir)
