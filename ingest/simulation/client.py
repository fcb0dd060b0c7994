"""The simulator's HTTP client: each simulated device talks from its own loopback address.

Attribution matches a browser click to an app install by client IP, so every device needs an
address of its own. Linux routes all of 127.0.0.0/8 to the loopback interface, so binding the
client socket to 127.a.b.c makes the server see a distinct REMOTE_ADDR per device without any
trusted-proxy setting. For a server that is not on loopback the address is sent in
X-Forwarded-For instead (it only counts if the server trusts one proxy hop).

Every exchange is recorded (path, status, latency) for the report. SDK calls are retried the
way the iOS SDK retries them (429, 5xx and network errors; 4 retries), browser clicks are not.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ingest.signing import sign

# The iOS SDK waits 2, 4, 8, 16 s; the simulator keeps the shape on a shorter clock.
SDK_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Exchange:
    """One attempt on the wire."""

    method: str
    route: str  # path without query, with the campaign id replaced (bounded for reports)
    status: int | None  # None: no HTTP answer
    latency_s: float
    error: str
    final: bool  # False when the client retried after it
    body: str = ""


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str]
    body: bytes
    sent_at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass(frozen=True)
class Signing:
    key_id: str
    secret: str


@dataclass
class Client:
    base_url: str
    server_key: str = ""
    signing: Signing | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._loopback = self._host in ("127.0.0.1", "localhost")

    # Routes -----------------------------------------------------------------------------

    def click(self, ip: str, path: str, user_agent: str) -> Answer:
        """A browser opening a campaign link: one GET, redirects not followed."""
        headers = {"User-Agent": user_agent, "Accept": "text/html"}
        return self._send("GET", path, None, headers, ip, route="/<display_id>", retries=())

    def sdk(
        self, ip: str, name: str, body: dict[str, Any], user_agent: str, *, signed: bool = False
    ) -> Answer:
        """A mobile SDK call, POST /api/client/<name>, retried like the iOS SDK retries."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers["User-Agent"] = user_agent
        if signed and self.signing is not None:
            stamp = str(int(time.time() * 1000))
            headers.update({
                "Authorization": "HMAC",
                "x-Key-Id": self.signing.key_id,
                "x-Timestamp": stamp,
                "x-Signature": sign(self.signing.secret, stamp, raw),
            })  # fmt: skip
        path = f"/api/client/{name}"
        return self._send("POST", path, raw, headers, ip, route=path, retries=SDK_RETRY_DELAYS)

    def server(self, ip: str, name: str, body: dict[str, Any]) -> Answer:
        """A customer's backend calling the server-to-server API."""
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "linkrunner-key": self.server_key}
        path = f"/api/v1/{name}"
        return self._send("POST", path, raw, headers, ip, route=path, retries=(1.0, 2.0))

    def web(self, ip: str, body: dict[str, Any], user_agent: str, origin: str = "") -> Answer:
        """The web collector's POST /web/ingest, sent once like the collector sends it."""
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "User-Agent": user_agent}
        if origin:
            headers["Origin"] = origin
        return self._send("POST", "/web/ingest", raw, headers, ip, route="/web/ingest", retries=())

    # Wire -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        raw: bytes | None,
        headers: dict[str, str],
        ip: str,
        *,
        route: str,
        retries: tuple[float, ...],
    ) -> Answer:
        first_sent = time.time()
        for attempt in range(len(retries) + 1):
            answer, error, latency = self._once(method, path, raw, headers, ip)
            retry = attempt < len(retries) and _retryable(answer.status)
            shown = "" if answer.ok else answer.body[:300].decode("utf-8", "replace")
            self._record(Exchange(method, route, answer.status, latency, error, not retry, shown))
            if not retry:
                answer.sent_at = first_sent
                return answer
            time.sleep(retries[attempt])
        raise AssertionError("unreachable")

    def _once(
        self, method: str, path: str, raw: bytes | None, headers: dict[str, str], ip: str
    ) -> tuple[Answer, str, float]:
        headers = dict(headers)
        if not self._loopback:
            headers["X-Forwarded-For"] = ip
        started = time.perf_counter()
        connection = self._connection(ip)
        try:
            connection.request(method, self._prefix + path, body=raw, headers=headers)
            response = connection.getresponse()
            body = response.read()
            answer = Answer(response.status, dict(response.getheaders()), body, time.time())
            return answer, "", time.perf_counter() - started
        except (OSError, http.client.HTTPException) as error:
            empty = Answer(None, {}, b"", time.time())
            return empty, f"{type(error).__name__}: {error}", time.perf_counter() - started
        finally:
            connection.close()

    def _connection(self, ip: str) -> http.client.HTTPConnection:
        source = (ip, 0) if self._loopback and ip.startswith("127.") else None
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=TIMEOUT_SECONDS, source_address=source)

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)


def _retryable(status: int | None) -> bool:
    return status is None or status == 429 or 500 <= status < 600
