"""Run one install from its HTTP request to its webhook postback, in a process of its own.

Tracing and instrumentation are process-global, so the test runs this file as a subprocess:
a fresh embedded platform (SQLite, embedded Redis as broker) in a temporary state directory, a
Celery worker in a thread, a local webhook receiver. It prints one JSON object: the trace ids
of the spans, the trace ids on the log lines, and what the receiver got.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATE = tempfile.mkdtemp(prefix="hz-trace-")
for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CLICKHOUSE_URL"):
    os.environ.pop(name, None)
os.environ.update(
    HAZELNUT_STATE_DIR=STATE,
    DJANGO_SETTINGS_MODULE="hazelnut.settings",
    LOG_FORMAT="json",
    HAZELNUT_ALLOW_PRIVATE_DESTINATIONS="true",
    HAZELNUT_POSTBACK_BATCHING="false",
    PROMETHEUS_MULTIPROC_DIR=os.path.join(STATE, "metrics"),
)

received: list[dict[str, Any]] = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        received.append({"headers": dict(self.headers), "body": self.rfile.read(length).decode()})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        return


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from hazelnut import telemetry

    exporter = InMemorySpanExporter()
    telemetry.install_tracing(exporter)

    log_stream = io.StringIO()
    root = logging.getLogger()
    capture = logging.StreamHandler(log_stream)
    capture.setFormatter(root.handlers[0].formatter)
    root.addHandler(capture)

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    from attribution.models import Project

    project, _ = Project.new("Traced", webhook_url=f"http://127.0.0.1:{server.server_port}/hook")
    project.save()

    from celery.contrib.testing.worker import start_worker
    from django.test import Client

    from hazelnut.celery import app

    queues = "clicks,attribution,events,postbacks,analytics,maintenance"
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=queues.split(","), loglevel="INFO"
    ):
        response = Client().post(
            "/api/client/init",
            data=json.dumps(
                {
                    "token": project.token,
                    "package_version": "4.0.1",
                    "app_version": "1.0",
                    "platform": "IOS",
                    "source": "GENERAL",
                    "install_instance_id": "TraceInstall00000001",
                    "device_data": {"idfv": "c0ffee00-0000-4000-8000-000000000001"},
                }
            ),
            content_type="application/json",
            HTTP_USER_AGENT="Linkrunner-iOS/1.0 (iPhone15,2; iOS 17.4; Build/1)",
        )
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), provider  # installed by install_tracing
    provider.force_flush()
    spans = exporter.get_finished_spans()
    lines = [
        json.loads(line) for line in log_stream.getvalue().splitlines() if line.startswith("{")
    ]
    metrics = _scrape(Client())
    result = {
        "metrics": metrics,
        "status": response.status_code,
        "received": received,
        "spans": [
            {"name": span.name, "trace_id": format(span.context.trace_id, "032x")} for span in spans
        ],
        "log_lines": [
            {"event": line.get("event"), "trace_id": line.get("trace_id")} for line in lines
        ],
    }
    # The test reads this last stdout line; it is the script's output, not a debugging print.
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def _scrape(client: Any) -> dict[str, float]:
    """Each metric family's samples summed, as /metrics shows them after the run."""
    from prometheus_client.parser import text_string_to_metric_families

    client.get("/readyz")  # sets the outbox depth gauge
    text = client.get("/metrics").content.decode()
    return {
        family.name: sum(sample.value for sample in family.samples)
        for family in text_string_to_metric_families(text)
    }


if __name__ == "__main__":
    try:
        main()
    finally:
        from pathlib import Path

        from hazelnut import embedded

        embedded.stop(Path(STATE))
    sys.stdout.flush()
    os._exit(0)
