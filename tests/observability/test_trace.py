"""One install followed from its HTTP request to its webhook postback under one trace id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "observability" / "trace_run.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return output


@pytest.mark.e2e
@pytest.mark.slow
def test_request_attribution_and_postback_share_one_trace(run: dict[str, Any]) -> None:
    assert run["status"] == 200
    assert len(run["received"]) == 1, "the webhook receiver should get exactly one install"

    spans = {span["name"]: span["trace_id"] for span in run["spans"]}
    path = [
        "POST api/client/init",
        "run/attribution.installs.attribute",
        "run/postbacks.fanout.install",
        "run/postbacks.deliver",
        "POST",  # the outbound webhook request itself
    ]
    missing = [name for name in path if name not in spans]
    assert missing == []
    trace_ids = {spans[name] for name in path}
    assert len(trace_ids) == 1, spans

    # Every line our code logged (dotted event keys) during the flow carries that trace id.
    ours = [line for line in run["log_lines"] if " " not in (line["event"] or " ")]
    assert {line["event"] for line in ours} >= {
        "attribution.install.attributed",
        "postbacks.fanout.install",
    }
    assert {line["trace_id"] for line in ours} == trace_ids


@pytest.mark.e2e
@pytest.mark.slow
def test_metrics_show_the_run(run: dict[str, Any]) -> None:
    metrics = run["metrics"]
    # One install attributed, one webhook delivered, five tasks ran, rows reached the warehouse.
    assert metrics["hazelnut_attribution_outcomes"] == 1
    assert metrics["hazelnut_postback_deliveries"] == 1
    assert metrics["hazelnut_tasks"] >= 5
    assert metrics["hazelnut_warehouse_flush_rows"] > 0
    assert metrics["hazelnut_http_request_seconds"] > 0
    assert metrics["hazelnut_outbox_depth"] == 0
