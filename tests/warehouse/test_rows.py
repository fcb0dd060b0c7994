"""Row building: typing, defaults and refusals happen in the writer's caller, not at flush."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hazelnut.warehouse import UnknownColumn, UnknownTable
from hazelnut.warehouse.rows import BadValue, normalize, shape_named
from hazelnut.warehouse.tables import INSTALLS, USER_EVENTS


def test_rows_of_the_right_types_pass_unchanged_in_column_order() -> None:
    when = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)

    [row] = normalize(INSTALLS, [{"installed_at": when, "project_id": 3, "platform": "IOS"}])

    assert row[INSTALLS.column_names.index("project_id")] == 3
    assert row[INSTALLS.column_names.index("platform")] == "IOS"
    assert row[INSTALLS.column_names.index("installed_at")] is when
    assert row[INSTALLS.column_names.index("source")] == ""
    assert len(row) == len(INSTALLS.columns)


def test_values_of_other_types_are_converted() -> None:
    [row] = normalize(
        USER_EVENTS,
        [{"project_id": "12", "amount": 9.99, "occurred_at": dt.date(2026, 6, 2), "name": None}],
    )
    values = dict(zip(USER_EVENTS.column_names, row, strict=True))

    assert values["project_id"] == 12
    assert values["amount"] == Decimal("9.9900")
    assert values["occurred_at"] == dt.datetime(2026, 6, 2, tzinfo=dt.UTC).replace(tzinfo=None)
    assert values["name"] == ""


def test_decimals_always_get_four_places() -> None:
    [row] = normalize(USER_EVENTS, [{"amount": Decimal("1.5")}])

    assert str(row[USER_EVENTS.column_names.index("amount")]) == "1.5000"


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        ({"project_id": "twelve"}, BadValue, "installs.project_id"),
        ({"installed_at": "yesterday"}, BadValue, "installs.installed_at"),
        ({"colour": "red"}, UnknownColumn, "colour"),
    ],
)
def test_bad_rows_are_refused_with_the_column_named(
    values: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        normalize(INSTALLS, [values])


def test_unknown_tables_are_refused() -> None:
    with pytest.raises(UnknownTable, match="nope"):
        shape_named("nope")
