"""Set-at-a-time SQL: the same rows and the same matches on PostgreSQL's arrays as on SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.utils import timezone

from attribution.models import Install, Project
from hazelnut import bulk
from postbacks import tasks
from postbacks.models import Attempt, Delivery


def test_insert_and_one_of_carry_nulls_unicode_and_times(
    project: Project, make_install: Callable[..., Install]
) -> None:
    project.webhook_url = "http://127.0.0.1:9/hook"
    project.save()
    for index in range(3):
        tasks.fan_out_install(make_install(instance=f"bulk-{index}").pk)
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    when = timezone.now().replace(microsecond=123456) - dt.timedelta(hours=1)
    created = connection.ops.adapt_datetimefield_value(when)
    fields = (
        *("delivery_id", "number", "response_status", "response_body", "latency_ms"),
        *("error", "transient", "created_at"),
    )
    rows = [
        (ids[0], 1, None, "", 10000, "Timeout", True, created),
        (ids[1], 1, 200, '{"ok":"sí ✓"}', 12, "", False, created),
        (ids[1], 2, 429, "x" * 5000, 0, "http_429", True, created),
    ]
    bulk.insert(Attempt, fields, [])  # nothing to write is no statement, not an error
    bulk.insert(Attempt, fields, rows)

    stored = Attempt.objects.order_by("delivery_id", "number")
    assert [tuple(getattr(a, name) for name in fields[:-1]) for a in stored] == [
        row[:-1] for row in rows
    ]
    assert {a.created_at for a in stored} == {when}

    condition, params = bulk.one_of(bulk.quote("delivery_id"), [ids[1], ids[2]])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT number FROM {bulk.quote(Attempt._meta.db_table)} WHERE {condition} "
            "ORDER BY number",
            params,
        )
        assert [number for (number,) in cursor.fetchall()] == [1, 2]
