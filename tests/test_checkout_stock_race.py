"""Concurrent checkouts of different orders racing for the last units of one product, over HTTP (both stores).

A checkout takes its stock last in its first transaction (`engine.Plan.last`): the winners take exactly what
there was, every loser is OUT_OF_STOCK with its reservation, its revision and its stock flag as they were.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from models.catalog import Product
from models.enums import TransactionKind, TransactionStatus
from tests import storefront_helpers as shop
from tests.conftest import GraphQLClient, Store

CHECKOUTS = 6
IN_STOCK = 3


async def test_checkouts_racing_for_the_last_units_take_each_unit_once(api: GraphQLClient, demo_store: Store) -> None:
    ids = await shop.catalogue(api)
    carts = [await shop.filled_cart(api, ids, lines=(("TSHIRT-BLK-M", "1"),)) for _ in range(CHECKOUTS)]
    secrets = {(await shop.checkout(api, cart))["id"]: cart.secret for cart in carts}
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Product).where(Product.number == "TSHIRT-BLK-M").values(stock=IN_STOCK))
    revisions_before = {order_id: await _revision(api, order_id, secret) for order_id, secret in secrets.items()}

    async def complete(order_id: str) -> tuple[str, dict[str, Any]]:
        return order_id, await shop.mutate(api, shop.COMPLETE, {"o": order_id, "s": secrets[order_id]})

    payloads = dict(await asyncio.gather(*(complete(order_id) for order_id in secrets)))

    won = [order_id for order_id, payload in payloads.items() if payload["order"] is not None]
    refusals = {order_id: payload["userErrors"] for order_id, payload in payloads.items() if payload["order"] is None}
    assert len(won) == IN_STOCK
    assert [errors[0]["code"] for errors in refusals.values()] == ["OUT_OF_STOCK"] * (CHECKOUTS - IN_STOCK)
    assert await shop.stock_of(demo_store, "TSHIRT-BLK-M") == 0
    for order_id in won:
        assert [(kind, status) for kind, status, _ in await shop.transactions_of(demo_store, order_id)] == [
            (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED)
        ]
    for order_id in refusals:
        row = await shop.order_row(demo_store, order_id)
        assert (row.is_stock_taken, row.is_complete) == (False, False)
        assert await shop.transactions_of(demo_store, order_id) == []
        assert await _revision(api, order_id, secrets[order_id]) == revisions_before[order_id]


async def _revision(api: GraphQLClient, order_id: str, secret: str) -> int:
    data = await api.execute(
        "query($id: ID!, $s: String) { order(id: $id, secret: $s) { revision } }", {"id": order_id, "s": secret}
    )
    return int(data["order"]["revision"])
