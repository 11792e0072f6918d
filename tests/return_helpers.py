"""GraphQL documents and steps shared by the returns (RMA) tests: a real order, checked out and captured."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.returns import Return
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import COMPLETE, SET_DETAILS, catalogue, checkout, filled_cart, succeed
from tests.storefront_helpers import gateway as gateway  # re-exported: the return tests reach the gateway from here
from tests.storefront_helpers import providers_of as providers_of

D = Decimal
ERRORS = "userErrors { field message code }"
RETURN = """id status createdAt refundAmount comment rejectionReason receivedAt refundedAt
  state { name } order { id } lines { orderLineId quantity reason restock }"""
CREATE = f"""mutation($o: ID!, $l: [ReturnLineInput!]!, $c: String) {{
  createReturn(orderId: $o, lines: $l, comment: $c) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
RECEIVE = f"mutation($r: ID!) {{ receiveReturn(returnId: $r) {{ return {{ {RETURN} }} {ERRORS} }} }}"
REFUND = f"""mutation($r: ID!, $a: Decimal, $k: String) {{
  refundReturn(returnId: $r, amount: $a, idempotencyKey: $k) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
REJECT = f"""mutation($r: ID!, $why: String) {{
  rejectReturn(returnId: $r, reason: $why) {{ return {{ {RETURN} }} {ERRORS} }} }}"""
CAPTURE = "mutation($ids: [ID!]!) { capture(orderIds: $ids) { ok results { userErrors { code message } } } }"
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ id revision capturedAmount refundedAmount
  returns {{ {RETURN} }} transactions {{ kind status amount }} events {{ source message }} }} }}"""


@dataclasses.dataclass
class Placed:
    """A completed, captured order: its id and its product lines' ids by product number."""

    id: str
    line_ids: dict[str, str]


async def placed_order(
    api: GraphQLClient,
    admin: GraphQLClient,
    *,
    email: str = "shopper@example.com",
    lines: tuple[tuple[str, str], ...] = (("TSHIRT-BLK-M", "2"), ("BOOK-COOK", "1")),
    capture: bool = True,
    payment: str = "Card",
) -> Placed:
    """Check out through the storefront (anonymous, by the cart's secret), then capture it all as an admin."""
    ids = await catalogue(api)
    cart = await filled_cart(api, ids, lines=lines)
    details: dict[str, Any] = {"paymentMethodId": ids[payment]}
    if email != "shopper@example.com":
        details["customer"] = {"email": email}
    await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": details})
    order = await checkout(api, cart)
    completed = await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    if capture:
        captured = (await admin.execute(CAPTURE, {"ids": [completed["id"]]}))["capture"]
        assert captured["ok"] is True, captured
    line_ids = {line["productNumber"]: line["id"] for line in completed["lines"] if line["type"] == "PRODUCT"}
    return Placed(completed["id"], line_ids)


def line(line_id: str, quantity: str, **extra: Any) -> dict[str, Any]:
    return {"orderLineId": line_id, "quantity": quantity, **extra}


async def run(client: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The payload of a one-mutation document."""
    [payload] = (await client.execute(document, variables)).values()
    return payload


async def create(client: GraphQLClient, order_id: str, lines: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    return await run(client, CREATE, {"o": order_id, "l": lines, **kwargs})


async def created(client: GraphQLClient, order_id: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Create a return that must succeed; the return."""
    payload = await create(client, order_id, lines)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["return"]


async def act(client: GraphQLClient, document: str, return_id: str, **variables: Any) -> dict[str, Any]:
    return await run(client, document, {"r": return_id, **variables})


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def read_order(admin: GraphQLClient, order_id: str) -> dict[str, Any]:
    return (await admin.execute(ORDER, {"id": order_id}))["order"]


async def return_count(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Return)) or 0)
