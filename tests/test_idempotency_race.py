"""Concurrent first uses of one new idempotency key, sent at once to two real `ordergraph serve` processes over one
store: one request proceeds, the other gets IDEMPOTENCY_CONFLICT (another request) or the first result / ALREADY_DONE
(the same request in flight), never a top-level error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from models.enums import Role
from resolvers.payments.payment_providers import Providers
from tests.conftest import Store, make_token
from tests.payment_factories import authorized_order, ledger_of
from tests.storefront_helpers import COMPLETE, START
from tests.test_payments_api import CAPTURE, REFUND
from tests.test_payments_crash import Server

ROUNDS = 4


class Client:
    """Anonymous and admin requests to one server."""

    def __init__(self, server: Server, admin_token: str) -> None:
        self.server = server
        self.admin_token = admin_token

    async def data(self, query: str, variables: dict[str, Any], *, admin: bool = False) -> dict[str, Any]:
        """The response's data; any top-level error fails the test."""
        headers = {"Authorization": f"Bearer {self.admin_token}"} if admin else {}
        async with httpx.AsyncClient(base_url=self.server.base_url, timeout=30) as http:
            response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        body = response.json()
        assert (response.status_code, body.get("errors")) == (200, None), body
        return body["data"]  # type: ignore[no-any-return]

    async def send(self, query: str, variables: dict[str, Any], *, admin: bool = False) -> dict[str, Any]:
        """The payload of a one-mutation document."""
        [payload] = (await self.data(query, variables, admin=admin)).values()
        return payload  # type: ignore[no-any-return]


@pytest.fixture
async def clients(demo_store: Store) -> AsyncIterator[list[Client]]:
    servers = [Server(demo_store.url, crash_after=None) for _ in range(2)]
    try:
        await asyncio.gather(*(server.ready() for server in servers))
        token = await make_token(demo_store, Role.ADMIN)
        yield [Client(server, token) for server in servers]
    finally:
        for server in servers:
            server.stop()


async def _started_checkout(client: Client, ids: dict[str, str]) -> tuple[str, str]:
    """A started checkout of one T-shirt paid by Card: its id and secret."""
    created = await client.send("mutation { createCart { secret cart { id } } }", {})
    cart, secret = created["cart"]["id"], created["secret"]
    add = """mutation($c: ID!, $s: String, $p: ID!) {
      addToCart(cartId: $c, secret: $s, lines: [{productId: $p, quantity: "1"}]) { userErrors { code } } }"""
    assert (await client.send(add, {"c": cart, "s": secret, "p": ids["TSHIRT-BLK-M"]}))["userErrors"] == []
    details = """mutation($c: ID!, $s: String, $d: CartDetailsInput!) {
      setCartDetails(cartId: $c, secret: $s, details: $d) { userErrors { code } } }"""
    chosen = {"paymentMethodId": ids["Card"], "shippingMethodId": ids["Flat rate"], "customer": {"email": "a@b.dk"}}
    assert (await client.send(details, {"c": cart, "s": secret, "d": chosen}))["userErrors"] == []
    started = await client.send(START, {"c": cart, "s": secret})
    return started["order"]["id"], secret


async def _catalogue(client: Client) -> dict[str, str]:
    data = await client.data(
        "{ products(first: 100) { id number } paymentMethods { id name } shippingMethods { id name } }", {}
    )
    ids = {product["number"]: product["id"] for product in data["products"]}
    ids.update({method["name"]: method["id"] for method in data["paymentMethods"] + data["shippingMethods"]})
    return ids


def _codes(payload: dict[str, Any]) -> list[str]:
    errors = payload.get("userErrors")
    if errors is None:
        [result] = payload["results"]
        errors = result["userErrors"]
    return [error["code"] for error in errors]


async def test_two_checkouts_with_one_new_key_at_once(clients: list[Client]) -> None:
    ids = await _catalogue(clients[0])
    for round_number in range(ROUNDS):
        checkouts = [await _started_checkout(client, ids) for client in clients]

        payloads = await asyncio.gather(
            *(
                client.send(COMPLETE, {"o": order_id, "s": secret, "k": f"checkout-{round_number}"})
                for client, (order_id, secret) in zip(clients, checkouts, strict=True)
            )
        )

        assert sorted(_codes(payload) for payload in payloads) == [[], ["IDEMPOTENCY_CONFLICT"]]
        assert [payload["order"] is not None for payload in payloads].count(True) == 1


async def test_captures_and_refunds_with_one_new_key_at_once(clients: list[Client], demo_store: Store) -> None:
    authorizing = Providers(demo_store.db.write_sessions)
    for round_number in range(ROUNDS):
        first, second = [await authorized_order(demo_store.db, authorizing) for _ in range(2)]
        capture_key, refund_key, again_key = (f"{name}-{round_number}" for name in ("capture", "refund", "again"))

        captures = await asyncio.gather(
            *(
                client.send(CAPTURE, {"ids": [public_id], "amount": "50.00", "key": capture_key}, admin=True)
                for client, public_id in zip(clients, (first, second), strict=True)
            )
        )
        [captured] = [public_id for public_id, p in zip((first, second), captures, strict=True) if not _codes(p)]
        refunds_of_others = await asyncio.gather(
            *(
                client.send(REFUND, {"id": captured, "amount": amount, "key": refund_key}, admin=True)
                for client, amount in zip(clients, ("10.00", "20.00"), strict=True)
            )
        )
        same_refund = await asyncio.gather(
            *(
                client.send(REFUND, {"id": captured, "amount": "5.00", "key": again_key}, admin=True)
                for client in clients
            )
        )

        assert sorted(_codes(payload) for payload in captures) == [[], ["IDEMPOTENCY_CONFLICT"]]
        assert sorted(_codes(payload) for payload in refunds_of_others) == [[], ["IDEMPOTENCY_CONFLICT"]]
        assert sorted(_codes(payload) for payload in same_refund) in ([[], []], [[], ["ALREADY_DONE"]])
        amounts, _, _ = await ledger_of(demo_store.db, captured)
        assert (amounts.captured, amounts.refunded - 5) in ((50, 10), (50, 20))
