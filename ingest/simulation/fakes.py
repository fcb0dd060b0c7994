"""Local stand-ins for the outside world the pipeline calls: Apple's AdServices attribution API
and the ad networks' conversion endpoints (Meta, Google Ads, TikTok, Snapchat) and webhooks.

One threaded HTTP server on a loopback port answers all of them. Apple tokens the simulator
registered as Search Ads installs get an `attribution: true` record for their campaign; any
other token is an install Apple knows nothing about (`attribution: false`). Every postback
received is counted per path, so the report can say what actually reached a network.

`answer` is the emulation itself; outside a run the development server's sink route
(`ingest.simulation.sink`) answers with it too, with no registrations and nothing counted.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from attribution.demo import APPLE_PATH, GOOGLE_CLAIMS_PATH, NETWORK_PREFIX


class OutsideWorld:
    """The fake server; `start()` binds a free loopback port, `stop()` shuts it down."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._apple: dict[str, dict[str, Any]] = {}
        self.apple_calls = 0
        self.received: Counter[str] = Counter()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://{self._host}:{port}"

    @property
    def apple_url(self) -> str:
        return self.base_url + APPLE_PATH

    @property
    def google_claims_url(self) -> str:
        return self.base_url + GOOGLE_CLAIMS_PATH

    def network_url(self, code: str) -> str:
        return f"{self.base_url}{NETWORK_PREFIX}{code.lower()}"

    def start(self) -> OutsideWorld:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def register_apple(self, token: str, campaign_id: str, ad_group_id: str) -> None:
        record = {
            "attribution": True,
            "orgId": 40669820,
            "campaignId": int(campaign_id),
            "adGroupId": int(ad_group_id),
            "keywordId": 12323222,
            "adId": 542370539,
            "conversionType": "Download",
            "claimType": "Click",
            "countryOrRegion": "US",
            "supplyPlacement": "APPSTORE_SEARCH_RESULTS",
        }
        with self._lock:
            self._apple[token] = record

    def apple_answer(self, token: str) -> dict[str, Any]:
        with self._lock:
            self.apple_calls += 1
            return self._apple.get(token, {"attribution": False})

    def record_postback(self, path: str) -> None:
        destination = path[len(NETWORK_PREFIX) :].split("/", 1)[0] or "unknown"
        with self._lock:
            self.received[destination] += 1


def answer(
    method: str, path: str, body: bytes, world: OutsideWorld | None = None
) -> tuple[int, dict[str, Any]]:
    """The status and JSON a network or Apple answers `method path` with; `world` (if any)
    holds the Apple tokens of a run and counts the postbacks."""
    if method == "POST" and path.startswith(APPLE_PATH):
        token = body.decode("utf-8", "replace").strip()
        return 200, world.apple_answer(token) if world else {"attribution": False}
    if method == "POST" and path.startswith(GOOGLE_CLAIMS_PATH):
        # Google never claims a simulated install: its referrer path is the one played.
        return 200, {"attributed": False, "ad_events": []}
    if method in ("GET", "POST") and path.startswith(NETWORK_PREFIX):
        if world is not None:
            world.record_postback(path)
        if method == "GET":  # Google Ads' conversion ping: the facts are in the query
            return 200, {"ad_events": []}
        return 200, {"events_received": 1, "code": 0, "status": "success"}
    return 404, {"error": "not found"}


def _handler_for(world: OutsideWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._reply(
                *answer("POST", self.path, self.rfile.read(length) if length else b"", world)
            )

        def do_GET(self) -> None:
            self._reply(*answer("GET", self.path, b"", world))

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the report counts requests; per-request lines would drown the progress bar

    return Handler
