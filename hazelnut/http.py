"""The one outbound HTTP client: every call to an ad network, Apple, Google or an analytics
platform goes through `HttpClient.send`, so timeouts, retries and circuit breaking behave the
same everywhere and every attempt is recorded for the caller's attempt log.

Retries happen only on transient failures: connection errors, timeouts, 5xx, 429 (honouring
Retry-After) and any extra statuses a caller names (Apple answers 404 while an attribution record
is not ready yet). Other 4xx answers are permanent and return at once. Retry timing comes from
tenacity. The circuit breaker is per destination host and in-process (each worker process keeps
its own), which is enough to stop a worker hammering a destination that is down; a breaker that
opens on one worker does not open on the others.

Usage::

    client = HttpClient()
    result = client.send("POST", url, json={"a": 1}, policy=RetryPolicy(attempts=3))
    if result.ok: ...
    elif result.transient: ...  # the caller may reschedule (e.g. a Celery retry)
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt

log = structlog.get_logger(__name__)

CIRCUIT_OPEN = "circuit_open"
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request.

    `extra_retry_statuses` lets a caller treat a normally permanent status as transient (Apple's
    404 "not yet"). `fixed_delay_seconds`, when set, replaces exponential backoff.
    """

    attempts: int = 3
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0
    fixed_delay_seconds: float | None = None
    extra_retry_statuses: frozenset[int] = frozenset()
    honor_retry_after: bool = True


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class Attempt:
    """One try on the wire (or refused by the open breaker): for the caller's attempt log."""

    status: int | None
    latency_ms: float
    error: str | None


@dataclass(frozen=True)
class HttpResult:
    """The outcome of `HttpClient.send` after all retries.

    `status` is None when no HTTP answer arrived (connection error, timeout, open breaker).
    `transient` is True when the failure could go away if tried later.
    """

    status: int | None
    body: bytes
    latency_ms: float
    error: str | None
    transient: bool
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        return jsonlib.loads(self.body)


@dataclass
class _BreakerState:
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False


class CircuitBreaker:
    """Per-host breaker: opens after `threshold` consecutive transient failures, lets one probe
    through after `cooldown_seconds`, closes again on the first success."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._states: dict[str, _BreakerState] = {}
        self._lock = threading.Lock()

    def allow(self, host: str) -> bool:
        with self._lock:
            state = self._states.setdefault(host, _BreakerState())
            if state.opened_at is None:
                return True
            if state.probing or self._clock() - state.opened_at < self.cooldown_seconds:
                return False
            state.probing = True
            return True

    def record(self, host: str, *, transient_failure: bool) -> None:
        with self._lock:
            state = self._states.setdefault(host, _BreakerState())
            state.probing = False
            if not transient_failure:
                state.failures = 0
                state.opened_at = None
                return
            state.failures += 1
            if state.failures >= self.threshold:
                if state.opened_at is None:
                    log.warning("http.circuit.opened", host=host, failures=state.failures)
                state.opened_at = self._clock()

    def is_open(self, host: str) -> bool:
        with self._lock:
            state = self._states.get(host)
            return state is not None and state.opened_at is not None


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """A requests session with default timeouts, transient-only retries and a breaker.

    One instance per process is the intent (`default_client()`); tests build their own with a
    no-op `sleep` so retries do not wait.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float = 10.0,
        connect_timeout_seconds: float = 3.0,
        breaker: CircuitBreaker | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "hazelnut/1",
        adapter: requests.adapters.BaseAdapter | None = None,
    ) -> None:
        self.timeout = (connect_timeout_seconds, timeout_seconds)
        self.breaker = breaker or CircuitBreaker()
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent
        if adapter is not None:  # a transport of the caller's (connections pinned to an address)
            self._session.mount("http://", adapter)
            self._session.mount("https://", adapter)

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | str | Mapping[str, str] | None = None,
        json: Any = None,
        policy: RetryPolicy = NO_RETRY,
    ) -> HttpResult:
        """Send one request, retrying transient failures as `policy` allows."""
        host = urlsplit(url).netloc
        attempts: list[Attempt] = []

        def one_try() -> HttpResult:
            result = self._attempt(method, url, host, params, headers, data, json, policy)
            attempts.append(Attempt(result.status, result.latency_ms, result.error))
            return result

        retrying = Retrying(
            stop=stop_after_attempt(max(1, policy.attempts)),
            retry=retry_if_result(lambda r: r.transient and r.error != CIRCUIT_OPEN),
            wait=lambda state: self._wait(policy, state),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            reraise=False,
        )
        result: HttpResult = retrying(one_try)
        return HttpResult(
            status=result.status,
            body=result.body,
            latency_ms=sum(a.latency_ms for a in attempts),
            error=result.error,
            transient=result.transient,
            headers=result.headers,
            attempts=tuple(attempts),
        )

    def _attempt(
        self,
        method: str,
        url: str,
        host: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        data: bytes | str | Mapping[str, str] | None,
        json: Any,
        policy: RetryPolicy,
    ) -> HttpResult:
        if not self.breaker.allow(host):
            return HttpResult(None, b"", 0.0, CIRCUIT_OPEN, transient=True)
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                headers=headers,
                data=data,
                json=json,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            self.breaker.record(host, transient_failure=True)
            latency = (time.perf_counter() - started) * 1000
            return HttpResult(None, b"", latency, type(exc).__name__, transient=True)
        except requests.RequestException as exc:
            # Malformed URL and the like: trying again cannot help.
            latency = (time.perf_counter() - started) * 1000
            return HttpResult(None, b"", latency, type(exc).__name__, transient=False)
        latency = (time.perf_counter() - started) * 1000
        status = response.status_code
        server_failure = status in _RETRYABLE_STATUSES
        transient = server_failure or status in policy.extra_retry_statuses
        self.breaker.record(host, transient_failure=server_failure)
        return HttpResult(
            status=status,
            body=response.content,
            latency_ms=latency,
            error=f"http_{status}" if status >= 400 else None,
            transient=transient,
            headers=response.headers,
        )

    @staticmethod
    def _wait(policy: RetryPolicy, state: RetryCallState) -> float:
        last = state.outcome.result() if state.outcome and not state.outcome.failed else None
        if policy.honor_retry_after and last is not None and last.status in (429, 503):
            hinted = _retry_after_seconds(last.headers.get("Retry-After"))
            if hinted is not None:
                return min(hinted, policy.max_delay_seconds)
        if policy.fixed_delay_seconds is not None:
            return policy.fixed_delay_seconds
        delay: float = policy.base_delay_seconds * (2 ** (state.attempt_number - 1))
        return min(delay, policy.max_delay_seconds)


_default: HttpClient | None = None
_default_lock = threading.Lock()


def default_client() -> HttpClient:
    """The process-wide client (one connection pool, one set of breakers)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = HttpClient()
        return _default
