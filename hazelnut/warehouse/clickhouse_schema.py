"""ClickHouse DDL: versioned, idempotent migrations recorded in our own `schema_migrations`.

The DDL is the subset ClickHouse 18.16 (Debian's package) and current releases both accept:
`MergeTree PARTITION BY toYYYYMM(...) ORDER BY (...)`, `DateTime('UTC')` so stored instants never
depend on the server's time zone, `Decimal(18, 4)`, and no DateTime64 or LowCardinality.
Every statement is `IF NOT EXISTS`, so a migration interrupted half-way can simply run again.
"""

from __future__ import annotations

from collections.abc import Callable

from hazelnut.warehouse.tables import CAMPAIGN_DAILY, EVENT_TABLES, WHATIF_INSTALLS, Table

MIGRATIONS_TABLE = "schema_migrations"

TYPES = {
    "UInt8": "UInt8",
    "UInt32": "UInt32",
    "UInt64": "UInt64",
    "Int64": "Int64",
    "Float64": "Float64",
    "Decimal": "Decimal(18, 4)",
    "String": "String",
    "Date": "Date",
    "DateTime": "DateTime('UTC')",
}


def create_table(table: Table) -> str:
    columns = ",\n  ".join(f"{col.name} {TYPES[col.type]}" for col in table.columns)
    time_type = next(col.type for col in table.columns if col.name == table.time_column)
    partition = f"toYYYYMM({table.time_column})" if time_type in ("Date", "DateTime") else "tuple()"
    engine = (
        f"ReplacingMergeTree({table.version_column})" if table.version_column else "MergeTree()"
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} (\n  {columns}\n) ENGINE = {engine} "
        f"PARTITION BY {partition} ORDER BY ({', '.join(table.order_by)})"
    )


def migrations_table_ddl() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(version UInt32, applied_at DateTime('UTC')) ENGINE = MergeTree() ORDER BY version"
    )


def _event_tables() -> list[str]:
    return [create_table(table) for table in EVENT_TABLES]


def _campaign_daily() -> list[str]:
    return [create_table(CAMPAIGN_DAILY)]


def _whatif() -> list[str]:
    return [create_table(WHATIF_INSTALLS)]


# Append only; a version, once released, never changes.
MIGRATIONS: list[tuple[int, Callable[[], list[str]]]] = [
    (1, _event_tables),
    (2, _campaign_daily),
    (3, _whatif),
]
