"""Cancelling an order whose return was received gives back only what the return did not restock."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, Store
from tests.return_helpers import RECEIVE, REJECT, act, created, line, placed_order
from tests.storefront_helpers import stock_of

CANCEL = "mutation($ids: [ID!]!) { cancel(orderIds: $ids) { ok results { userErrors { code message } } } }"
# What a closed order may not change.
CLOSED_ORDER = """query($id: ID!) { order(id: $id) { revision modifiedAt cancelled state { id } total { withVat }
  capturedAmount lines { id quantity } transactions { kind status amount } } }"""
EVENTS = "query($id: ID!) { order(id: $id) { events { message } } }"


async def test_a_received_return_is_not_restocked_again_by_a_cancellation(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    before = await stock_of(demo_store, "TSHIRT-BLK-M")
    order, [returned] = await _uncaptured_with_returns(api, admin, 1)
    received = await act(admin, RECEIVE, returned["id"])
    assert received["userErrors"] == []

    cancelled = (await admin.execute(CANCEL, {"ids": [order.id]}))["cancel"]

    assert cancelled["ok"] is True, cancelled
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == before


async def test_a_return_of_a_cancelled_order_is_received_and_rejected_without_moving_the_order(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    before = await stock_of(demo_store, "TSHIRT-BLK-M")
    order, [first, second] = await _uncaptured_with_returns(api, admin, 2)
    assert (await admin.execute(CANCEL, {"ids": [order.id]}))["cancel"]["ok"] is True
    closed = (await admin.execute(CLOSED_ORDER, {"id": order.id}))["order"]
    events = (await admin.execute(EVENTS, {"id": order.id}))["order"]["events"]

    received = await act(admin, RECEIVE, first["id"])
    rejected = await act(admin, REJECT, second["id"])

    assert (received["userErrors"], received["return"]["status"]) == ([], "RECEIVED")
    assert (rejected["userErrors"], rejected["return"]["status"]) == ([], "REJECTED")
    # the closed order did not move (its history has the two events); the cancellation gave its stock back,
    # so nothing is restocked again
    assert (await admin.execute(CLOSED_ORDER, {"id": order.id}))["order"] == closed
    history = (await admin.execute(EVENTS, {"id": order.id}))["order"]["events"]
    assert len(history) == len(events) + 2
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == before


async def _uncaptured_with_returns(api: GraphQLClient, admin: GraphQLClient, count: int) -> tuple[Any, list[Any]]:
    """An order placed and not captured, with `count` returns of one T-shirt each."""
    order = await placed_order(api, admin, capture=False)
    returns = [await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1")]) for _ in range(count)]
    return order, returns
