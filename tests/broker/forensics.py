"""What became of tasks that never ran: where their records are and what the group committed.

A broker test that comes up short calls `explain_missing` so its failure message says whether a
missing task was never stored, stored past the group's committed offset (not yet consumed), or
stored before it (committed without running), and what each worker's log says about its id.
"""

from __future__ import annotations

import json
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from hazelnut.broker import wire
from hazelnut.broker.naming import Names


def explain_missing(
    bootstrap: str, prefix: str, queue: str, out_dir: Path, total: int, logs: list[Path]
) -> str:
    missing = {n for n in range(total) if not (out_dir / str(n)).exists()}
    if not missing:
        return "no task is missing"
    names = Names(prefix)
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": names.group(queue),
            "enable.auto.commit": False,
        }
    )
    lines = [f"missing tasks: {sorted(missing)[:20]}"]
    topics = [names.queue(queue), names.retry(queue)]
    listed = reader.list_topics(timeout=10).topics
    topics.extend(sorted(t for t in listed if t.startswith(names.delay(0).rsplit("0s", 1)[0])))
    try:
        for topic in topics:
            lines.extend(_locate(reader, topic, missing, logs))
    finally:
        reader.close()
    for path in logs:
        text = path.read_text(errors="replace")
        lines.extend(
            f"{path.name}: {line}"
            for line in text.splitlines()
            if "exited with" in line or "WorkerLostError" in line or "retry:" in line
        )
    return "\n".join(lines)


def _locate(reader: Consumer, topic: str, missing: set[int], logs: list[Path]) -> list[str]:
    metadata = reader.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return [f"{topic}: no such topic"]
    partitions = [TopicPartition(topic, p) for p in metadata.partitions]
    committed = {tp.partition: tp.offset for tp in reader.committed(partitions, timeout=10)}
    lines = []
    for tp in partitions:
        low, high = reader.get_watermark_offsets(tp, timeout=10)
        reader.assign([TopicPartition(topic, tp.partition, low)])
        position = low
        while position < high:
            for record in reader.consume(500, 5):
                offset, value = record.offset(), record.value()
                if record.error() is not None or offset is None or value is None:
                    continue
                position = offset + 1
                number = json.loads(value)[0][0]
                if number in missing:
                    task_id = wire.decode(None, record.headers())["headers"].get("id")
                    seen = [path.name for path in logs if str(task_id) in path.read_text()]
                    lines.append(
                        f"task {number}: {topic}[{tp.partition}]@{offset}, group "
                        f"committed {committed[tp.partition]}, id {task_id} in logs {seen}"
                    )
    return lines


def stored(bootstrap: str, topic: str) -> int:
    """How many records `topic` holds across its partitions (high minus low watermark)."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "hz-forensics"})
    try:
        metadata = reader.list_topics(topic, timeout=10).topics[topic]
        marks = [
            reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            for p in metadata.partitions
        ]
    finally:
        reader.close()
    return sum(high - low for low, high in marks)
