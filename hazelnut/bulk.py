"""Set-at-a-time SQL for hot paths: one short statement per batch, whatever the batch's size.

On PostgreSQL a batch travels as one array per column (`= ANY(%s)`, `unnest(...)`), so the
statement's text is the same from batch to batch and psycopg parses it once. A statement with a
placeholder per value is parsed afresh each time, and for a few hundred rows that parse costs the
worker more CPU than the database spends running the statement. The arrays go beside the
statement (server-side binding) rather than spelled out inside it as Django's cursors do, which
spares quoting every value and lets psycopg prepare a statement it sees often. SQLite has no
arrays and gets the portable form, a placeholder per value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection
from django.db.models import Model

# A statement and its parameters.
Query = tuple[str, list[Any]]


def postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def cursor() -> Iterator[Any]:
    """A Django cursor (error wrapping, query logging) that binds parameters on the server."""
    if not postgres():
        with connection.cursor() as plain:
            yield plain
        return
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw: Any = psycopg.Cursor(connection.connection)
    connection.validate_thread_sharing()
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as wrapped:
        yield wrapped


def quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def one_of(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """A condition that `column` (already quoted) is one of `values`, and its parameters."""
    values = list(values)
    if postgres():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def unnest(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> Query:
    """PostgreSQL: `rows` (values in `fields` order) as a row source, one typed array a column."""
    by_name = _fields(model)
    arrays = ", ".join(f"%s::{by_name[name].cast_db_type(connection)}[]" for name in fields)
    return f"unnest({arrays})", [list(column) for column in zip(*rows, strict=True)]


def insert_sql(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> Query:
    """One INSERT of `rows` (values in `fields` order, adapted for the database), to execute."""
    meta = model._meta
    by_name = _fields(model)
    columns = ", ".join(quote(str(by_name[name].column)) for name in fields)
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
    if postgres():
        source, params = unnest(model, fields, rows)
        return sql + f"SELECT * FROM {source}", params
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql += "VALUES " + ", ".join([row_marks] * len(rows))
    return sql, [value for row in rows for value in row]


def insert(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (values in `fields` order, adapted for the database) in one statement."""
    if rows:
        with cursor() as bound:
            bound.execute(*insert_sql(model, fields, rows))


def _fields(model: type[Model]) -> dict[str, Any]:
    return {field.attname: field for field in model._meta.concrete_fields}
