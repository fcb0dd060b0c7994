"""Driving S6's lean prototype (bench/lean_pipeline.py) with the simulator's install traffic.

The journeys come from the same plan the simulator draws for the full pipeline (`ingest.simulation
.plan`, installs only): the same shares of organic, link-click, Play-referrer, Meta, Apple Search
Ads, reinstall and click-only journeys, the same devices and the same `init` bodies (device data,
referrers, AdServices tokens, signed iOS calls), each request on a new connection as the
simulator sends them, with no waits. The fake partners count the postbacks, and the run is timed
from the first `init` sent to the last install's first postback (the platform's run ends at the
last install attributed, before its postbacks, so the lean side is timed a little longer).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, TCPConnector, web

from bench.common import percentile, rate
from bench.lean_pipeline import CAMPAIGNS, NETWORKS, ensure_topic, topic_name
from ingest.signing import sign
from ingest.simulation import plan, referrers
from ingest.simulation.devices import Device, device_data
from ingest.simulation.processes import ROOT, LocalPlatform

PROJECT_ID = 990_001
CONCURRENCY = 32  # journeys in flight
STALL_SECONDS = 30.0
CpuOf = Callable[[set[int]], dict[int, float]]
_COUNT = (
    "import json, sys, django; django.setup()\n"
    "from django.conf import settings\n"
    "from hazelnut.warehouse import open_warehouse\n"
    "warehouse = open_warehouse(settings.WAREHOUSE_URL, spool=False)\n"
    "rows = warehouse.select('installs', int(sys.argv[1]))\n"
    "print(json.dumps([row['install_instance_id'] for row in rows]))\n"
)


class Receiver:
    """The partners' side: every postback is answered 200 and counted."""

    def __init__(self) -> None:
        self.received = 0
        self.first: dict[str, float] = {}
        self.url = ""
        self._ready = threading.Event()

    async def _handle(self, request: web.Request) -> web.Response:
        install = (await request.json())["install_instance_id"]
        self.first.setdefault(install, time.time())
        self.received += 1
        return web.json_response({"ok": True})

    def start(self) -> Receiver:
        threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True).start()
        self._ready.wait(30)
        return self

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/pb/{network}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await asyncio.Event().wait()


@dataclass
class Sent:
    init_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    not_2xx: int = 0
    clicks: int = 0


@dataclass
class Traffic:
    base_url: str
    token: str
    secret: str
    sent: Sent = field(default_factory=Sent)

    async def play_all(self, journeys: list[plan.Journey]) -> Sent:
        gate = asyncio.Semaphore(CONCURRENCY)
        connector = TCPConnector(force_close=True, limit=CONCURRENCY * 2)
        async with ClientSession(self.base_url, connector=connector) as session:

            async def one(journey: plan.Journey) -> None:
                async with gate:
                    await self.play(session, journey)

            await asyncio.gather(*(one(journey) for journey in journeys))
        return self.sent

    async def play(self, session: ClientSession, journey: plan.Journey) -> None:
        device, rng = journey.device, random.Random(journey.device.serial)
        referrer = None
        if journey.kind in (plan.LINK_IP_MATCH, plan.LINK_PLAY_REFERRER, plan.CLICK_ONLY):
            campaign = list(CAMPAIGNS)[journey.link_index % len(CAMPAIGNS)]
            headers = {"User-Agent": device.browser_agent, "X-Forwarded-For": device.ip}
            async with session.get(f"/c/{campaign}", headers=headers, allow_redirects=False) as got:
                referrer = referrers.play_referrer_from_location(got.headers.get("Location", ""))
            self.sent.clicks += 1
        if journey.kind == plan.CLICK_ONLY:
            return
        await self.init(session, device, _extras(journey, device, referrer, rng))
        if journey.kind == plan.REINSTALL:
            again = device.reinstalled(rng)
            await self.init(session, again, _extras(journey, again, None, rng))

    async def init(self, session: ClientSession, device: Device, extras: dict[str, Any]) -> None:
        body = {
            "token": self.token, "package_version": "4.0.1", "app_version": device.app_version,
            "device_data": device_data(device, "com.hazelnut.lean", **extras),
            "platform": device.platform, "source": "GENERAL",
            "install_instance_id": device.install_instance_id, "debug": False,
        }  # fmt: skip
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": device.app_agent,
                   "X-Forwarded-For": device.ip}  # fmt: skip
        if device.platform == "IOS":
            stamp = str(int(time.time() * 1000))
            headers.update({"x-Timestamp": stamp, "x-Signature": sign(self.secret, stamp, raw)})
        started = time.time()
        async with session.post("/api/client/init", data=raw, headers=headers) as answer:
            await answer.read()
            ok = 200 <= answer.status < 300
        self.sent.init_at[device.install_instance_id] = started
        self.sent.latencies.append(time.time() - started)
        self.sent.not_2xx += not ok


def _extras(
    journey: plan.Journey, device: Device, referrer: str | None, rng: random.Random
) -> dict[str, Any]:
    """What the first open carries, as the simulator's journeys send it."""
    if journey.kind == plan.LINK_PLAY_REFERRER and referrer:
        return {
            "install_ref": referrer,
            "install_ref_installBeginTimestampSeconds": int(time.time()),
        }
    if journey.kind == plan.META_REFERRER:
        facts = referrers.meta_facts("238500", "Meta - install referrer", device.serial)
        return {"install_ref": referrers.meta_referrer(referrers.new_meta_key(), facts)}
    if device.platform == "ANDROID":
        return {"install_ref": referrers.ORGANIC, "install_ref_installBeginTimestampSeconds": 0}
    return {"adservices_attribution_token": base64.b64encode(rng.randbytes(96)).decode()}


def send(base_url: str, token: str, secret: str, installs: int) -> Sent:
    rng = random.Random()
    journeys = plan.draw(rng, installs, int.from_bytes(os.urandom(3), "big"), activity=False)
    return asyncio.run(Traffic(base_url, token, secret).play_all(journeys))


def drain(receiver: Receiver, sent: Sent, timeout: float = 300.0) -> None:
    """Wait until every install sent has all its postbacks, or the traffic stops moving."""
    started = last_move = time.monotonic()
    seen = -1
    while receiver.received < len(receiver.first) * len(NETWORKS) or any(
        install not in receiver.first for install in sent.init_at
    ):
        now = time.monotonic()
        if receiver.received != seen:
            seen, last_move = receiver.received, now
        if now - last_move > STALL_SECONDS or now - started > timeout:
            return
        time.sleep(0.1)


def measure(env: dict[str, str], tmp: Path, seconds: float, cpu_of: CpuOf) -> dict[str, Any]:
    """Warm up to learn the rate, then a batch sized to last `seconds`; figures of the batch."""
    receiver = Receiver().start()
    run = f"lean{secrets.token_hex(4)}"
    lean_env = {**env, "LEAN_RUN": run, "LEAN_TOKEN": secrets.token_hex(16),
                "LEAN_SECRET": secrets.token_hex(16), "LEAN_PROJECT_ID": str(PROJECT_ID),
                "LEAN_RECEIVER": receiver.url}  # fmt: skip
    if not os.environ.get("DATABASE_URL"):
        lean_env["HAZELNUT_STATE_DIR"] = str(tmp / "lean-state")
    seen = {**os.environ, **lean_env}
    broker = seen.get("CELERY_BROKER_URL", "")
    if broker.startswith("kafka://"):
        servers = broker.split("://", 1)[1].split("/", 1)[0]
        ensure_topic(servers, topic_name(seen.get("HAZELNUT_TOPIC_PREFIX", ""), run))
    python = sys.executable
    commands = {
        "ingest": [python, "-m", "bench.lean_pipeline", "ingest", "--bind", "127.0.0.1:0"],
        "consume": [python, "-m", "bench.lean_pipeline", "consume"],
    }
    token, secret = lean_env["LEAN_TOKEN"], lean_env["LEAN_SECRET"]
    with LocalPlatform(lean_env, tmp / "lean-logs", commands=commands, migrate=False) as lean:
        warm = send(lean.base_url, token, secret, 200)
        drain(receiver, warm)
        sustained = _rate(receiver, warm) or 50.0
        names = {process.pid: name for name, process in lean.processes.items()}
        before, postbacks = cpu_of(set(names)), receiver.received
        sent = send(lean.base_url, token, secret, max(200, int(sustained * seconds)))
        drain(receiver, sent)
        after, postbacks = cpu_of(set(names)), receiver.received - postbacks
        stored = len(_stored(lean.environment()) & set(sent.init_at))
    cpu = {names[pid]: round(after[pid] - before[pid], 2) for pid in names}
    return _figures(receiver, sent, stored, postbacks, cpu)


def _rate(receiver: Receiver, sent: Sent) -> float | None:
    done = [receiver.first[i] for i in sent.init_at if i in receiver.first]
    if not done:
        return None
    return rate(len(done), max(done) - min(sent.init_at.values()))


def _stored(env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _COUNT, str(PROJECT_ID)], cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "hazelnut.settings", **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"counting the lean installs failed:\n{done.stderr[-2000:]}")
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _figures(
    receiver: Receiver, sent: Sent, stored: int, postbacks: int, cpu: dict[str, float]
) -> dict[str, Any]:
    installs = len(sent.init_at)
    e2e = [receiver.first[i] - t for i, t in sent.init_at.items() if i in receiver.first]
    return {
        "installs_sent": installs,
        "installs_lost": installs - stored,
        "postbacks_missing": installs * len(NETWORKS) - postbacks,
        "requests_not_2xx": sent.not_2xx,
        "installs_attributed_per_s": _rate(receiver, sent),
        "e2e_latency_p50_s": _seconds(percentile(e2e, 50)),
        "e2e_latency_p99_s": _seconds(percentile(e2e, 99)),
        "ingest_init_p50_ms": _ms(percentile(sent.latencies, 50)),
        "ingest_init_p99_ms": _ms(percentile(sent.latencies, 99)),
        "cpu_ms_per_install": round(sum(cpu.values()) * 1000 / installs, 2) if installs else None,
        "cpu_seconds_by_process": cpu,
    }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)
