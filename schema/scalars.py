"""Scalars as the contract has them: Decimal as an exact string, DateTime as ISO 8601 with a zone, JSON described.

A malformed value is a GraphQLError, as graphql-core's own scalars raise: inline it fails validation
with its location, as a variable it fails the variable, and neither reaches a resolver.
"""

from __future__ import annotations

import datetime
import decimal
import functools
from typing import Any

import strawberry
from graphql import GraphQLError, IntValueNode, StringValueNode, ValueNode
from strawberry import scalars

from models import money

_DECIMAL_FORM = 'A Decimal is a string such as "12.50" (or an integer).'
_DATETIME_FORM = "A DateTime is an ISO 8601 string with a time zone, e.g. 2026-01-31T12:00:00Z."


def _serialize_decimal(value: decimal.Decimal) -> str:
    """One canonical string per value, whatever its scale in memory or in the store: "73.85", "2.00", "0.125"."""
    # A page serves the same few amounts many times; equal Decimals have one canonical string, so it is cached.
    return _canonical(value) if type(value) is decimal.Decimal else _canonical.__wrapped__(value)


@functools.lru_cache(maxsize=4096)
def _canonical(value: decimal.Decimal) -> str:
    if value.is_zero():
        value = abs(value)
    places = max(2, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return format(value.quantize(decimal.Decimal(1).scaleb(-places)), "f")


def _parse_decimal(value: Any, node: ValueNode | None = None) -> decimal.Decimal:
    # Floats are refused: a JSON number with a fraction has already lost exactness.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise GraphQLError(_DECIMAL_FORM, node)
    try:
        return money.parse_decimal(str(value))
    except ValueError as error:
        raise GraphQLError(f"{_shown(value)} is not a valid Decimal.", node) from error


def _parse_decimal_literal(node: ValueNode, _variables: Any = None) -> decimal.Decimal:
    # The literal's text, never int(): a 5,000-digit integer is refused as too long, not as a Python error.
    if isinstance(node, StringValueNode | IntValueNode):
        return _parse_decimal(node.value, node)
    raise GraphQLError(_DECIMAL_FORM, node)


def _parse_datetime(value: Any, node: ValueNode | None = None) -> datetime.datetime:
    if not isinstance(value, str):
        raise GraphQLError(_DATETIME_FORM, node)
    try:
        parsed = datetime.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise GraphQLError(f"{_shown(value)} needs a time zone, e.g. 2026-01-31T12:00:00Z.", node)
        return parsed.astimezone(datetime.UTC)
    except (ValueError, OverflowError) as error:  # OverflowError: a zone that moves it past year 1 or 9999
        raise GraphQLError(f"{_shown(value)} is not a valid DateTime. {_DATETIME_FORM}", node) from error


def _parse_datetime_literal(node: ValueNode, _variables: Any = None) -> datetime.datetime:
    if isinstance(node, StringValueNode):
        return _parse_datetime(node.value, node)
    raise GraphQLError(_DATETIME_FORM, node)


def _shown(value: object) -> str:
    """The value as the client sent it, cut short: a message never echoes a megabyte back."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


Decimal = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string: served with at least two decimals ("1249.50", "0.125"); '
    'accepted as a string ("12.5") or an integer, never a float. Money is a Decimal in the currency of what it '
    "prices, at that currency's minor unit.",
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
    parse_literal=_parse_decimal_literal,
)

DateTime = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date and time with a time zone, e.g. 2026-01-31T12:00:00+00:00. Served in UTC; "
    "accepted with any zone (Z or an offset), refused without one.",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
    parse_literal=_parse_datetime_literal,
)

JSON = strawberry.scalar(
    name="JSON",
    description="Any JSON value (ECMA-404): an object, array, string, number, boolean or null. Where it holds money "
    'or a decimal, that is a string such as "12.50".',
    specified_by_url="https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf",
    serialize=lambda value: value,
    parse_value=lambda value: value,
)

SCALAR_MAP: dict[object, Any] = {decimal.Decimal: Decimal, datetime.datetime: DateTime, scalars.JSON: JSON}
