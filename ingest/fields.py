"""A small hand validator for request bodies, and its OpenAPI description.

One `Schema` lists a route's fields once: `validate` checks a decoded body (cheap enough for the
hot path, and exact about Decimal amounts), `serializer` turns the same list into a DRF
serializer that exists only so drf-spectacular can document the route.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from rest_framework import serializers

from ingest.errors import bad_request

_MISSING = object()
# Serializer fields here are only ever handed to drf-spectacular.
DocField = serializers.Field[Any, Any, Any, Any]


@dataclass(frozen=True)
class Field:
    name: str
    required: bool = False
    nullable: bool = True
    help: str = ""

    def clean(self, value: Any) -> Any:
        return value

    def doc_field(self) -> DocField:
        return serializers.JSONField(**self._doc_options())

    def _doc_options(self) -> dict[str, Any]:
        return {"required": self.required, "allow_null": self.nullable, "help_text": self.help}

    def fail(self, code: str, msg: str) -> Exception:
        return bad_request(code, msg, self.name)


@dataclass(frozen=True)
class Text(Field):
    max_length: int = 200
    allow_blank: bool = True
    nfc: bool = False
    # SDKs that send ids as numbers (RN's event_id) get them back as strings.
    accept_number: bool = False
    pattern: str | None = None
    pattern_help: str = ""

    def clean(self, value: Any) -> Any:
        if self.accept_number and isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.fail("invalid_type", f"'{self.name}' must be a string.")
        if self.nfc:
            value = unicodedata.normalize("NFC", value)
        if not self.allow_blank and not value.strip():
            raise self.fail("blank_field", f"'{self.name}' may not be empty.")
        if len(value) > self.max_length:
            raise self.fail(
                "too_long", f"'{self.name}' is longer than {self.max_length} characters."
            )
        if self.pattern and value and not re.fullmatch(self.pattern, value):
            raise self.fail("invalid_format", f"'{self.name}' {self.pattern_help}.")
        return value

    def doc_field(self) -> DocField:
        return serializers.CharField(
            max_length=self.max_length, allow_blank=self.allow_blank, **self._doc_options()
        )


@dataclass(frozen=True)
class Choice(Text):
    choices: tuple[str, ...] = ()
    default: str | None = None

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value == "" and self.default is not None:
            return self.default
        if value not in self.choices:
            raise self.fail(
                "invalid_choice", f"'{self.name}' must be one of {', '.join(self.choices)}."
            )
        return value

    def doc_field(self) -> DocField:
        return serializers.ChoiceField(choices=list(self.choices), **self._doc_options())


@dataclass(frozen=True)
class Object(Field):
    def clean(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise self.fail("invalid_type", f"'{self.name}' must be a JSON object.")
        return value

    def doc_field(self) -> DocField:
        return serializers.DictField(**self._doc_options())


@dataclass(frozen=True)
class EventData(Object):
    """Free-form event facts, kept as sent; a numeric `amount` among them is summed by the
    reports, so it must fit a money column like a payment's (it may be negative: a refund)."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        amount = value.get("amount")
        if isinstance(amount, int | Decimal) and not isinstance(amount, bool):
            Amount(f"{self.name}.amount").clean(abs(amount))
        return value


@dataclass(frozen=True)
class TextList(Field):
    max_items: int = 10
    max_length: int = 200

    def clean(self, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > self.max_items:
            raise self.fail("invalid_type", f"'{self.name}' must be a list of strings.")
        items = [str(item) if isinstance(item, int) else item for item in value]
        if not all(isinstance(item, str) and len(item) <= self.max_length for item in items):
            raise self.fail("invalid_type", f"'{self.name}' must be a list of strings.")
        return items

    def doc_field(self) -> DocField:
        return serializers.ListField(child=serializers.CharField(), **self._doc_options())


@dataclass(frozen=True)
class Boolean(Field):
    def clean(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise self.fail("invalid_type", f"'{self.name}' must be true or false.")
        return value

    def doc_field(self) -> DocField:
        return serializers.BooleanField(**self._doc_options())


@dataclass(frozen=True)
class Number(Field):
    integer: bool = False
    minimum: Decimal | None = None

    def clean(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.fail("invalid_type", f"'{self.name}' must be a number.")
        if self.integer and not isinstance(value, int):
            raise self.fail("invalid_type", f"'{self.name}' must be an integer.")
        if self.minimum is not None and value < self.minimum:
            raise self.fail("out_of_range", f"'{self.name}' must be at least {self.minimum}.")
        return value

    def doc_field(self) -> DocField:
        if self.integer:
            return serializers.IntegerField(**self._doc_options())
        return serializers.FloatField(**self._doc_options())


@dataclass(frozen=True)
class Amount(Field):
    """A money amount: a JSON number or a decimal string, never negative, kept as Decimal."""

    max_digits: int = 18
    decimal_places: int = 4

    def clean(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise self.fail("invalid_amount", f"'{self.name}' must be a number.")
        try:
            amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise self.fail("invalid_amount", f"'{self.name}' must be a number.") from None
        if not amount.is_finite():
            raise self.fail("invalid_amount", f"'{self.name}' must be a finite number.")
        if amount < 0:
            raise self.fail("invalid_amount", f"'{self.name}' may not be negative.")
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.decimal_places:
            # Kept as sent when it fits the column; finer fractions of a cent are rounded.
            amount = amount.quantize(Decimal(1).scaleb(-self.decimal_places))
        if amount.adjusted() >= self.max_digits - self.decimal_places:
            raise self.fail("invalid_amount", f"'{self.name}' is too large.")
        if isinstance(exponent, int) and exponent > 0:
            amount = amount.quantize(Decimal(1))  # 1E+3 becomes 1000
        return amount

    def doc_field(self) -> DocField:
        return serializers.DecimalField(
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            coerce_to_string=False,
            **self._doc_options(),
        )


@dataclass(frozen=True)
class Currency(Field):
    """An ISO 4217 code, accepted in any case and stored upper-case."""

    default: str = "USD"

    def clean(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise self.fail("invalid_currency", f"'{self.name}' must be an ISO 4217 code.")
        code = value.strip().upper()
        if not code:
            return self.default
        if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
            raise self.fail("invalid_currency", f"'{value}' is not an ISO 4217 currency code.")
        return code

    def doc_field(self) -> DocField:
        return serializers.CharField(min_length=3, max_length=3, **self._doc_options())


@dataclass(frozen=True)
class Schema:
    name: str
    fields: tuple[Field, ...]
    defaults: dict[str, Any] = field(default_factory=dict)

    def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        """The known fields of `body`, checked and cleaned; absent optional ones are omitted."""
        cleaned: dict[str, Any] = dict(self.defaults)
        for spec in self.fields:
            value = body.get(spec.name, _MISSING)
            if value is _MISSING or value is None:
                if spec.required:
                    raise spec.fail("missing_field", f"'{spec.name}' is required.")
                if value is None and spec.nullable:
                    cleaned[spec.name] = None
                continue
            cleaned[spec.name] = spec.clean(value)
        return cleaned

    def serializer(self) -> type[serializers.Serializer[Any]]:
        attributes = {spec.name: spec.doc_field() for spec in self.fields}
        return type(self.name, (serializers.Serializer,), attributes)
