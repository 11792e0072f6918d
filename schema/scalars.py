"""Scalars as the contract has them: Decimal as an exact string, DateTime as ISO 8601 with a zone, JSON."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import strawberry

from models import money


def _serialize_decimal(value: decimal.Decimal) -> str:
    """One canonical string per value, whatever its scale in memory or in the store: "73.85", "2.00", "0.125"."""
    if value.is_zero():
        value = abs(value)
    places = max(2, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return format(value.quantize(decimal.Decimal(1).scaleb(-places)), "f")


def _parse_decimal(value: Any) -> decimal.Decimal:
    # Floats are refused: a JSON number with a fraction has already lost exactness.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('A Decimal is a string such as "12.50" (or an integer).')
    try:
        return money.parse_decimal(str(value))
    except ValueError as error:
        raise ValueError(f"{value!r} is not a valid Decimal.") from error


def _parse_datetime(value: Any) -> datetime.datetime:
    if not isinstance(value, str):
        raise ValueError("A DateTime is an ISO 8601 string.")
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("A DateTime needs a time zone, e.g. 2026-01-31T12:00:00Z.")
    return parsed.astimezone(datetime.UTC)


Decimal = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number, serialized as a string like "1249.50".',
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)

DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date and time with a time zone.",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
)

SCALAR_MAP: dict[object, Any] = {decimal.Decimal: Decimal, datetime.datetime: DateTime}
