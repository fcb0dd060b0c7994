"""Turning the dicts callers write into rows a backend can insert.

Both backends accept the same input: a table name from `tables.py` and dicts keyed by its column
names. Unknown tables or columns are programming errors and raise at once, in the caller, rather
than at flush time when the caller is gone. Missing columns take the type's default, as ClickHouse
does, so that a writer can grow the schema without every caller changing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from hazelnut.warehouse.tables import TABLES, Table

# Naive UTC, as every DateTime travels to the backends.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)
DECIMAL_SCALE = 4
_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)

Row = tuple[Any, ...]


class WarehouseError(Exception):
    """The warehouse could not do what was asked."""


class UnknownTable(WarehouseError, ValueError):
    pass


class UnknownColumn(WarehouseError, ValueError):
    pass


class BadValue(WarehouseError, ValueError):
    """A value that cannot be stored in its column's type."""


def table_named(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise UnknownTable(f"no warehouse table {name!r}") from None


def to_naive_utc(value: dt.datetime | dt.date) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).replace(tzinfo=None)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def to_aware_utc(value: dt.datetime) -> dt.datetime:
    """What `select` hands back: aware UTC, as Django would."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def to_decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(_QUANTUM)


def _default(type_: str) -> Any:
    if type_ == "String":
        return ""
    if type_ == "Float64":
        return 0.0
    if type_ == "Decimal":
        return Decimal(0).quantize(_QUANTUM)
    if type_ == "Date":
        return EPOCH.date()
    if type_ == "DateTime":
        return EPOCH
    return 0


def _datetime(value: Any) -> dt.datetime:
    # Aware or naive (meaning UTC) datetimes travel as given; backends convert in bulk.
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return to_naive_utc(value)
    raise TypeError(f"expected a datetime, got {type(value).__name__}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


# The Python type a value already has when it needs no conversion.
_TYPES: dict[str, type] = {
    "String": str,
    "Float64": float,
    "Decimal": Decimal,
    "Date": dt.date,
    "DateTime": dt.datetime,
}

_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "String": str,
    "Float64": float,
    "Decimal": to_decimal,
    "Date": _date,
    "DateTime": _datetime,
}


class Shape:
    """One table's row builder, prepared once: names, defaults and converters in column order.

    The common case (each value present with its column's type, or omitted) is checked with a few
    C-level `map` calls per row and converts nothing; anything else goes column by column,
    converting what it can and naming the column it cannot.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.names = table.column_names
        self.known = frozenset(self.names)
        self.defaults = tuple(_default(col.type) for col in table.columns)
        self.converters = tuple(_CONVERTERS.get(col.type, int) for col in table.columns)
        self.types = tuple(_TYPES.get(col.type, int) for col in table.columns)
        self.decimals = any(col.type == "Decimal" for col in table.columns)

    def row(self, values: Mapping[str, Any]) -> Row:
        if not values.keys() <= self.known:
            unknown = sorted(set(values) - self.known)
            raise UnknownColumn(f"{self.table.name} has no column(s) {unknown}")
        row = tuple(map(values.get, self.names, self.defaults))
        # Decimals are always requantized, so that every stored amount has the same scale.
        if not self.decimals and all(map(isinstance, row, self.types)):
            return row
        return self._careful(values)

    def _careful(self, values: Mapping[str, Any]) -> Row:
        result = []
        for name, default, convert in zip(self.names, self.defaults, self.converters, strict=True):
            value = values.get(name)
            if value is None:
                result.append(default)
                continue
            try:
                result.append(convert(value))
            except (TypeError, ValueError, ArithmeticError) as error:
                raise BadValue(f"{self.table.name}.{name}: {error}") from None
        return tuple(result)


_SHAPES = {name: Shape(table) for name, table in TABLES.items()}


def shape_of(table: Table) -> Shape:
    return _SHAPES.get(table.name) or Shape(table)


def shape_named(name: str) -> Shape:
    try:
        return _SHAPES[name]
    except KeyError:
        raise UnknownTable(f"no warehouse table {name!r}") from None


def normalize(table: Table, rows: Iterable[Mapping[str, Any]]) -> list[Row]:
    """Rows as tuples in the table's column order, typed and with defaults filled in.

    DateTime values stay as given (aware, or naive meaning UTC): ClickHouse takes both, and the
    SQL backend converts a whole batch at insert time, off the writer's hot path.
    """
    build = shape_of(table).row
    return [build(row) for row in rows]
