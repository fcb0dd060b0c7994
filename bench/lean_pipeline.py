"""S6 (B): the lean prototype the full pipeline is measured against. A baseline, not product code.

A plain ASGI app takes browser clicks (stored straight into Redis) and the SDK's `init` body,
validated by msgspec into the shape the real endpoint accepts; an install is produced to Kafka and
answered only once the broker has confirmed it (a Redis list on the embedded default, whose
platform broker is Redis too). One consumer process takes installs in batches: one pipelined
Redis round trip finds their clicks (the click id a Play referrer carries back, else the IP), one
insert stores the batch through the platform's warehouse interface (ClickHouse or the SQL tables),
and aiohttp sends every install's postbacks to the fake partners before the batch is committed.
No Django request cycle, DRF, Celery, outbox, network lookups (Meta decryption, Apple's API),
reinstall or fraud rules: what it leaves out is what the comparison prices.

    python -m bench.lean_pipeline ingest --bind 127.0.0.1:8001 [--workers 2]
    python -m bench.lean_pipeline consume

Both read the platform's settings (broker, Redis, warehouse, topic prefix) from the environment;
LEAN_RUN names the run (keys, topic, group), LEAN_TOKEN/LEAN_SECRET the project's SDK token and
signing secret, LEAN_PROJECT_ID its warehouse id, LEAN_RECEIVER the partners' base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

import msgspec

CAMPAIGNS = {"lean-google": (1, "google_ads"), "lean-tiktok": (2, "tiktok"), "lean-mail": (3, "")}
NETWORKS = ("meta", "google_ads", "tiktok", "snapchat")  # A's simulator aims these four at fakes
CLICK_TTL_SECONDS = 7 * 86_400
IP_WINDOW_SECONDS = 86_400
STORE_LINK = "https://play.google.com/store/apps/details?id=demo"
BATCH = 500
POSTBACKS_IN_FLIGHT = 64  # the platform's delivery pool runs 64 threads
RUN = os.environ.get("LEAN_RUN", "lean")


def topic_name(prefix: str, run: str) -> str:
    return f"{prefix}{run}-installs"


TOPIC = topic_name(os.environ.get("HAZELNUT_TOPIC_PREFIX", ""), RUN)
Send = Callable[[dict[str, Any]], Awaitable[None]]


class DeviceData(msgspec.Struct):
    gaid: str | None = None
    idfa: str | None = None
    idfv: str | None = None
    install_ref: str | None = None
    adservices_attribution_token: str | None = None
    user_agent: str | None = None


class Init(msgspec.Struct):
    token: str
    install_instance_id: Annotated[str, msgspec.Meta(min_length=8, max_length=64)]
    platform: Literal["IOS", "ANDROID"]
    app_version: str
    package_version: str
    device_data: DeviceData
    source: str = "GENERAL"
    debug: bool = False


class Queued(msgspec.Struct, array_like=True):
    install_instance_id: str
    platform: str
    ip: str
    click_id: str
    received_at: float


class Click(msgspec.Struct, array_like=True):
    click_id: str
    campaign: str
    clicked_at: float


def settings() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hazelnut.settings")
    import django
    from django.conf import settings as configured

    django.setup()
    return configured


def kafka_servers(config: Any) -> str | None:
    url = str(config.CELERY_BROKER_URL)
    return url.split("://", 1)[1].split("/", 1)[0] if url.startswith("kafka://") else None


def ensure_topic(servers: str, topic: str, partitions: int = 6) -> None:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": servers})  # kept alive until the futures settle
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
    )
    for future in futures.values():
        try:
            future.result(timeout=30)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise


class ConfirmedProducer:
    """confluent-kafka behind an awaitable `put`: resolved by the broker's acknowledgement."""

    def __init__(self, servers: str) -> None:
        from confluent_kafka import Producer

        self._producer = Producer({"bootstrap.servers": servers, "acks": "all", "linger.ms": 2})
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            self._producer.poll(0.05)

    async def put(self, key: str, value: bytes) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def delivered(error: Any, _message: Any) -> None:
            outcome = RuntimeError(str(error)) if error else None
            loop.call_soon_threadsafe(_settle, done, outcome)

        self._producer.produce(TOPIC, value, key.encode(), on_delivery=delivered)
        await done


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if not done.done():
        done.set_exception(error) if error else done.set_result(None)


class Ingest:
    """The ASGI app: POST /api/client/init, GET /c/<campaign>, GET /healthz."""

    def __init__(self) -> None:
        self.token = os.environ.get("LEAN_TOKEN", "")
        self.secret = os.environ.get("LEAN_SECRET", "")
        self.redis: Any = None
        self.producer: ConfirmedProducer | None = None

    async def startup(self) -> None:
        import redis.asyncio

        config = settings()
        self.redis = redis.asyncio.Redis.from_url(config.REDIS_URL)
        servers = kafka_servers(config)
        self.producer = ConfirmedProducer(servers) if servers else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        ip = headers.get("x-forwarded-for") or scope["client"][0]
        path = scope["path"]
        if scope["method"] == "POST" and path == "/api/client/init":
            status, body, extra = await self.init(await _body(receive), headers, ip)
        elif scope["method"] == "GET" and path.startswith("/c/"):
            status, body, extra = await self.click(path[3:], ip)
        else:
            status, body, extra = (200 if path == "/healthz" else 404), _envelope("ok", 200), []
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), *extra]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def init(self, raw: bytes, headers: dict[str, str], ip: str) -> tuple[int, bytes, list]:
        try:
            init = msgspec.json.decode(raw, type=Init)
        except msgspec.ValidationError as error:
            return 400, _envelope(str(error), 400), []
        except msgspec.DecodeError:
            return 400, _envelope("body is not JSON", 400), []
        if not hmac.compare_digest(init.token, self.token) or not self._signed_ok(raw, headers):
            return 401, _envelope("unknown token or bad signature", 401), []
        referrer = parse_qs(init.device_data.install_ref or "")
        click_id = referrer.get("hz_click_id", [""])[0]
        queued = Queued(init.install_instance_id, init.platform, ip, click_id, time.time())
        value = msgspec.json.encode(queued)
        if self.producer is not None:
            await self.producer.put(init.install_instance_id, value)
        else:
            await self.redis.lpush(TOPIC, value)
        return 200, _envelope("ok", 200, {"install_instance_id": init.install_instance_id}), []

    def _signed_ok(self, raw: bytes, headers: dict[str, str]) -> bool:
        if "x-signature" not in headers:
            return True
        from ingest.signing import sign

        expected = sign(self.secret, headers.get("x-timestamp", ""), raw)
        return hmac.compare_digest(expected, headers["x-signature"])

    async def click(self, campaign: str, ip: str) -> tuple[int, bytes, list]:
        if campaign not in CAMPAIGNS:
            return 404, _envelope("no such campaign", 404), []
        click = Click(uuid.uuid4().hex, campaign, time.time())
        value = msgspec.json.encode(click)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{RUN}:click:{click.click_id}", value, ex=CLICK_TTL_SECONDS)
            pipe.set(f"{RUN}:ip:{ip}", value, ex=CLICK_TTL_SECONDS)
            await pipe.execute()
        store = f"{STORE_LINK}&referrer=hz_click_id%3D{click.click_id}"
        return 302, b"", [(b"location", store.encode())]


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _envelope(msg: str, status: int, data: Any = None) -> bytes:
    return msgspec.json.encode({"msg": msg, "status": status, "data": data})


app = Ingest()


def attribute(batch: list[Queued], lookups: list[bytes | None], project: int) -> list[dict]:
    """One warehouse row per install: the click found by id, else by IP within the window."""
    rows = []
    for install, raw in zip(batch, lookups, strict=True):
        click = msgspec.json.decode(raw, type=Click) if raw else None
        too_old = click and install.received_at - click.clicked_at > IP_WINDOW_SECONDS
        if too_old and not install.click_id:
            click = None
        campaign_id, network = CAMPAIGNS[click.campaign] if click else (0, "")
        digest = hashlib.blake2b(install.install_instance_id.encode(), digest_size=7).digest()
        rows.append({
            "project_id": project, "install_id": int.from_bytes(digest, "big"),
            "install_instance_id": install.install_instance_id, "platform": install.platform,
            "attribution_type": ("click_id" if install.click_id else "ip") if click else "organic",
            "source": "lean", "campaign_id": campaign_id,
            "campaign_display_id": click.campaign if click else "", "network": network,
            "is_reinstall": 0, "is_reengagement": 0,
            "installed_at": datetime.fromtimestamp(install.received_at, UTC),
            "attributed_at": datetime.now(UTC),
            "click_to_install_seconds": int(install.received_at - click.clicked_at) if click else 0,
        })  # fmt: skip
    return rows


async def consume() -> None:
    import aiohttp
    import redis

    from hazelnut.warehouse import open_warehouse

    config = settings()
    project, receiver = int(os.environ["LEAN_PROJECT_ID"]), os.environ["LEAN_RECEIVER"]
    store = redis.Redis.from_url(config.REDIS_URL)
    warehouse = open_warehouse(config.WAREHOUSE_URL, spool=False)
    take, commit = _source(config, store)

    def store_batch(batch: list[Queued]) -> list[dict[str, Any]]:
        pipe = store.pipeline(transaction=False)
        for install in batch:
            by_id = install.click_id
            pipe.get(f"{RUN}:click:{by_id}" if by_id else f"{RUN}:ip:{install.ip}")
        rows = attribute(batch, pipe.execute(), project)
        warehouse.write("installs", rows)
        warehouse.flush()
        return rows

    # One thread does the blocking work, so Django's database connection stays on one thread.
    blocking = ThreadPoolExecutor(1)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(POSTBACKS_IN_FLIGHT)
    async with aiohttp.ClientSession() as session:

        async def postback(network: str, row: dict[str, Any]) -> None:
            body = {"install_instance_id": row["install_instance_id"], "campaign": row["network"]}
            async with gate, session.post(f"{receiver}/pb/{network}", json=body) as answer:
                answer.raise_for_status()

        while True:
            raw = await loop.run_in_executor(blocking, take)
            if not raw:
                continue
            batch = [msgspec.json.decode(one, type=Queued) for one in raw]
            rows = await loop.run_in_executor(blocking, store_batch, batch)
            await asyncio.gather(*(postback(n, row) for row in rows for n in NETWORKS))
            await loop.run_in_executor(blocking, commit)


def _source(config: Any, store: Any) -> tuple[Callable[[], list[bytes]], Callable[[], None]]:
    """(take a batch, commit it): a Kafka consumer group, or the Redis list."""
    servers = kafka_servers(config)
    if servers is None:

        def pop() -> list[bytes]:
            batch = store.rpop(TOPIC, BATCH) or []
            if not batch:
                time.sleep(0.005)
            return list(batch)

        return pop, lambda: None
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"{TOPIC}-consumer",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})  # fmt: skip
    consumer.subscribe([TOPIC])

    def take() -> list[bytes]:
        return [m.value() or b"" for m in consumer.consume(BATCH, 0.05) if m.error() is None]

    def commit() -> None:
        consumer.commit(asynchronous=False)

    return take, commit


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lean_pipeline")
    parser.add_argument("role", choices=("ingest", "consume"))
    parser.add_argument("--bind", default="127.0.0.1:8001")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.role == "consume":
        asyncio.run(consume())
        return
    import uvicorn

    host, port = args.bind.rsplit(":", 1)
    uvicorn.run("bench.lean_pipeline:app", host=host, port=int(port), workers=args.workers,
                log_level="warning", access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
