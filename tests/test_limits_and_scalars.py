"""Request limits and scalars on a small schema of their own: list arguments and Decimal inputs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from schema import errors, scalars
from schema.limits import RequestLimits


@strawberry.type
class _Query:
    @strawberry.field
    def count(self, ids: list[strawberry.ID]) -> int:
        return len(ids)

    @strawberry.field
    def nested(self, input: list[list[int]]) -> int:
        return sum(len(inner) for inner in input)

    @strawberry.field
    def double(self, amount: Decimal) -> Decimal:
        return amount * 2

    @strawberry.field
    def later(self, at: datetime.datetime) -> datetime.datetime:
        return at + datetime.timedelta(hours=1)


SCHEMA = strawberry.Schema(
    query=_Query,
    extensions=[lambda: RequestLimits(max_page_size=250, max_list_length=1000)],
    config=StrawberryConfig(scalar_map=scalars.SCALAR_MAP),
)


async def test_a_list_argument_of_the_limit_runs() -> None:
    result = await SCHEMA.execute("query($ids: [ID!]!) { count(ids: $ids) }", variable_values={"ids": ["1"] * 1000})

    assert result.errors is None
    assert result.data == {"count": 1000}


async def test_a_longer_list_argument_is_refused_before_running() -> None:
    result = await SCHEMA.execute("query($ids: [ID!]!) { count(ids: $ids) }", variable_values={"ids": ["1"] * 1001})

    assert result.data is None
    assert [error.message for error in result.errors or []] == ["`ids` may hold at most 1000 items."]


async def test_nested_lists_count_too() -> None:
    result = await SCHEMA.execute("query($v: [[Int!]!]!) { nested(input: $v) }", variable_values={"v": [[1] * 1001]})

    assert result.data is None
    assert result.errors is not None


@pytest.mark.parametrize(("given", "expected"), [("12.50", "25.00"), ("-0.0001", "-0.0002"), (3, "6.00")])
async def test_decimals_are_exact_strings(given: object, expected: str) -> None:
    result = await SCHEMA.execute("query($a: Decimal!) { double(amount: $a) }", variable_values={"a": given})

    assert result.errors is None
    assert result.data == {"double": expected}


@pytest.mark.parametrize("given", ["abc", "NaN", "Infinity", "1e999", 1.5, True, ""])
async def test_malformed_decimals_are_refused(given: object) -> None:
    result = await SCHEMA.execute("query($a: Decimal!) { double(amount: $a) }", variable_values={"a": given})

    assert result.data is None
    assert result.errors is not None


@pytest.mark.parametrize(("literal", "expected"), [('"12.50"', "25.00"), ("3", "6.00"), ('"-0.0001"', "-0.0002")])
async def test_inline_decimals_are_exact_too(literal: str, expected: str) -> None:
    result = await SCHEMA.execute(f"{{ double(amount: {literal}) }}")

    assert result.errors is None
    assert result.data == {"double": expected}


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ('"1,5"', "'1,5' is not a valid Decimal."),
        ('"NaN"', "'NaN' is not a valid Decimal."),
        ('"1e400"', "'1e400' is not a valid Decimal."),
        ("1.5", 'A Decimal is a string such as "12.50" (or an integer).'),
        ("true", 'A Decimal is a string such as "12.50" (or an integer).'),
        ("[1]", 'A Decimal is a string such as "12.50" (or an integer).'),
    ],
)
async def test_malformed_inline_decimals_fail_validation_unmasked(literal: str, message: str) -> None:
    result = await SCHEMA.execute(f"{{ double(amount: {literal}) }}")

    assert result.data is None
    [error] = result.errors or []
    assert (error.message, error.locations is not None, errors.should_mask(error)) == (message, True, False)


async def test_an_inline_datetime_is_read_in_utc() -> None:
    result = await SCHEMA.execute('{ later(at: "2026-01-31T12:00:00+01:00") }')

    assert result.errors is None
    assert result.data == {"later": "2026-01-31T12:00:00+00:00"}


@pytest.mark.parametrize(
    "literal", ['"2026-01-31T12:00:00"', '"2026-01-31"', '"soon"', '"0001-01-01T00:00:00+01:00"', "20260131"]
)
async def test_malformed_inline_datetimes_fail_validation_unmasked(literal: str) -> None:
    result = await SCHEMA.execute(f"{{ later(at: {literal}) }}")

    assert result.data is None
    [error] = result.errors or []
    assert "DateTime" in error.message or "time zone" in error.message
    assert not errors.should_mask(error)
