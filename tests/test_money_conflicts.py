"""A money movement's own transactions under real lock contention (`tests.contention_helpers`), over HTTP.

Phase 1 (reserve) that lost to a concurrent transaction runs once more, then answers CONFLICT with
nothing reserved; phase 3 (settle) that cannot record the provider's answer leaves the row PENDING and
answers ALREADY_DONE, and reconciliation settles it from the provider's books: no answer is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from models.enums import TransactionKind, TransactionStatus
from resolvers.payments import payment_providers, reconciliation
from tests.conftest import GraphQLClient, Store
from tests.contention_helpers import FINISHES_WITHIN_SECONDS, Contender, Impatient, impatient_app, retries
from tests.storefront_helpers import (
    ORDER_QUERY,
    Cart,
    catalogue,
    checkout,
    filled_cart,
    gateway,
    providers_of,
    stock_of,
    transactions_of,
)

AUTHORIZE, PENDING, SUCCEEDED = TransactionKind.AUTHORIZE, TransactionStatus.PENDING, TransactionStatus.SUCCEEDED
SHIRT = "TSHIRT-BLK-M"
COMPLETE = """mutation($o: ID!, $s: String) {
  completeCheckout(orderId: $o, secret: $s) { order { id complete } userErrors { code message } } }"""


@pytest.fixture
async def impatient(demo_store: Store) -> AsyncIterator[Impatient]:
    async with impatient_app(demo_store) as app:
        yield app


async def _contended_checkout(
    api: GraphQLClient, store: Store, app: Impatient
) -> tuple[Cart, dict[str, Any], Contender]:
    """A started checkout of shirts (and a book), and a contender over it and the shirts' product row."""
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    return Cart(order["id"], cart.secret), order, Contender(store, app, record_id=order["id"], product_id=ids[SHIRT])


async def _complete(app: Impatient, order: Cart) -> dict[str, Any]:
    async with asyncio.timeout(FINISHES_WITHIN_SECONDS):
        data = await app.client.execute(COMPLETE, {"o": order.id, "s": order.secret})
    return data["completeCheckout"]


async def test_a_checkout_whose_reservation_lost_once_completes_and_authorizes_once(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    order, started, contender = await _contended_checkout(api, demo_store, impatient)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=True):
            completed = await _complete(impatient, order)

    assert (completed["userErrors"], completed["order"]) == ([], {"id": order.id, "complete": True})
    total = Decimal(started["total"]["withVat"])
    assert await transactions_of(demo_store, order.id) == [(AUTHORIZE, SUCCEEDED, total)]
    assert gateway(impatient.client).operations_performed == 1
    assert retries(caplog) == 1


async def test_a_checkout_whose_reservation_lost_twice_answers_conflict_with_nothing_reserved(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    order, _, contender = await _contended_checkout(api, demo_store, impatient)
    before = await api.execute(ORDER_QUERY, {"id": order.id, "s": order.secret})
    stock_before = await stock_of(demo_store, SHIRT)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=False):
            refused = await _complete(impatient, order)

    assert refused["order"] is None
    assert [error["code"] for error in refused["userErrors"]] == ["CONFLICT"]
    assert await api.execute(ORDER_QUERY, {"id": order.id, "s": order.secret}) == before
    assert await stock_of(demo_store, SHIRT) == stock_before
    assert await transactions_of(demo_store, order.id) == []
    assert gateway(impatient.client).operations_performed == 0
    assert retries(caplog) == 1


class AnswerHeldUp:
    """The real gateway, whose answer reaches the engine only once the contender holds the order."""

    name = "test"
    capabilities = payment_providers.EVERYTHING

    def __init__(self, gateway: payment_providers.TestProvider, contender: Contender) -> None:
        self.gateway, self.contender = gateway, contender
        self.holds = contextlib.AsyncExitStack()

    async def call(
        self, request: payment_providers.ProviderCall, *, now: datetime.datetime
    ) -> payment_providers.ProviderOutcome:
        answer = await self.gateway.call(request, now=now)
        await self.holds.enter_async_context(self.contender.holding_the_record())
        return answer

    async def lookup(self, reference: str) -> payment_providers.ProviderOutcome | None:
        return await self.gateway.lookup(reference)


async def test_an_answer_that_cannot_be_recorded_stays_pending_until_reconciliation_settles_it(
    api: GraphQLClient, impatient: Impatient, demo_store: Store
) -> None:
    order, started, contender = await _contended_checkout(api, demo_store, impatient)
    providers = providers_of(impatient.client)
    the_gateway = gateway(impatient.client)
    held_up = AnswerHeldUp(the_gateway, contender)
    providers._instances["test"] = held_up  # type: ignore[assignment]

    async with held_up.holds:
        pending = await _complete(impatient, order)

    total = Decimal(started["total"]["withVat"])
    assert pending["order"] is None
    [error] = pending["userErrors"]
    assert error["code"] == "ALREADY_DONE"
    assert "kept the answer from being recorded; reconciliation will settle it" in error["message"]
    assert await transactions_of(demo_store, order.id) == [(AUTHORIZE, PENDING, total)]

    now = datetime.datetime.now(datetime.UTC)
    await reconciliation.run(impatient.db.write_sessions, providers, older_than=datetime.timedelta(0), now=now)

    assert await transactions_of(demo_store, order.id) == [(AUTHORIZE, SUCCEEDED, total)]
    read = await api.execute(ORDER_QUERY, {"id": order.id, "s": order.secret})
    assert read["order"]["complete"] is True
    assert the_gateway.operations_performed == 1
