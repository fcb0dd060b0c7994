"""Celery workers, Flower and `celery inspect` on the real Kafka broker through our transport."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from tests.broker.celeryapp import TASK_RECORD, make_app
from tests.broker.forensics import explain_missing, stored
from tests.broker.processes import (
    APP,
    REPO,
    Spawned,
    count_done,
    environment,
    spawn,
    wait_count,
    worker,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    path = tmp_path / "done"
    path.mkdir()
    return path


@pytest.fixture
def spawned() -> Iterator[list[Spawned]]:
    processes: list[Spawned] = []
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


@pytest.fixture
def app(kafka_bootstrap: str, prefix: str, out_dir: Path) -> Iterator[Celery]:
    application = make_app(f"kafka://{kafka_bootstrap}", prefix, str(out_dir))
    yield application
    application.close()


def _send(app: Celery, numbers: range) -> None:
    with app.producer_or_acquire() as producer:
        for number in numbers:
            app.send_task(TASK_RECORD, args=(number,), producer=producer)
    from hazelnut.broker.publisher import _publishers, flush_all

    assert flush_all(30.0) == 0
    assert sum(publisher.failures for publisher in _publishers.values()) == 0


def _runs(out_dir: Path) -> Counter[str]:
    return Counter(line for path in out_dir.iterdir() for line in path.read_text().split())


def _wait_group_members(bootstrap: str, group: str, members: int, timeout: float = 60) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        assigned = [m for m in described.members if m.assignment.topic_partitions]
        if described.state == ConsumerGroupState.STABLE and len(assigned) == members:
            return
        time.sleep(0.3)
    raise AssertionError(f"group {group} never had {members} members with partitions")


def test_two_workers_on_a_12_partition_queue_both_consume(
    kafka_bootstrap: str,
    prefix: str,
    out_dir: Path,
    tmp_path: Path,
    app: Celery,
    spawned: list[Spawned],
) -> None:
    env = environment(kafka_bootstrap, prefix, out_dir)
    spawned.extend(worker(name, env, tmp_path) for name in ("w1", "w2"))
    for process in spawned:
        process.wait_for(" ready.")
    _wait_group_members(kafka_bootstrap, f"{prefix}work", members=2)

    _send(app, range(1200))
    wait_count(out_dir, 1200, 120, *spawned)

    runs = _runs(out_dir)
    assert count_done(out_dir) == 1200
    assert runs["w1"] > 100, runs
    assert runs["w2"] > 100, runs


@pytest.mark.slow
def test_kill_9_mid_run_every_task_still_runs(
    kafka_bootstrap: str,
    prefix: str,
    out_dir: Path,
    tmp_path: Path,
    app: Celery,
    spawned: list[Spawned],
) -> None:
    total = 10_000
    _send(app, range(total))
    assert stored(kafka_bootstrap, f"{prefix}work") == total
    env = environment(kafka_bootstrap, prefix, out_dir)
    doomed = worker("doomed", env, tmp_path, pool="prefork", concurrency=2)
    spawned.append(doomed)
    wait_count(out_dir, total // 4, 180, doomed)
    doomed.kill_hard()
    done_at_kill = count_done(out_dir)
    assert done_at_kill < total, "the kill must land mid-run"

    survivor = worker("survivor", env, tmp_path, pool="prefork", concurrency=2)
    spawned.append(survivor)
    try:
        wait_count(out_dir, total, 120, survivor)
    except AssertionError as short:
        logs = [doomed.log, survivor.log]
        raise AssertionError(
            f"{short}\n{explain_missing(kafka_bootstrap, prefix, 'work', out_dir, total, logs)}"
        ) from None

    runs = _runs(out_dir)
    assert count_done(out_dir) == total
    assert all((out_dir / str(n)).stat().st_size > 0 for n in range(total))
    assert runs["survivor"] >= total - done_at_kill
    # At-least-once: replays after the kill are allowed, bounded by what was uncommitted.
    assert sum(runs.values()) - total < total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _poll(fetch: Any, accept: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = fetch()
            if accept(last):
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what} not reached within {timeout}s; last answer: {last!r}"[:3000])


def test_flower_lists_workers_and_task_events_and_inspect_ping_answers(
    kafka_bootstrap: str,
    prefix: str,
    out_dir: Path,
    tmp_path: Path,
    app: Celery,
    spawned: list[Spawned],
) -> None:
    env = environment(kafka_bootstrap, prefix, out_dir, HZ_TEST_EVENTS="1")
    watched = worker("watched", env, tmp_path, events=True)
    spawned.append(watched)
    watched.wait_for(" ready.")

    ping = subprocess.run(
        [sys.executable, "-m", "celery", "-A", APP, "inspect", "ping", "-t", "10",
         "-d", f"watched@{socket.gethostname()}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert "watched@" in ping.stdout
    assert "pong" in ping.stdout

    port = _free_port()
    flower = spawn(
        "flower",
        [sys.executable, "-m", "celery", "-A", APP, "flower", "--address=127.0.0.1",
         f"--port={port}"],
        {**env, "FLOWER_UNAUTHENTICATED_API": "true"},
        tmp_path,
    )  # fmt: skip
    spawned.append(flower)
    base = f"http://127.0.0.1:{port}"
    workers = _poll(
        lambda: _get_json(f"{base}/api/workers?refresh=1"),
        lambda answer: any(name.startswith("watched@") for name in answer),
        60,
        "Flower listing the worker",
    )
    name = next(name for name in workers if name.startswith("watched@"))
    assert workers[name]["stats"]["pool"]["max-concurrency"] == 1
    assert any(queue["name"] == "work" for queue in workers[name]["active_queues"])

    _send(app, range(20))
    tasks = _poll(
        lambda: _get_json(f"{base}/api/tasks"),
        lambda answer: sum(1 for t in answer.values() if t["state"] == "SUCCESS") >= 20,
        60,
        "Flower showing 20 succeeded tasks",
    )
    succeeded = [t for t in tasks.values() if t["state"] == "SUCCESS"]
    assert {t["name"] for t in succeeded} == {TASK_RECORD}
    assert {t["worker"] for t in succeeded} == {name}
    assert count_done(out_dir) == 20
