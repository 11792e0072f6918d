"""GraphQL documents and small steps shared by the storefront tests."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa

from models.catalog import Product
from models.enums import TransactionKind, TransactionStatus
from models.orders import Order, OrderEvent
from models.payments import Transaction
from resolvers.core import orders
from resolvers.payments import payment_providers
from tests.conftest import GraphQLClient, Store

PRICE = "{ withVat withoutVat vat vatPercent }"
ORDER = f"""
  id previousIds kind complete completedAt revision customerId displayName customerComment voucherCode
  currency {{ code name rate }}
  customer {{ email country countryCode region }}
  delivery {{ address country countryCode region }}
  lines {{ id type productId productNumber quantity weight unitPrice {PRICE} price {PRICE} discountTotal {PRICE} }}
  subtotal {PRICE} discountTotal {PRICE} priceBeforeFees {PRICE} paymentFee {PRICE} shippingFee {PRICE} total {PRICE}
  weight volume priceCalculatedAt
  paymentMethod {{ name }} shippingMethod {{ name }} flow {{ name }} state {{ name }}
  authorizedAmount captureState
  transactions {{ kind status amount currency provider transactionNumber cardNumber }}
  events {{ source level message actor }}
"""
ERRORS = "userErrors { field message code }"

CREATE_CART = f"mutation($d: CartDetailsInput) {{ createCart(details: $d) {{ secret cart {{ {ORDER} }} {ERRORS} }} }}"
ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ secret cart {{ {ORDER} }} {ERRORS} }} }}"""
UPDATE_LINE = f"""mutation($c: ID!, $s: String, $line: ID!, $q: Decimal!) {{
  updateCartLine(cartId: $c, secret: $s, lineId: $line, quantity: $q) {{ cart {{ {ORDER} }} {ERRORS} }} }}"""
REMOVE_LINE = f"""mutation($c: ID!, $s: String, $line: ID!) {{
  removeCartLine(cartId: $c, secret: $s, lineId: $line) {{ cart {{ {ORDER} }} {ERRORS} }} }}"""
SET_DETAILS = f"""mutation($c: ID!, $s: String, $d: CartDetailsInput!) {{
  setCartDetails(cartId: $c, secret: $s, details: $d) {{ cart {{ {ORDER} }} {ERRORS} }} }}"""
START = f"""mutation($c: ID!, $s: String) {{
  startCheckout(cartId: $c, secret: $s) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
COMPLETE = f"""mutation($o: ID!, $s: String, $k: String) {{
  completeCheckout(orderId: $o, secret: $s, idempotencyKey: $k) {{ order {{ {ORDER} }} {ERRORS} }} }}"""
ORDER_QUERY = f"query($id: ID!, $s: String) {{ order(id: $id, secret: $s) {{ {ORDER} }} }}"


@dataclasses.dataclass
class Cart:
    """A cart as the storefront knows it: its current id and its secret."""

    id: str
    secret: str


async def catalogue(client: GraphQLClient) -> dict[str, str]:
    """Product numbers and method names to their ids."""
    data = await client.execute(
        "query { products(first: 100) { id number } paymentMethods { id name } shippingMethods { id name } }"
    )
    ids = {product["number"]: product["id"] for product in data["products"]}
    ids.update({method["name"]: method["id"] for method in data["paymentMethods"] + data["shippingMethods"]})
    return ids


async def create_cart(client: GraphQLClient, details: dict[str, Any] | None = None) -> tuple[Cart, dict[str, Any]]:
    payload = (await client.execute(CREATE_CART, {"d": details}))["createCart"]
    assert payload["userErrors"] == []
    return Cart(payload["cart"]["id"], payload["secret"]), payload["cart"]


async def mutate(client: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Run a one-mutation document and return its payload."""
    data = await client.execute(document, variables)
    [payload] = data.values()
    return payload


async def succeed(client: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Run a mutation that must succeed and return the cart or order it answers with."""
    payload = await mutate(client, document, variables)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload.get("cart") or payload["order"]


async def filled_cart(
    client: GraphQLClient,
    ids: dict[str, str],
    *,
    lines: tuple[tuple[str, str], ...] = (("TSHIRT-BLK-M", "2"), ("BOOK-COOK", "1")),
    details: dict[str, Any] | None = None,
) -> Cart:
    """A cart with lines, the Card payment method, Flat rate shipping and a customer."""
    cart, _ = await create_cart(client, details)
    await succeed(
        client, ADD, {"c": cart.id, "s": cart.secret, "l": [{"productId": ids[n], "quantity": q} for n, q in lines]}
    )
    default_details = {"paymentMethodId": ids["Card"], "shippingMethodId": ids["Flat rate"]}
    default_details["customer"] = {"email": "shopper@example.com", "country": "Denmark", "countryCode": "DK"}
    await succeed(client, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": default_details})
    return cart


async def checkout(client: GraphQLClient, cart: Cart) -> dict[str, Any]:
    order = await succeed(client, START, {"c": cart.id, "s": cart.secret})
    assert order["kind"] == "ORDER"
    return order


async def stock_of(store: Store, number: str) -> Decimal:
    async with store.db.read_sessions() as session:
        stock = await session.scalar(sa.select(Product.stock).where(Product.number == number))
    assert stock is not None
    return stock


async def transactions_of(store: Store, public_id: str) -> list[tuple[TransactionKind, TransactionStatus, Decimal]]:
    return [(row.kind, row.status, row.amount) for row in await _rows_of_order(store, public_id, Transaction)]


async def succeeded_authorizations(store: Store) -> int:
    async with store.db.read_sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Transaction)
            .where(Transaction.kind == TransactionKind.AUTHORIZE, Transaction.status == TransactionStatus.SUCCEEDED)
        )
    return int(count or 0)


async def order_row(store: Store, public_id: str) -> Order:
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        return order


async def events_of(store: Store, public_id: str) -> list[tuple[str, str, str]]:
    return [(row.source, row.level.value, row.message) for row in await _rows_of_order(store, public_id, OrderEvent)]


def providers_of(client: GraphQLClient) -> payment_providers.Providers:
    """The payment providers of the app behind the client."""
    transport = client.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app.state.providers  # type: ignore[attr-defined,no-any-return]


def gateway(client: GraphQLClient) -> payment_providers.TestProvider:
    """The app's `test` provider, the gateway the demo Card pays through."""
    provider = providers_of(client).get("test")
    assert isinstance(provider, payment_providers.TestProvider)
    return provider


def assert_parts_add_up(price: dict[str, str]) -> None:
    assert Decimal(price["withVat"]) == Decimal(price["withoutVat"]) + Decimal(price["vat"]), price


def amounts(price: dict[str, str]) -> tuple[Decimal, Decimal, Decimal]:
    return Decimal(price["withVat"]), Decimal(price["withoutVat"]), Decimal(price["vat"])


async def _rows_of_order(store: Store, public_id: str, model: type[Transaction] | type[OrderEvent]) -> list[Any]:
    """The order's rows of a table that belongs to orders, oldest first."""
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        return list(
            (await session.scalars(sa.select(model).where(model.order_id == order.id).order_by(model.id))).all()
        )
