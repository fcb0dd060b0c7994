"""Redis and the warehouse: the configured servers, or the embedded stand-ins when unset."""

from __future__ import annotations

from hazelnut import embedded
from hazelnut.settings.runtime import ENV, STATE_DIR, required_in_production

required_in_production("REDIS_URL")
required_in_production("CLICKHOUSE_URL")

_redis_url = ENV.url("REDIS_URL", ("redis", "rediss", "unix"))
if _redis_url is None:
    REDIS_EMBEDDED_SOCKET: str | None = str(embedded.redis_socket(STATE_DIR))
    REDIS_URL = f"unix://{REDIS_EMBEDDED_SOCKET}?db=0"
else:
    REDIS_EMBEDDED_SOCKET = None
    REDIS_URL = _redis_url.geturl()

# The warehouse: ClickHouse over the native protocol, or the SQL database itself.
_clickhouse_url = ENV.url("CLICKHOUSE_URL", ("clickhouse", "clickhouses"))
WAREHOUSE_URL = _clickhouse_url.geturl() if _clickhouse_url else "sql://default"
WAREHOUSE_FLUSH_ROWS = ENV.integer("WAREHOUSE_FLUSH_ROWS", 10_000)
WAREHOUSE_FLUSH_SECONDS = ENV.integer("WAREHOUSE_FLUSH_SECONDS", 1)
# With a Kafka broker and ClickHouse, tasks may hand their rows to a Kafka spool that
# `manage.py warehouse_sink` inserts in batches (one insert per second per table instead of one
# per task). Off by default: without a sink process the rows would wait in the topic.
WAREHOUSE_SPOOL = ENV.boolean("WAREHOUSE_SPOOL", False)
