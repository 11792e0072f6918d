"""A storefront's checkout: create a cart, add lines, set addresses, shipping and payment, check out.

    python examples/storefront.py --url http://127.0.0.1:8000

No token is needed (an anonymous shopper holds the cart's secret); a STOREFRONT token works the same.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from graphql_client import client_from_command_line, graphql

CATALOGUE = """{
  products(first: 50) { id number name stock unitPrice { withVat } }
  paymentMethods { id name }
  shippingMethods { id name }
}"""
CREATE_CART = """mutation($details: CartDetailsInput) {
  createCart(details: $details) { secret cart { id } userErrors { field message code } }
}"""
ADD_TO_CART = """mutation($cartId: ID!, $secret: String, $lines: [CartLineInput!]!) {
  addToCart(cartId: $cartId, secret: $secret, lines: $lines) {
    cart { id lines { productNumber quantity } total { withVat } currency { code } }
    userErrors { field message code }
  }
}"""
SET_DETAILS = """mutation($cartId: ID!, $secret: String, $details: CartDetailsInput!) {
  setCartDetails(cartId: $cartId, secret: $secret, details: $details) {
    cart { id shippingFee { withVat } paymentFee { withVat } total { withVat } }
    userErrors { field message code }
  }
}"""
START_CHECKOUT = """mutation($cartId: ID!, $secret: String) {
  startCheckout(cartId: $cartId, secret: $secret) { order { id } userErrors { field message code } }
}"""
COMPLETE_CHECKOUT = """mutation($orderId: ID!, $secret: String, $key: String) {
  completeCheckout(orderId: $orderId, secret: $secret, idempotencyKey: $key) {
    order { id complete state { name } total { withVat } currency { code } authorizedAmount captureState }
    userErrors { field message code }
  }
}"""

SHOPPER = {
    "firstName": "Sam",
    "surname": "Example",
    "name": "Sam Example",
    "email": "sam@example.com",
    "address": "Rådhuspladsen 1",
    "zip": "1550",
    "city": "København V",
    "country": "Denmark",
    "countryCode": "DK",
}


async def main(client: httpx.AsyncClient) -> str:
    """Buy two products in stock with the test card; returns the new order's id."""
    catalogue = await graphql(client, CATALOGUE)
    in_stock = [product for product in catalogue["products"] if Decimal(product["stock"]) >= 5][:2]
    card = next(method["id"] for method in catalogue["paymentMethods"] if method["name"] == "Card")
    parcel = next(method["id"] for method in catalogue["shippingMethods"] if method["name"] == "Parcel")

    created = (await graphql(client, CREATE_CART, {"details": {"customer": SHOPPER}}))["createCart"]
    cart_id, secret = created["cart"]["id"], created["secret"]  # keep the secret: it is the key to the cart
    lines = [{"productId": in_stock[0]["id"], "quantity": "2"}, {"productId": in_stock[1]["id"], "quantity": "1"}]
    cart = (await graphql(client, ADD_TO_CART, {"cartId": cart_id, "secret": secret, "lines": lines}))["addToCart"][
        "cart"
    ]
    print(f"cart {cart['id']}: {len(cart['lines'])} lines, {cart['total']['withVat']} {cart['currency']['code']}")

    details = {"paymentMethodId": card, "shippingMethodId": parcel, "delivery": SHOPPER}
    priced = await graphql(client, SET_DETAILS, {"cartId": cart_id, "secret": secret, "details": details})
    cart = priced["setCartDetails"]["cart"]
    fees = f"shipping {cart['shippingFee']['withVat']}, payment fee {cart['paymentFee']['withVat']}"
    print(f"{fees}: total {cart['total']['withVat']}")

    started = (await graphql(client, START_CHECKOUT, {"cartId": cart_id, "secret": secret}))["startCheckout"]["order"]
    print(f"checkout started: {cart_id} is now {started['id']}")
    # The same idempotency key makes a retried completion (a timeout, a double click) authorize only once.
    variables = {"orderId": started["id"], "secret": secret, "key": str(uuid.uuid4())}
    order = (await graphql(client, COMPLETE_CHECKOUT, variables))["completeCheckout"]["order"]
    print(
        f"order {order['id']} complete in state {order['state']['name']}: {order['total']['withVat']} "
        f"{order['currency']['code']} authorized {order['authorizedAmount']}, capture state {order['captureState']}"
    )
    return str(order["id"])


async def run() -> None:
    async with client_from_command_line(__doc__.splitlines()[0]) as client:
        await main(client)


if __name__ == "__main__":
    asyncio.run(run())
