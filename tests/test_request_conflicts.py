"""A root mutation field that loses to a concurrent transaction runs once more from a fresh session, then
answers CONFLICT with nothing of it kept; the fields before it stay as they were answered. Over HTTP, with
real lock contention (`tests.contention_helpers`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from models.enums import Role
from models.orders import Order
from tests import payment_factories
from tests.conftest import GraphQLClient, Store, make_token
from tests.contention_helpers import FINISHES_WITHIN_SECONDS, Contender, Impatient, impatient_app, retries
from tests.storefront_helpers import ORDER_QUERY, Cart, catalogue, filled_cart

ERRORS = "userErrors { code }"
CAP = "CAP-NAVY"
CART = f"cart {{ lines {{ productNumber quantity }} }} {ERRORS}"
ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ {CART} }} }}"""
CREATE_THEN_ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  createCart {{ secret cart {{ id }} {ERRORS} }}
  addToCart(cartId: $c, secret: $s, lines: $l) {{ {CART} }} }}"""


@pytest.fixture
async def impatient(demo_store: Store) -> AsyncIterator[Impatient]:
    async with impatient_app(demo_store) as app:
        yield app


async def _read(client: GraphQLClient, cart: Cart) -> dict[str, Any]:
    return (await client.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]


def _lines(order: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [(line["productNumber"], Decimal(line["quantity"])) for line in order["lines"]]


async def _contended_cart(api: GraphQLClient, store: Store, app: Impatient) -> tuple[Cart, dict[str, Any], Contender]:
    """A filled cart, its state, and a contender over it and the cap the request will add."""
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    contender = Contender(store, app, record_id=cart.id, product_id=ids[CAP])
    return cart, await _read(api, cart), contender


def _add_a_cap(cart: Cart, contender: Contender) -> dict[str, Any]:
    return {"c": cart.id, "s": cart.secret, "l": [{"productId": contender.product_id, "quantity": "1"}]}


async def test_a_field_that_lost_once_runs_again_and_answers_as_if_nothing_happened(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cart, before, contender = await _contended_cart(api, demo_store, impatient)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=True), asyncio.timeout(FINISHES_WITHIN_SECONDS):
            data = await impatient.client.execute(ADD, _add_a_cap(cart, contender))

    assert data["addToCart"]["userErrors"] == []
    with_the_cap = [*_lines(before), (CAP, Decimal(1))]
    assert _lines(data["addToCart"]["cart"]) == _lines(await _read(api, cart)) == with_the_cap
    assert retries(caplog) == 1


async def test_a_second_field_that_loses_twice_answers_conflict_and_the_first_is_kept(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cart, before, contender = await _contended_cart(api, demo_store, impatient)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=False, at_write=2), asyncio.timeout(FINISHES_WITHIN_SECONDS):
            data = await impatient.client.execute(CREATE_THEN_ADD, _add_a_cap(cart, contender))

    created, refused = data["createCart"], data["addToCart"]
    assert (created["userErrors"], refused) == ([], {"cart": None, "userErrors": [{"code": "CONFLICT"}]})
    kept = await _read(api, Cart(created["cart"]["id"], created["secret"]))
    assert (kept["id"], kept["kind"], kept["lines"]) == (created["cart"]["id"], "CART", [])
    assert await _read(api, cart) == before
    assert retries(caplog) == 1


RESULTS = "ok results { orderId order { id } userErrors { code } }"
BULK = {
    "markExported": f"mutation($ids: [ID!]!) {{ markExported(orderIds: $ids) {{ {RESULTS} }} }}",
    "importOrders": f"mutation($orders: [ImportOrderInput!]!) {{ importOrders(orders: $orders) {{ {RESULTS} }} }}",
}


def _sale(ids: dict[str, str], external_id: str) -> dict[str, Any]:
    lines = [{"productId": ids[CAP], "quantity": "1"}]
    return {"channel": "pos", "externalId": external_id, "createdAt": "2026-11-20T09:30:00+00:00", "lines": lines}


@pytest.mark.parametrize("field", ["markExported", "importOrders"])
async def test_a_bulk_field_that_loses_twice_answers_conflict_for_every_requested_record(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, field: str
) -> None:
    admin = impatient.client.as_role(await make_token(demo_store, Role.ADMIN))
    ids = await catalogue(api)
    order_id = await payment_factories.record(demo_store.db)
    contender = Contender(demo_store, impatient, record_id=order_id, product_id=ids[CAP])
    if field == "markExported":
        variables, requested = {"ids": [order_id, "ORDER999999"]}, [order_id, "ORDER999999"]
        holding = contender.holding_the_record()
    else:
        variables, requested = {"orders": [_sale(ids, "R-1"), _sale(ids, "R-2")]}, ["pos:R-1", "pos:R-2"]
        holding = contender.holding_the_product()
    before = await _store_rows(demo_store)

    async with holding, asyncio.timeout(FINISHES_WITHIN_SECONDS):
        data = await admin.execute(BULK[field], variables)

    conflict = {"order": None, "userErrors": [{"code": "CONFLICT"}]}
    assert data[field] == {"ok": False, "results": [{"orderId": label, **conflict} for label in requested]}
    assert await _store_rows(demo_store) == before


async def _store_rows(store: Store) -> tuple[int, int]:
    """How many orders there are, and how many of them are exported."""
    async with store.db.read_sessions() as session:
        orders = await session.scalar(sa.select(sa.func.count()).select_from(Order))
        exported = await session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.is_exported))
    return int(orders or 0), int(exported or 0)
