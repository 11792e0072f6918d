"""Request limits and scalars on a small schema of their own: list arguments and Decimal inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from schema import scalars
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
