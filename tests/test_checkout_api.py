"""Checkout through HTTP: the downgrade of a changed checkout, retries, declines, timeouts and concurrency."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from models.enums import Role, TransactionKind, TransactionStatus
from resolvers.payments import payment_providers
from tests import test_quotes_api as quotes_api
from tests.conftest import GraphQLClient, Store, make_token
from tests.storefront_helpers import (
    ADD,
    COMPLETE,
    ORDER_QUERY,
    REMOVE_LINE,
    SET_DETAILS,
    UPDATE_LINE,
    Cart,
    catalogue,
    checkout,
    events_of,
    filled_cart,
    mutate,
    order_row,
    stock_of,
    succeed,
    succeeded_authorizations,
    transactions_of,
)

D = Decimal
AUTHORIZE, SUCCEEDED, FAILED, PENDING = (
    TransactionKind.AUTHORIZE,
    TransactionStatus.SUCCEEDED,
    TransactionStatus.FAILED,
    TransactionStatus.PENDING,
)

Change = Callable[[dict[str, str], dict[str, Any]], tuple[str, dict[str, Any]]]

DOWNGRADING: dict[str, Change] = {
    "add a line": lambda ids, order: (ADD, {"l": [{"productId": ids["MUG-CER"], "quantity": "1"}]}),
    "add to a line": lambda ids, order: (ADD, {"l": [{"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}]}),
    "remove a line": lambda ids, order: (REMOVE_LINE, {"line": order["lines"][1]["id"]}),
    "change a quantity": lambda ids, order: (UPDATE_LINE, {"line": order["lines"][0]["id"], "q": "3"}),
    "payment country": lambda ids, order: (SET_DETAILS, {"d": {"customer": {"country": "Sweden"}}}),
    "payment country code": lambda ids, order: (SET_DETAILS, {"d": {"customer": {"countryCode": "SE"}}}),
    "delivery country": lambda ids, order: (SET_DETAILS, {"d": {"delivery": {"countryCode": "SE"}}}),
    "payment method": lambda ids, order: (SET_DETAILS, {"d": {"paymentMethodId": ids["Invoice"]}}),
    "shipping method": lambda ids, order: (SET_DETAILS, {"d": {"shippingMethodId": ids["Parcel"]}}),
    "voucher": lambda ids, order: (SET_DETAILS, {"d": {"voucherCode": "WINTER"}}),
    "customer region": lambda ids, order: (SET_DETAILS, {"d": {"customer": {"region": "Skåne"}}}),
    "delivery region": lambda ids, order: (SET_DETAILS, {"d": {"delivery": {"region": "Skåne"}}}),
}

NOT_DOWNGRADING: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "a comment": lambda ids: {"customerComment": "Leave it at the door."},
    "a display name": lambda ids: {"displayName": "Winter order"},
    "a delivery address line": lambda ids: {"delivery": {"address": "Vesterbrogade 1", "name": "Ann"}},
    "the customer's email": lambda ids: {"customer": {"email": "ann@example.org"}},
    "the same payment method again": lambda ids: {"paymentMethodId": ids["Card"]},
}


def providers_of(client: GraphQLClient) -> payment_providers.Providers:
    transport = client.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app.state.providers  # type: ignore[attr-defined,no-any-return]


def test_provider(client: GraphQLClient) -> payment_providers.TestProvider:
    provider = providers_of(client).get("test")
    assert isinstance(provider, payment_providers.TestProvider)
    return provider


test_provider.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.mark.parametrize("change", DOWNGRADING.values(), ids=DOWNGRADING.keys())
async def test_a_listed_change_downgrades_a_checkout_to_a_cart(
    api: GraphQLClient, demo_store: Store, change: Change
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    document, variables = change(ids, order)

    changed = await succeed(api, document, {"c": order["id"], "s": cart.secret, **variables})

    assert changed["kind"] == "CART"
    assert changed["id"].startswith("CART")
    assert changed["id"] not in (cart.id, order["id"])
    assert changed["previousIds"] == [cart.id, order["id"]]
    assert "downgraded to cart" in (await events_of(demo_store, changed["id"]))[-2][2]
    by_order_id = (await api.execute(ORDER_QUERY, {"id": order["id"], "s": cart.secret}))["order"]
    assert by_order_id["id"] == changed["id"]


@pytest.mark.parametrize("details", NOT_DOWNGRADING.values(), ids=NOT_DOWNGRADING.keys())
async def test_other_changes_leave_the_checkout_as_it_is(
    api: GraphQLClient, details: Callable[[dict[str, str]], dict[str, Any]]
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)

    changed = await succeed(api, SET_DETAILS, {"c": order["id"], "s": cart.secret, "d": details(ids)})

    assert changed["kind"] == "ORDER"
    assert changed["id"] == order["id"]
    assert changed["previousIds"] == [cart.id]
    assert changed["revision"] == order["revision"] + 1


async def test_a_customer_adopting_a_checkout_downgrades_it(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    ann = api.as_role(await make_token(demo_store, Role.CUSTOMER, "ann"))
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)

    adopted = await succeed(ann, SET_DETAILS, {"c": order["id"], "s": cart.secret, "d": {"displayName": "Mine"}})

    assert adopted["customerId"] == "ann"
    assert adopted["kind"] == "CART"
    assert (await ann.execute(ORDER_QUERY, {"id": adopted["id"]}))["order"]["id"] == adopted["id"]


async def test_a_downgraded_cart_checks_out_again_under_a_new_id(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    first = await checkout(api, cart)
    downgraded = await succeed(api, SET_DETAILS, {"c": first["id"], "s": cart.secret, "d": {"voucherCode": "X"}})
    stale = await mutate(api, COMPLETE, {"o": first["id"], "s": cart.secret})

    second = await checkout(api, Cart(downgraded["id"], cart.secret))
    completed = await succeed(api, COMPLETE, {"o": second["id"], "s": cart.secret})

    assert [(e["code"], e["field"]) for e in stale["userErrors"]] == [("INVALID", ["orderId"])]
    assert second["id"] not in (cart.id, first["id"], downgraded["id"])
    assert completed["previousIds"] == [cart.id, first["id"], downgraded["id"]]
    for old_id in completed["previousIds"]:
        assert (await api.execute(ORDER_QUERY, {"id": old_id, "s": cart.secret}))["order"]["id"] == second["id"]


async def test_a_retried_completion_with_its_key_returns_the_same_order_and_authorizes_once(
    api: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    performed_before = test_provider(api).operations_performed

    first = await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": "key-1"})
    again = await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": "key-1"})
    by_cart_id = await succeed(api, COMPLETE, {"o": cart.id, "s": cart.secret, "k": "key-1"})
    without_key = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})

    assert again["id"] == first["id"] == by_cart_id["id"] == order["id"]
    assert again["completedAt"] == first["completedAt"]
    assert [e["code"] for e in without_key["userErrors"]] == ["ALREADY_DONE"]
    assert await transactions_of(demo_store, order["id"]) == [(AUTHORIZE, SUCCEEDED, D("73.85"))]
    assert test_provider(api).operations_performed == performed_before + 1
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2


async def test_a_refused_completion_leaves_its_key_free_for_the_retry(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    too_early = await mutate(api, COMPLETE, {"o": cart.id, "s": cart.secret, "k": "early"})
    order = await checkout(api, cart)
    # Not the shopper's: the order is not found, whatever the key, and the key stays free.
    wrong_secret = await mutate(api, COMPLETE, {"o": order["id"], "s": "wrong", "k": "early"})
    wrong_secret_bad_key = await mutate(api, COMPLETE, {"o": order["id"], "s": "wrong", "k": "k" * 300})

    completed = await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": "early"})

    assert [(e["code"], e["field"]) for e in too_early["userErrors"]] == [("INVALID", ["orderId"])]
    for refused in (wrong_secret, wrong_secret_bad_key):
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["orderId"])]
    assert (completed["id"], completed["complete"]) == (order["id"], True)
    assert await transactions_of(demo_store, order["id"]) == [(AUTHORIZE, SUCCEEDED, D("73.85"))]


async def test_a_quote_acceptance_refused_after_it_became_a_checkout_leaves_the_quote_as_it_was(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids, lines=(("TSHIRT-BLK-M", "500"),))
    quote = await succeed(api, quotes_api.SUBMIT, {"c": cart.id, "s": cart.secret})
    offered = await mutate(
        admin, quotes_api.CHANGE_STATE, {"o": [quote["id"]], "s": (await quotes_api.quote_states(admin))["Offered"]}
    )
    assert offered["ok"] is True
    before = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")

    refused = await mutate(api, quotes_api.ACCEPT, {"q": quote["id"], "s": cart.secret})

    assert [error["code"] for error in refused["userErrors"]] == ["OUT_OF_STOCK"]
    after = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    assert (after["id"], after["kind"], after["revision"]) == (quote["id"], "QUOTE", before["revision"])
    assert await transactions_of(demo_store, quote["id"]) == []
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before


async def test_a_key_used_for_another_order_is_a_conflict(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    first_cart, second_cart = await filled_cart(api, ids), await filled_cart(api, ids)
    first, second = await checkout(api, first_cart), await checkout(api, second_cart)
    await succeed(api, COMPLETE, {"o": first["id"], "s": first_cart.secret, "k": "shared"})

    payload = await mutate(api, COMPLETE, {"o": second["id"], "s": second_cart.secret, "k": "shared"})

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("IDEMPOTENCY_CONFLICT", ["idempotencyKey"])]
    assert (await order_row(demo_store, second["id"])).is_complete is False


async def test_a_declined_authorization_changes_nothing_but_records_it(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    await succeed(
        api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customer": {"email": "decline-authorize@x.dk"}}}
    )
    order = await checkout(api, cart)
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    cart_state_id = (await order_row(demo_store, order["id"])).state_id

    declined = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": "try-1"})

    [error] = declined["userErrors"]
    assert (error["code"], error["message"]) == ("PROVIDER_DECLINED", "Declined by the test gateway (authorize).")
    assert declined["order"] is None
    row = await order_row(demo_store, order["id"])
    # Still in the cart's state (the default CART state): ORDER states are for completed orders.
    assert cart_state_id is not None
    assert (row.kind.value, row.is_complete, row.completed_at, row.state_id, row.is_stock_taken) == (
        "ORDER", False, None, cart_state_id, False,
    )  # fmt: skip
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before
    assert await transactions_of(demo_store, order["id"]) == [(AUTHORIZE, FAILED, D("73.85"))]
    events = await events_of(demo_store, order["id"])
    assert (
        "payment",
        "WARNING",
        "authorize of 73.85 EUR was declined: Declined by the test gateway (authorize).",
    ) in events
    assert events[-1] == (
        "checkout",
        "WARNING",
        "Checkout not completed: the payment was declined; the stock is given back.",
    )

    # The email is not on the downgrade list: the same checkout completes, and the released key works again.
    await succeed(api, SET_DETAILS, {"c": order["id"], "s": cart.secret, "d": {"customer": {"email": "ann@x.dk"}}})
    completed = await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": "try-1"})
    assert completed["complete"] is True
    assert [(t["status"]) for t in completed["transactions"]] == ["FAILED", "SUCCEEDED"]
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2


class SlowProvider:
    """A gateway that never answers in time."""

    name = "test"
    capabilities = payment_providers.EVERYTHING

    async def call(self, request: payment_providers.ProviderCall, *, now: datetime.datetime) -> None:
        await asyncio.sleep(5)

    async def lookup(self, reference: str) -> None:
        return None


async def test_a_provider_timeout_leaves_the_authorization_pending(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    transport = api.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    transport.app.state.settings.provider_timeout_seconds = 0.05  # type: ignore[attr-defined]
    providers_of(api)._instances["test"] = SlowProvider()  # type: ignore[assignment]
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")

    timed_out = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    retried = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    changed = await mutate(api, SET_DETAILS, {"c": order["id"], "s": cart.secret, "d": {"voucherCode": "X"}})

    assert [e["code"] for e in timed_out["userErrors"]] == ["ALREADY_DONE"]
    assert "did not answer in time" in timed_out["userErrors"][0]["message"]
    assert [e["code"] for e in retried["userErrors"]] == ["ALREADY_DONE"]
    assert [e["code"] for e in changed["userErrors"]] == ["NOT_EDITABLE"]
    assert await transactions_of(demo_store, order["id"]) == [(AUTHORIZE, PENDING, D("73.85"))]
    assert (await order_row(demo_store, order["id"])).is_complete is False
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2


@pytest.mark.parametrize("key", [None, "same-key"])
async def test_twenty_concurrent_completions_authorize_once(
    api: GraphQLClient, demo_store: Store, key: str | None
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    performed_before = test_provider(api).operations_performed

    payloads = await asyncio.gather(
        *(mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret, "k": key}) for _ in range(20))
    )

    completed = [payload["order"] for payload in payloads if payload["order"] is not None]
    refused = [error["code"] for payload in payloads for error in payload["userErrors"]]
    assert len(completed) + len(refused) == 20
    assert {completed_order["id"] for completed_order in completed} == {order["id"]}
    assert set(refused) <= {"ALREADY_DONE"}
    if key is None:
        assert len(completed) == 1
    assert await succeeded_authorizations(demo_store) == 1
    assert await transactions_of(demo_store, order["id"]) == [(AUTHORIZE, SUCCEEDED, D("73.85"))]
    assert test_provider(api).operations_performed == performed_before + 1
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2
    assert (await order_row(demo_store, order["id"])).is_complete is True
