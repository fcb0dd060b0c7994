"""Rows as bytes for the Kafka spool: a table name and its typed rows, in JSON.

Encoded from rows the writer already built (column order, typed), decoded back to the same
tuples on the sink side, so a row crosses the spool without changing value: datetimes as UTC
epoch seconds, dates as ISO days, decimals as strings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from hazelnut.warehouse.rows import Row, table_named


def _encode_value(type_: str, value: Any) -> Any:
    if type_ == "DateTime":
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(value.timestamp())
    if type_ == "Date":
        return value.isoformat()
    if type_ == "Decimal":
        return str(value)
    return value


def _decode_value(type_: str, value: Any) -> Any:
    if type_ == "DateTime":
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if type_ == "Date":
        return dt.date.fromisoformat(value)
    if type_ == "Decimal":
        return Decimal(value)
    return value


def encode(table: str, rows: Sequence[Row]) -> bytes:
    types = [col.type for col in table_named(table).columns]
    body = [[_encode_value(t, v) for t, v in zip(types, row, strict=True)] for row in rows]
    return json.dumps({"table": table, "rows": body}, separators=(",", ":")).encode()


def decode(payload: bytes) -> tuple[str, list[Row]]:
    message = json.loads(payload)
    table = message["table"]
    types = [col.type for col in table_named(table).columns]
    rows = [
        tuple(_decode_value(t, v) for t, v in zip(types, row, strict=True))
        for row in message["rows"]
    ]
    return table, rows
