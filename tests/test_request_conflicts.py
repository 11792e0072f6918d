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

from tests.conftest import GraphQLClient, Store
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
