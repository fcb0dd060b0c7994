"""The simulator against a private copy of the whole platform (the Procfile's web, worker and
relay processes on a loopback port): every install sent is stored, every request is answered
2xx, and the paid journeys end up paid."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from ingest.simulation.processes import ROOT, LocalPlatform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

INSTALLS = 24


@pytest.fixture
def platform(tmp_path: Path) -> Any:
    env = {"HAZELNUT_STATE_DIR": str(tmp_path / "state")}
    with LocalPlatform(env=env, log_dir=tmp_path / "logs") as running:
        yield running


def test_simulated_day_is_stored_whole_and_answered_2xx(platform: Any, tmp_path: Path) -> None:
    created = json.loads(
        platform.manage(
            "createproject",
            f"Simulator e2e {uuid.uuid4().hex[:8]}",
            "--platform",
            "ANDROID",
            "--platform",
            "IOS",
            "--with-signing-key",
        )
    )
    out = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable, "manage.py", "simulate", "--base-url", platform.base_url,
            f"--project-token={created['token']}", f"--server-key={created['server_api_key']}",
            f"--signing-key-id={created['signing_key_id']}",
            f"--signing-secret={created['signing_secret']}",
            "--installs", str(INSTALLS), "--rate", "8", "--pace", "0.2", "--seed", "7",
            "--drain-timeout", "120", "--quiet", "--json-file", str(out),
        ],
        cwd=ROOT, env=platform.environment(), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert out.exists(), done.stderr[-3000:]
    result = json.loads(out.read_text())

    assert result["installs_sent"] == INSTALLS
    assert result["installs_stored"] == INSTALLS
    assert result["installs_attributed"] == INSTALLS
    assert result["not_2xx"] == []
    assert result["paid_installs"] >= 1
    paid_kinds = {row["kind"]: row for row in result["match_by_kind"]}
    assert any(
        paid_kinds.get(k, {}).get("matched")
        for k in ("link_ip_match", "link_play_referrer", "meta_referrer", "apple_search_ads")
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Result: PASS" in done.stdout
