"""What one iteration of an HTTP workload does (see `benchmarks.load`); each raises on a wrong answer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PRICE = "{ withVat withoutVat vat vatPercent }"
# The admin console's order list: what `benchmarks.floor.page` serves raw.
ADMIN_PAGE = f"""query($first: Int!) {{
  orders(first: $first, filter: {{kind: ORDER}}) {{
    totalCount
    edges {{ cursor node {{
      id revision captureState createdAt total {PRICE}
      state {{ name }} flow {{ name }}
      lines {{ productNumber productName quantity price {PRICE} customFields {{ systemName value }} }}
      transactions {{ kind status amount }}
      events {{ source message }}
      customFields {{ systemName value }}
    }} }}
  }}
}}"""
CREATE_CART = """mutation($d: CartDetailsInput) {
  createCart(details: $d) { secret cart { id } userErrors { code message } } }"""
ADD = """mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {
  addToCart(cartId: $c, secret: $s, lines: $l) { cart { id total { withVat } } userErrors { code message } } }"""
START = """mutation($c: ID!, $s: String) {
  startCheckout(cartId: $c, secret: $s) { order { id } userErrors { code message } } }"""
COMPLETE = """mutation($o: ID!, $s: String, $k: String) {
  completeCheckout(orderId: $o, secret: $s, idempotencyKey: $k) {
    order { id complete captureState total { withVat } } userErrors { code message } } }"""


async def graphql(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The `data` of a successful answer; an error answer raises."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0].get("message"))
    return body["data"]  # type: ignore[no-any-return]


async def payload(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The one mutation's payload; a user error raises."""
    [answer] = (await graphql(client, query, variables)).values()
    if answer["userErrors"]:
        raise RuntimeError(answer["userErrors"][0])
    return answer  # type: ignore[no-any-return]


async def admin_page(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """params: first."""
    data = await graphql(client, ADMIN_PAGE, {"first": params["first"]})
    if len(data["orders"]["edges"]) != params["first"]:
        raise RuntimeError(f"{len(data['orders']['edges'])} orders, not {params['first']}")


async def floor_page(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """params: first."""
    response = await client.get("/page", params={"first": params["first"]})
    response.raise_for_status()
    if len(response.json()["data"]["orders"]["edges"]) != params["first"]:
        raise RuntimeError("a short floor page")


async def checkout(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """A shopper's whole checkout: create a cart with details, add 2 lines, start, complete.

    params: products (2 product ids), details (CartDetailsInput with payment and shipping methods).
    """
    created = await payload(client, CREATE_CART, {"d": params["details"]})
    cart, secret = created["cart"]["id"], created["secret"]
    lines = [{"productId": product, "quantity": "1"} for product in params["products"]]
    await payload(client, ADD, {"c": cart, "s": secret, "l": lines})
    order = (await payload(client, START, {"c": cart, "s": secret}))["order"]["id"]
    completed = await payload(client, COMPLETE, {"o": order, "s": secret, "k": uuid.uuid4().hex})
    if not completed["order"]["complete"]:
        raise RuntimeError(f"{order} is not complete")
