"""hazelnut.http against a real local socket: what is retried, what is not, and the breaker."""

from __future__ import annotations

from hazelnut.http import CIRCUIT_OPEN, CircuitBreaker, HttpClient, RetryPolicy
from tests.attribution.fakeserver import Canned, fake_server


def _client(sleeps: list[float], breaker: CircuitBreaker | None = None) -> HttpClient:
    return HttpClient(timeout_seconds=2, sleep=sleeps.append, breaker=breaker)


def test_success_returns_status_body_and_latency() -> None:
    with fake_server([Canned(200, {"ok": True})]) as server:
        result = _client([]).send("GET", server.url + "/x")
    assert result.ok
    assert result.status == 200
    assert result.json() == {"ok": True}
    assert result.error is None
    assert result.transient is False
    assert result.latency_ms > 0
    assert len(result.attempts) == 1


def test_5xx_is_retried_then_succeeds() -> None:
    sleeps: list[float] = []
    with fake_server([Canned(503), Canned(502), Canned(200, {"n": 3})]) as server:
        result = _client(sleeps).send("POST", server.url, json={}, policy=RetryPolicy(attempts=3))
        calls = len(server.received)
    assert calls == 3
    assert result.status == 200
    assert [a.status for a in result.attempts] == [503, 502, 200]
    assert sleeps == [0.5, 1.0]


def test_4xx_is_permanent_and_not_retried() -> None:
    with fake_server([Canned(400, {"error": "bad"})]) as server:
        result = _client([]).send("POST", server.url, policy=RetryPolicy(attempts=3))
        calls = len(server.received)
    assert calls == 1
    assert result.status == 400
    assert result.transient is False
    assert result.error == "http_400"


def test_429_honours_retry_after() -> None:
    sleeps: list[float] = []
    answers = [Canned(429, headers={"Retry-After": "7"}), Canned(200, {})]
    with fake_server(answers) as server:
        result = _client(sleeps).send("GET", server.url, policy=RetryPolicy(attempts=2))
    assert result.ok
    assert sleeps == [7.0]


def test_extra_retry_status_and_fixed_delay() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=3, fixed_delay_seconds=5, extra_retry_statuses=frozenset({404}))
    with fake_server([Canned(404), Canned(404), Canned(404)]) as server:
        result = _client(sleeps).send("POST", server.url, policy=policy)
    assert result.status == 404
    assert result.transient is True
    assert sleeps == [5, 5]
    assert len(result.attempts) == 3


def test_connection_error_is_transient() -> None:
    with fake_server([Canned(200)]) as server:
        url = server.url
    result = _client([]).send("GET", url, policy=RetryPolicy(attempts=2))
    assert result.status is None
    assert result.transient is True
    assert result.error == "ConnectionError"
    assert len(result.attempts) == 2


def test_breaker_opens_after_threshold_and_probes_after_cooldown() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_seconds=10, clock=lambda: now[0])
    client = _client([], breaker=breaker)
    with fake_server([Canned(500), Canned(500), Canned(200, {})]) as server:
        client.send("GET", server.url)
        client.send("GET", server.url)
        refused = client.send("GET", server.url)
        calls_while_open = len(server.received)
        now[0] = 11.0
        probe = client.send("GET", server.url)
    assert refused.error == CIRCUIT_OPEN
    assert refused.transient is True
    assert calls_while_open == 2
    assert probe.ok
    assert not breaker.is_open(server.url.removeprefix("http://"))


def test_retry_after_as_http_date_is_capped_by_the_policy() -> None:
    sleeps: list[float] = []
    answers = [Canned(503, headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"}), Canned(200)]
    with fake_server(answers) as server:
        result = _client(sleeps).send(
            "GET", server.url, policy=RetryPolicy(attempts=2, max_delay_seconds=12)
        )
    assert result.ok
    assert sleeps == [12]
