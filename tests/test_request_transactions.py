"""Each root mutation field is its own transaction (design.md, "Requests, transactions and limits"), over HTTP.

A write followed by a money movement on the same record, in one document, finishes: the movement's own
transactions never wait for a lock the request's earlier field holds. While the movement calls its
provider (no lock held by then), another client writes, and that write is not held up either.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from resolvers.payments import payment_providers
from tests import payment_factories
from tests.conftest import GraphQLClient, Store
from tests.return_helpers import created, line, placed_order
from tests.storefront_helpers import CREATE_CART, catalogue, checkout, filled_cart, gateway, providers_of

# Generous: the hang this guards against lasted the store's whole lock wait (30 s on SQLite, for ever on PostgreSQL).
FINISHES_WITHIN_SECONDS = 10

ERRORS = "userErrors { code }"
ORDER_SHAPE = "id complete capturedAmount refundedAmount cancelled isExported"


@dataclasses.dataclass(frozen=True)
class Shape:
    """A document of a write followed by a money movement on the same record, and what it must answer."""

    client: GraphQLClient
    document: str
    variables: dict[str, Any]
    expect: Callable[[dict[str, Any]], None]
    # Whether the movement reaches its provider (another client writes during that call).
    calls_provider: bool = True


ShapeBuilder = Callable[[GraphQLClient, GraphQLClient, Store], Awaitable[Shape]]


async def _complete_checkout(api: GraphQLClient, admin: GraphQLClient, store: Store) -> Shape:
    cart = await filled_cart(api, await catalogue(api))
    order = await checkout(api, cart)
    document = f"""mutation($o: ID!, $s: String) {{
      setCartDetails(cartId: $o, secret: $s, details: {{customerComment: "Leave it at the door"}}) {{ {ERRORS} }}
      completeCheckout(orderId: $o, secret: $s) {{ order {{ id complete customerComment }} {ERRORS} }} }}"""

    def expect(data: dict[str, Any]) -> None:
        assert data["setCartDetails"] == {"userErrors": []}
        completed = data["completeCheckout"]
        assert completed["userErrors"] == []
        assert (completed["order"]["complete"], completed["order"]["customerComment"]) == (
            True,
            "Leave it at the door",
        )

    return Shape(api, document, {"o": order["id"], "s": cart.secret}, expect)


async def _accept_quote(api: GraphQLClient, admin: GraphQLClient, store: Store) -> Shape:
    cart = await filled_cart(api, await catalogue(api))
    submitted = await api.execute(
        f"mutation($c: ID!, $s: String) {{ submitQuote(cartId: $c, secret: $s) {{ order {{ id }} {ERRORS} }} }}",
        {"c": cart.id, "s": cart.secret},
    )
    quote_id = submitted["submitQuote"]["order"]["id"]
    flows = await admin.execute("{ flows(kind: QUOTE) { isDefault states { id name } } }")
    [offered] = [s["id"] for f in flows["flows"] if f["isDefault"] for s in f["states"] if s["name"] == "Offered"]
    moved = await admin.execute(
        "mutation($o: [ID!]!, $s: ID!) { changeState(orderIds: $o, stateId: $s) { ok } }",
        {"o": [quote_id], "s": offered},
    )
    assert moved["changeState"]["ok"] is True
    document = f"""mutation($q: ID!) {{
      edit(orderId: $q, input: {{comment: "Offered at list price"}}) {{ {ERRORS} }}
      acceptQuote(quoteId: $q) {{ order {{ id kind complete comment }} {ERRORS} }} }}"""

    def expect(data: dict[str, Any]) -> None:
        assert data["edit"] == {"userErrors": []}
        accepted = data["acceptQuote"]
        assert accepted["userErrors"] == []
        assert (accepted["order"]["kind"], accepted["order"]["complete"], accepted["order"]["comment"]) == (
            "ORDER",
            True,
            "Offered at list price",
        )

    return Shape(admin, document, {"q": quote_id}, expect)


def _exported_then(call: str, *, expected: tuple[str, object], captured_first: bool = False) -> ShapeBuilder:
    """markExported, then the admin movement `call` on the same authorized order; `expected`: a field it sets."""
    movement = call.partition("(")[0]
    bulk = "orderIds" in call
    answer = f"order {{ {ORDER_SHAPE} }} {ERRORS}"
    selection = f"results {{ {answer} }}" if bulk else answer

    async def build(api: GraphQLClient, admin: GraphQLClient, store: Store) -> Shape:
        order_id = await payment_factories.authorized_order(store.db, providers_of(api))
        if captured_first:
            await admin.execute("mutation($o: ID!) { capture(orderIds: [$o]) { ok } }", {"o": order_id})
        document = f"""mutation($o: ID!) {{ markExported(orderIds: [$o]) {{ ok }}
          {call} {{ {selection} }} }}"""

        def expect(data: dict[str, Any]) -> None:
            assert data["markExported"]["ok"] is True
            result = data[movement]["results"][0] if bulk else data[movement]
            assert result["userErrors"] == [], result
            field, value = expected
            assert (result["order"]["isExported"], result["order"][field]) == (True, value)

        return Shape(admin, document, {"o": order_id}, expect)

    return build


async def _refund_return(api: GraphQLClient, admin: GraphQLClient, store: Store) -> Shape:
    order = await placed_order(api, admin)
    returned = await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1")])
    document = f"""mutation($r: ID!) {{
      receiveReturn(returnId: $r) {{ return {{ status }} {ERRORS} }}
      refundReturn(returnId: $r) {{ return {{ status refundAmount }} {ERRORS} }} }}"""

    def expect(data: dict[str, Any]) -> None:
        assert data["receiveReturn"] == {"return": {"status": "RECEIVED"}, "userErrors": []}
        assert data["refundReturn"] == {"return": {"status": "REFUNDED", "refundAmount": "19.95"}, "userErrors": []}

    return Shape(admin, document, {"r": returned["id"]}, expect)


async def _unknown_order_checkout(api: GraphQLClient, admin: GraphQLClient, store: Store) -> Shape:
    """The document of the finding, sent anonymously with no secret and no real id."""
    document = f"""mutation {{ createCart {{ secret }}
      completeCheckout(orderId: "ORDER999999") {{ {ERRORS} }} }}"""

    def expect(data: dict[str, Any]) -> None:
        assert data["createCart"]["secret"]
        assert data["completeCheckout"] == {"userErrors": [{"code": "NOT_FOUND"}]}

    return Shape(api, document, {}, expect, calls_provider=False)


SHAPES: dict[str, ShapeBuilder] = {
    "createCart+completeCheckout(unknown)": _unknown_order_checkout,
    "setCartDetails+completeCheckout": _complete_checkout,
    "edit+acceptQuote": _accept_quote,
    "markExported+capture": _exported_then("capture(orderIds: [$o])", expected=("capturedAmount", "100.00")),
    "markExported+refund": _exported_then(
        'refund(orderId: $o, amount: "40.00")', expected=("refundedAmount", "40.00"), captured_first=True
    ),
    "markExported+cancel": _exported_then("cancel(orderIds: [$o])", expected=("cancelled", True)),
    "receiveReturn+refundReturn": _refund_return,
}


class WritesWhileCalled:
    """The real gateway, which lets another client write (and waits for it) before it answers."""

    name = "test"
    capabilities = payment_providers.EVERYTHING

    def __init__(self, gateway: payment_providers.TestProvider, write: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self.gateway, self.write = gateway, write
        self.writes: list[dict[str, Any]] = []

    async def call(
        self, request: payment_providers.ProviderCall, *, now: datetime.datetime
    ) -> payment_providers.ProviderOutcome:
        self.writes.append(await self.write())
        return await self.gateway.call(request, now=now)

    async def lookup(self, reference: str) -> payment_providers.ProviderOutcome | None:
        return await self.gateway.lookup(reference)


@pytest.mark.parametrize("shape_name", list(SHAPES))
async def test_a_write_then_a_money_movement_finishes_and_blocks_no_one(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, shape_name: str
) -> None:
    shape = await SHAPES[shape_name](api, admin, demo_store)
    writing = WritesWhileCalled(gateway(api), lambda: api.execute(CREATE_CART, {"d": None}))
    providers_of(api)._instances["test"] = writing  # type: ignore[assignment]

    async with asyncio.timeout(FINISHES_WITHIN_SECONDS):
        data = await shape.client.execute(shape.document, shape.variables)

    shape.expect(data)
    other_writes = [
        (write["createCart"]["userErrors"], bool(write["createCart"]["secret"])) for write in writing.writes
    ]
    assert other_writes == ([([], True)] if shape.calls_provider else [])
