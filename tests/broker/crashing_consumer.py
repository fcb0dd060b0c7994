"""Consume a queue, acknowledge out of order, let a commit happen, then die by SIGKILL.

Run as `python -m tests.broker.crashing_consumer <bootstrap> <prefix> <count>`; prints the JSON
list of the numbers it acknowledged before killing itself, for the crash-and-restart test.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from kombu import Connection

from hazelnut import broker
from tests.broker.helpers import Received, drain_for, drain_until, start_consumer, work_queue


def main(bootstrap: str, prefix: str, count: int) -> None:
    broker.register()
    options = {"topic_prefix": prefix, "commit_interval_s": 0.2, "session_timeout_ms": 6000}
    connection = Connection(f"kafka://{bootstrap}", transport_options=options)
    received: Received = []
    start_consumer(connection, [work_queue("work")], received, prefetch=count)
    drain_until([connection], lambda: len(received) == count, timeout=60)

    # Out of order on purpose: every third message from the end backwards, then some others.
    order = list(range(count - 1, -1, -3)) + list(range(1, count, 7))
    acked: list[int] = []
    for index in order:
        body, message = received[index]
        if body["n"] not in acked:
            message.ack()
            acked.append(body["n"])
    drain_for([connection], 1.0)
    sys.stdout.write(json.dumps(acked) + "\n")
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
