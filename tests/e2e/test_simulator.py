"""The simulator against a private copy of the whole platform (the Procfile's web, worker and
relay processes on a loopback port): every install sent is stored, every request is answered
2xx, and the paid journeys end up paid; on the demo project, on their campaigns, with every
kind of event reaching the networks' local fakes."""

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
            "--installs", str(INSTALLS), "--rate", "8", "--pace", "1", "--seed", "7",
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


def test_demo_day_credits_campaigns_and_reaches_every_network_with_every_kind(
    platform: Any, tmp_path: Path
) -> None:
    """The demo project as `make demo` runs it: seed_demo's accounts and event maps, aimed at
    the simulator's fakes. Every paid install names its campaign, IP matches end on the link
    tapped (not on the landing page viewed before it), and every network hears of installs,
    signups, payments and the mapped custom event of the users it is credited with.

    Waits run at full pace: compressed much further under this load, clicks are recorded after
    the installs they lead to and the run fails, as it should."""
    out = tmp_path / "demo.json"
    done = subprocess.run(
        [
            sys.executable, "manage.py", "simulate", "--base-url", platform.base_url,
            "--installs", "80", "--rate", "4", "--pace", "1", "--seed", "11",
            "--drain-timeout", "120", "--quiet", "--json-file", str(out),
        ],
        cwd=ROOT, env=platform.environment(), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    assert out.exists(), done.stderr[-3000:]
    result = json.loads(out.read_text())

    assert result["installs_stored"] == result["installs_sent"] == 80
    assert result["paid_without_campaign"] == {}
    rows = {row["kind"]: row for row in result["match_by_kind"]}
    assert rows["link_ip_match"]["sent"] > 0
    assert rows["link_ip_match"]["rate"] >= 0.9
    assert rows["meta_referrer"]["matched"] == rows["meta_referrer"]["sent"] > 0
    assert result["postbacks_off_machine"] == []
    assert result["postbacks_missing"] == []
    made = result["postbacks_by_kind"]
    assert set(made) == {"google_ads", "meta", "snapchat", "tiktok"}
    delivered = {
        kind for kinds in made.values() for kind, states in kinds.items() if states.get("delivered")
    }
    assert delivered == {"install", "signup", "payment", "custom"}
    assert sorted(result["postbacks_expected"]["meta"]) == [
        "custom", "install", "payment", "signup",
    ]  # fmt: skip
    received = result["postbacks_received_by_fakes"]
    assert sum(received.values()) == sum(
        states.get("delivered", 0) for kinds in made.values() for states in kinds.values()
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Result: PASS" in done.stdout
