"""A benchmark's own corner of the configured services, created for one run and removed after.

Scenarios that start whole processes against the services (S6) must not share what other runs
leave behind: a topic prefix shared with an earlier scenario hands the new workers that
scenario's backlog (S1 leaves thousands of `init` messages for one install, whose retries then
fill the worker for minutes), and a shared database grows between runs. `isolated_stack()`
yields the environment overrides for a fresh topic prefix (Kafka broker), a scratch PostgreSQL
database (DATABASE_URL) and a scratch ClickHouse database (CLICKHOUSE_URL), and deletes all
three at the end. With nothing configured it yields nothing: the embedded default is already
private to the run's state directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit, urlunsplit

SUFFIX = "_bench_s6"


@contextmanager
def isolated_stack(suffix: str = SUFFIX) -> Iterator[dict[str, str]]:
    env: dict[str, str] = {}
    broker = os.environ.get("CELERY_BROKER_URL", "")
    database = os.environ.get("DATABASE_URL", "")
    clickhouse = os.environ.get("CLICKHOUSE_URL", "")
    if broker.startswith("kafka://"):
        base = os.environ.get("HAZELNUT_TOPIC_PREFIX", "")
        env["HAZELNUT_TOPIC_PREFIX"] = f"{base}s6-{int(time.time())}-"
    if database.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = _renamed(database, suffix)
        _postgres(database, _name(env["DATABASE_URL"]), create=True)
    if clickhouse:
        env["CLICKHOUSE_URL"] = _renamed(clickhouse, suffix)
        _clickhouse(clickhouse, _name(env["CLICKHOUSE_URL"]))
    try:
        yield env
    finally:
        if "DATABASE_URL" in env:
            _postgres(database, _name(env["DATABASE_URL"]), create=False)
        if "CLICKHOUSE_URL" in env:
            _clickhouse(clickhouse, _name(env["CLICKHOUSE_URL"]))
        if "HAZELNUT_TOPIC_PREFIX" in env:
            _delete_topics(broker, env["HAZELNUT_TOPIC_PREFIX"])


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _renamed(url: str, suffix: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{_name(url)}{suffix}"))


def _postgres(url: str, scratch: str, *, create: bool) -> None:
    """Drop the scratch database (a crashed run's too), then create it afresh if asked."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        name = sql.Identifier(scratch)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def _clickhouse(url: str, scratch: str) -> None:
    """Drop the scratch database; the warehouse creates it again on first use."""
    from clickhouse_driver import Client

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/default"))
    client = Client.from_url(admin)
    try:
        client.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
    finally:
        client.disconnect()


def _delete_topics(broker: str, prefix: str) -> None:
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": broker.split("://", 1)[1].split("/", 1)[0]})
    topics = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if not topics:
        return
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        with suppress(KafkaException):
            future.result(timeout=60)
