"""Cancelling an order whose return was received gives back only what the return did not restock."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Store
from tests.return_helpers import RECEIVE, act, created, line, placed_order
from tests.storefront_helpers import stock_of

CANCEL = "mutation($ids: [ID!]!) { cancel(orderIds: $ids) { ok results { userErrors { code message } } } }"


async def test_a_received_return_is_not_restocked_again_by_a_cancellation(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    before = await stock_of(demo_store, "TSHIRT-BLK-M")
    order = await placed_order(api, admin, capture=False)
    returned = await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1")])
    received = await act(admin, RECEIVE, returned["id"])
    assert received["userErrors"] == []

    cancelled = (await admin.execute(CANCEL, {"ids": [order.id]}))["cancel"]

    assert cancelled["ok"] is True, cancelled
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == before
