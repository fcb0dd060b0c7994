"""Server-side parameter binding for a round's statements on PostgreSQL.

Django's psycopg 3 backend binds parameters on the client by default: every value is escaped
into the statement text. A round writes a few KB of JSON per install (device data, decision
trace) and its statements have hundreds of parameters, so the escaping cost more than the
statements themselves. Inside `server_binding()` the connection's cursors send the values apart
from the SQL, as Django does when `server_side_binding` is set; the round's statements are
plain filters, inserts and updates, which bind the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def server_binding() -> Iterator[None]:
    """Cursors opened on the default connection while the block runs bind on the server."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql import base as postgresql

    connection.ensure_connection()
    raw: Any = connection.connection
    previous = raw.cursor_factory
    raw.cursor_factory = postgresql.ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = previous
