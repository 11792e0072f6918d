"""32 concurrent clients on PostgreSQL, over HTTP: half fill carts with products that the other half's
checkouts take from stock. A checkout locks its products (in id order, FOR NO KEY UPDATE) while the cart
writes insert lines referring to them (their foreign-key checks take KEY SHARE, in line order, here the
reverse): no request may end in a deadlock, a CONFLICT or any other error, nor lose a race it then retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from models import database
from models.catalog import Product
from models.settings import Settings
from schema.app import create_app
from tests.conftest import GraphQLClient, Store
from tests.contention_helpers import retries
from tests.storefront_helpers import ADD, COMPLETE, CREATE_CART, Cart, catalogue, checkout, filled_cart

pytestmark = pytest.mark.parametrize("store", ["postgres"], indirect=True)

CLIENTS = 32
CHECKOUTS_PER_CLIENT = 3
CARTS_PER_CLIENT = 6
# Every cart and every checkout holds all of them.
SHARED = ("TSHIRT-BLK-M", "HOODIE-GRY-L", "JEANS-32-32", "CAP-NAVY", "SOCKS-3PK", "BAG-TOTE", "BOTTLE-750", "MUG-CER")
FINISHES_WITHIN_SECONDS = 300


@pytest.fixture
async def client(demo_store: Store) -> AsyncIterator[GraphQLClient]:
    """An anonymous client of an app with a connection for every client, over a store with stock to spare."""
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Product).values(stock=1_000_000))
    db = database.connect(Settings(pool_size=CLIENTS // 2), url=demo_store.url)
    app = create_app(Settings(database_url=demo_store.url), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        yield GraphQLClient(http)
    await db.dispose()


async def test_checkouts_never_deadlock_with_cart_writes_on_their_products(
    client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await catalogue(client)
    in_id_order = sorted((ids[number] for number in SHARED), key=int)
    checkouts = [await _started_checkout(client, ids, in_id_order) for _ in range(CLIENTS // 2 * CHECKOUTS_PER_CLIENT)]
    faults: list[Any] = []

    async def complete(mine: list[Cart]) -> None:
        for order in mine:
            await _run(client, COMPLETE, {"o": order.id, "s": order.secret}, faults)

    async def fill_carts() -> None:
        for _ in range(CARTS_PER_CLIENT):
            created = await _run(client, CREATE_CART, {"d": None}, faults)
            lines = [{"productId": product_id, "quantity": "1"} for product_id in reversed(in_id_order)]
            await _run(client, ADD, {"c": created["cart"]["id"], "s": created["secret"], "l": lines}, faults)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with asyncio.timeout(FINISHES_WITHIN_SECONDS):
            await asyncio.gather(
                *(complete(checkouts[index :: CLIENTS // 2]) for index in range(CLIENTS // 2)),
                *(fill_carts() for _ in range(CLIENTS // 2)),
            )

    assert faults == []
    # Not even one lost race, retried out of sight.
    assert retries(caplog) == 0
    completed = await asyncio.gather(*(_is_complete(client, order) for order in checkouts))
    assert completed == [True] * len(checkouts) == [True] * 48


async def _started_checkout(client: GraphQLClient, ids: dict[str, str], products: list[str]) -> Cart:
    cart = await filled_cart(client, ids, lines=tuple((_number(ids, product_id), "1") for product_id in products))
    order = await checkout(client, cart)
    return Cart(order["id"], cart.secret)


def _number(ids: dict[str, str], product_id: str) -> str:
    [number] = [number for number, known in ids.items() if known == product_id and number in SHARED]
    return number


async def _run(client: GraphQLClient, document: str, variables: dict[str, Any], faults: list[Any]) -> Any:
    """The payload of a one-mutation document; every top-level error or user error goes into `faults`."""
    body = (await client.post(document, variables)).json()
    if body.get("errors"):
        faults.append(body["errors"])
        return None
    [payload] = body["data"].values()
    if payload["userErrors"]:
        faults.append(payload["userErrors"])
    return payload


async def _is_complete(client: GraphQLClient, order: Cart) -> bool:
    data = await client.execute("query($id: ID!, $s: String) { order(id: $id, secret: $s) { complete } }",
                                {"id": order.id, "s": order.secret})  # fmt: skip
    return bool(data["order"]["complete"])
