"""Local fake receivers for every destination: real sockets on 127.0.0.1 that check the fields
each network documents as required and answer with that network's own error habits (TikTok's
200 with an error code, Braze's 201 with errors, CleverTap's partial success)."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    body: Any = None
    delay: float = 0.0

    def bytes(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Answer]


@dataclass
class Receiver:
    handler: Handler
    url: str = ""
    received: list[Request] = field(default_factory=list)
    # Answers given before the handler is consulted, in order (status faults, delays).
    script: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Request) -> Answer:
        with self.lock:
            self.received.append(request)
            scripted = self.script.pop(0) if self.script else None
        return scripted or self.handler(request)


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 drops connections under a burst; real receivers queue them.
    request_queue_size = 512


@contextmanager
def serve(
    handler: Handler,
    script: list[Answer] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    receiver = Receiver(handler, script=list(script or []))

    class _Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            request = Request(self.command, parts.path, query, dict(self.headers.items()), body)
            answer = receiver.answer(request)
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.bytes()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server((host, port), _Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def ok(_: Request) -> Answer:
    return Answer(200, {"ok": True})


def _graph_error(message: str, code: int = 100) -> Answer:
    return Answer(400, {"error": {"message": message, "type": "OAuthException", "code": code}})


def meta(request: Request) -> Answer:
    if not request.query.get("access_token"):
        return _graph_error("An access token is required", 190)
    if not re.fullmatch(r"/v\d+\.\d+/[^/]+/events", request.path):
        return _graph_error("Unknown path")
    events = request.json().get("data")
    if not isinstance(events, list) or not events:
        return _graph_error("data must be a non-empty list")
    now = time.time()
    for event in events:
        event = json.loads(event) if isinstance(event, str) else event
        if event.get("action_source") != "app" or not event.get("event_name"):
            return _graph_error("action_source app and event_name are required")
        event_time = event.get("event_time")
        if not isinstance(event_time, int) or event_time > now + 60:
            return _graph_error("event_time is in the future")
        if event_time < now - 7 * 86400:
            return _graph_error("event_time is older than 7 days")
        extinfo = event.get("app_data", {}).get("extinfo")
        if not isinstance(extinfo, list) or len(extinfo) != 16 or extinfo[0] not in ("a2", "i2"):
            return _graph_error("extinfo must have 16 values starting with a2 or i2")
        user = event.get("user_data", {})
        for key in ("em", "ph", "external_id"):
            for value in user.get(key, []):
                if not HEX64.match(value):
                    return _graph_error(f"{key} must be SHA-256 hex")
    return Answer(200, {"events_received": len(events), "messages": [], "fbtrace_id": "Afake"})


GOOGLE_REQUIRED = (
    "dev_token",
    "link_id",
    "app_event_type",
    "rdid",
    "id_type",
    "lat",
    "app_version",
    "os_version",
    "sdk_version",
    "timestamp",
)


# Android without an ad id: the privacy-compliant flow matches on the gclid, not a device id.
GOOGLE_DEVICE_ID = ("rdid", "id_type")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def google_ads(request: Request) -> Answer:
    query = request.query
    required: tuple[str, ...] = GOOGLE_REQUIRED
    if query.get("gclid_only_request") == "1":
        required = tuple(key for key in GOOGLE_REQUIRED if key not in GOOGLE_DEVICE_ID)
    missing = [key for key in required if not query.get(key)]
    if missing or request.path != "/pagead/conversion/app/1.0":
        return Answer(400, {"errors": [f"missing {missing}"]})
    if "rdid" in query and not UUID.fullmatch(query["rdid"]):
        return Answer(400, {"errors": ["rdid must be an RFC-4122 UUID"]})
    if query.get("id_type", "idfa") not in ("idfa", "advertisingid"):
        return Answer(400, {"errors": ["id_type must be idfa or advertisingid"]})
    if query["lat"] not in ("0", "1"):
        return Answer(400, {"errors": ["lat must be 0 or 1"]})
    if sum(1 for key in ("gclid", "gbraid", "wbraid") if key in query) > 1:
        return Answer(400, {"errors": ["GBRAID_WBRAID_BOTH_SET"]})
    if query["app_event_type"] == "custom" and not query.get("app_event_name"):
        return Answer(400, {"errors": ["app_event_name required for custom"]})
    if not re.fullmatch(r"\d+\.\d{6}", query["timestamp"]):
        return Answer(400, {"errors": ["timestamp must be seconds.micros"]})
    return Answer(200, {"ad_events": [], "errors": [], "attributed": False})


def tiktok(request: Request) -> Answer:
    if not request.headers.get("Access-Token"):
        return Answer(200, {"code": 40001, "message": "No permission", "request_id": "r"})
    body = request.json()
    if body.get("event_source") != "app" or not body.get("event_source_id"):
        return Answer(200, {"code": 40002, "message": "event_source_id is required"})
    for item in body.get("data", []):
        if not item.get("event") or not isinstance(item.get("event_time"), int):
            return Answer(200, {"code": 40002, "message": "event and event_time required"})
        if not item.get("app", {}).get("app_id"):
            return Answer(200, {"code": 40002, "message": "app.app_id is required"})
    return Answer(200, {"code": 0, "message": "OK", "request_id": "r", "data": {}})


def snapchat(request: Request) -> Answer:
    if not request.query.get("access_token"):
        return Answer(401, {"status": "UNAUTHORIZED"})
    for item in request.json().get("data", []):
        if item.get("action_source") != "MOBILE_APP" or not item.get("event_name"):
            return Answer(400, {"status": "INVALID", "reason": "action_source"})
        user = item.get("user_data", {})
        if not (
            user.get("madid") or (user.get("client_ip_address") and user.get("client_user_agent"))
        ):
            return Answer(400, {"status": "INVALID", "reason": "no matching key"})
        if len(item.get("app_data", {}).get("extinfo", [])) != 16:
            return Answer(400, {"status": "INVALID", "reason": "extinfo"})
    return Answer(200, {"status": "VALID"})
