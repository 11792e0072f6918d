"""A checkout whose provider answer was lost concludes when reconciliation settles its authorization."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal as D

import httpx
import pytest

from models.enums import TransactionKind, TransactionStatus
from resolvers.payments import payment_providers, reconciliation
from tests import late_answers
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import (
    COMPLETE,
    catalogue,
    checkout,
    filled_cart,
    mutate,
    order_row,
    stock_of,
    transactions_of,
)


class AnswerLostProvider:
    """Passes the call to the real gateway (or drops it), then never answers in time."""

    name = "test"
    capabilities = payment_providers.EVERYTHING

    def __init__(self, gateway: payment_providers.TestProvider, *, reaches_gateway: bool) -> None:
        self.gateway = gateway
        self.reaches_gateway = reaches_gateway
        self.bookings = late_answers.Bookings()

    async def call(self, request: payment_providers.ProviderCall, *, now: datetime.datetime) -> None:
        if self.reaches_gateway:
            await self.bookings.book(self.gateway.call(request, now=now))
        await asyncio.sleep(5)

    async def lookup(self, reference: str) -> payment_providers.ProviderOutcome | None:
        return await self.gateway.lookup(reference)


def _app_state(client: GraphQLClient) -> object:
    transport = client.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app.state  # type: ignore[attr-defined]


@pytest.mark.parametrize("reaches_gateway", [True, False], ids=["authorized-at-gateway", "never-reached"])
async def test_reconciliation_concludes_a_checkout_whose_answer_was_lost(
    api: GraphQLClient, demo_store: Store, reaches_gateway: bool
) -> None:
    state = _app_state(api)
    providers: payment_providers.Providers = state.providers  # type: ignore[attr-defined]
    gateway = providers.get("test")
    assert isinstance(gateway, payment_providers.TestProvider)
    state.settings.provider_timeout_seconds = 0.05  # type: ignore[attr-defined]
    providers._instances["test"] = AnswerLostProvider(gateway, reaches_gateway=reaches_gateway)  # type: ignore[assignment]
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    timed_out = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    assert [error["code"] for error in timed_out["userErrors"]] == ["ALREADY_DONE"]
    await providers.get("test").bookings.done()  # type: ignore[attr-defined]

    report = await reconciliation.run(
        demo_store.db.write_sessions,
        providers,
        older_than=datetime.timedelta(0),
        now=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1),
    )

    row = await order_row(demo_store, order["id"])
    if reaches_gateway:
        assert (report.succeeded, report.failed) == (1, 0)
        assert await transactions_of(demo_store, order["id"]) == [
            (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, D("73.85"))
        ]
        assert row.is_complete is True
        assert row.state_id is not None
        assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2
    else:
        assert (report.succeeded, report.failed) == (0, 1)
        assert await transactions_of(demo_store, order["id"]) == [
            (TransactionKind.AUTHORIZE, TransactionStatus.FAILED, D("73.85"))
        ]
        assert row.is_complete is False
        assert row.is_stock_taken is False
        assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before
