"""Open-loop HTTP load at a fixed arrival rate, for latency at a given share of capacity.

ApacheBench is closed-loop: a slow answer delays the next request, so its percentiles hide the
queueing a real arrival rate would cause. Here request i is due at start + i / rate whatever
happened before, over a pool of keep-alive connections, and its latency runs from its due time:
time spent waiting for a free connection counts. One asyncio loop in one process; its own CPU is
reported so a reader can tell when the generator, not the server, is the limit.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.common import percentile


@dataclass(frozen=True)
class Paced:
    rate: float
    sent: int
    achieved_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    client_cpu_ms_per_request: float


def run(
    port: int, path: str, body: bytes, rate: float, seconds: float, connections: int = 64
) -> Paced:
    return asyncio.run(_run(port, path, body, rate, seconds, connections))


async def _run(
    port: int, path: str, body: bytes, rate: float, seconds: float, connections: int
) -> Paced:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    statuses: list[int] = []
    loop = asyncio.get_running_loop()

    async def one(due: float) -> None:
        reader, writer = await idle.get()
        try:
            writer.write(request)
            statuses.append(await _response(reader))
        except (OSError, ValueError, asyncio.IncompleteReadError):
            # A dropped connection is an error answer; a fresh one takes its place in the pool.
            statuses.append(0)
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        latencies.append(loop.time() - due)
        idle.put_nowait((reader, writer))

    total = int(rate * seconds)
    cpu = time.process_time()
    start = loop.time()
    pending = set()
    for index in range(total):
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    elapsed = loop.time() - start
    cpu = time.process_time() - cpu
    while not idle.empty():
        idle.get_nowait()[1].close()
    return Paced(
        rate=rate,
        sent=total,
        achieved_per_s=round(total / elapsed, 1),
        p50_ms=_ms(percentile(latencies, 50)),
        p99_ms=_ms(percentile(latencies, 99)),
        max_ms=_ms(max(latencies, default=0.0)),
        non_2xx=sum(1 for status in statuses if not 200 <= status < 300),
        client_cpu_ms_per_request=round(cpu / max(total, 1) * 1000, 3),
    )


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if fields.get(b"transfer-encoding") == b"chunked":
        while size := int(await reader.readuntil(b"\r\n"), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif length := int(fields.get(b"content-length", b"0")):
        await reader.readexactly(length)
    return status


def _ms(seconds: float | None) -> float:
    return round((seconds or 0.0) * 1000, 2)
