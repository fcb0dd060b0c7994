"""The warehouse tables inside the Django database (the embedded default).

The same tables as ClickHouse, prefixed `warehouse_`, created by versioned, idempotent migrations
recorded in `warehouse_schema_migrations`. Decimals are stored as BIGINT counts of 1e-4 so that
sums are exact on SQLite too. They are not Django models: `hazelnut` is plumbing, not an app.
"""

from __future__ import annotations

from collections.abc import Callable

from hazelnut.warehouse.dialect import Dialect
from hazelnut.warehouse.tables import CAMPAIGN_DAILY, EVENT_TABLES, WHATIF_INSTALLS, Table

MIGRATIONS_TABLE = "warehouse_schema_migrations"

_TYPES = {
    "postgresql": {
        "UInt8": "SMALLINT",
        "UInt32": "BIGINT",
        "UInt64": "BIGINT",
        "Int64": "BIGINT",
        "Float64": "DOUBLE PRECISION",
        "Decimal": "BIGINT",
        "String": "TEXT",
        "Date": "DATE",
        "DateTime": "TIMESTAMP",
    },
    "sqlite": {
        "UInt8": "INTEGER",
        "UInt32": "INTEGER",
        "UInt64": "INTEGER",
        "Int64": "INTEGER",
        "Float64": "REAL",
        "Decimal": "INTEGER",
        "String": "TEXT",
        "Date": "date",  # lower case: the name Django's SQLite converters look for
        "DateTime": "timestamp",
    },
}


def create_table(dialect: Dialect, table: Table) -> list[str]:
    types = _TYPES[dialect.name]
    name = dialect.table(table.name)
    columns = ",\n  ".join(f"{col.name} {types[col.type]} NOT NULL" for col in table.columns)
    index_columns = ", ".join(table.order_by)
    unique = "UNIQUE " if table.version_column else ""
    return [
        f"CREATE TABLE IF NOT EXISTS {name} (\n  {columns}\n)",
        f"CREATE {unique}INDEX IF NOT EXISTS {name}_order ON {name} ({index_columns})",
    ]


def _event_tables(dialect: Dialect) -> list[str]:
    statements: list[str] = []
    for table in EVENT_TABLES:
        statements += create_table(dialect, table)
    return statements


def _campaign_daily(dialect: Dialect) -> list[str]:
    return create_table(dialect, CAMPAIGN_DAILY)


def _whatif(dialect: Dialect) -> list[str]:
    return create_table(dialect, WHATIF_INSTALLS)


# Each migration is a function of the dialect returning idempotent statements; append only.
MIGRATIONS: list[tuple[int, Callable[[Dialect], list[str]]]] = [
    (1, _event_tables),
    (2, _campaign_daily),
    (3, _whatif),
]


def migrations_table_ddl() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(version INTEGER NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )
