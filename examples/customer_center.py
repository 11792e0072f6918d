"""A customer-center page: a signed-in customer's carts, quotes and orders, and their answer to a quote.

    TOKEN=$(.venv/bin/ordergraph token create --role CUSTOMER --customer kate --name examples | tail -n 1)
    ORDERGRAPH_TOKEN=$TOKEN python examples/customer_center.py           # accepts an offered quote
    ORDERGRAPH_TOKEN=$TOKEN python examples/customer_center.py --reject  # or rejects an open one

A quote can be accepted once the shop moved it to a state that allows ordering (the demo's "Offered");
it needs a payment method first, which the customer picks. Any open quote can be rejected.
"""

from __future__ import annotations

import asyncio
import sys

import httpx
from graphql_client import client_from_command_line, graphql

MINE = """query($kind: OrderKind) {
  myOrders(kind: $kind, first: 50) {
    totalCount
    edges { node {
      id createdAt quoteStatus state { name allowOrder } total { withVat } currency { code } captureState
      paymentMethod { name }
    } }
  }
}"""
PAYMENT_METHODS = "{ paymentMethods { id name } }"
CHOOSE_PAYMENT = """mutation($id: ID!, $details: CartDetailsInput!) {
  setCartDetails(cartId: $id, details: $details) { cart { id total { withVat } } userErrors { field message code } }
}"""
ACCEPT = """mutation($id: ID!) {
  acceptQuote(quoteId: $id) { order { id complete state { name } total { withVat } } userErrors { field message code } }
}"""
REJECT = """mutation($id: ID!, $reason: String) {
  rejectQuote(quoteId: $id, reason: $reason) { order { id quoteStatus } userErrors { field message code } }
}"""


async def main(client: httpx.AsyncClient, *, reject: bool = False) -> str | None:
    """Show the customer's records, then accept (or reject) one open quote; returns its new id, or None."""
    records = {}
    for kind in ("CART", "QUOTE", "ORDER"):
        page = (await graphql(client, MINE, {"kind": kind}))["myOrders"]
        records[kind] = [edge["node"] for edge in page["edges"]]
        print(f"{page['totalCount']} {kind.lower()}s")
        for record in records[kind][:3]:
            state = record["state"]["name"] if record["state"] else "-"
            total = f"{record['total']['withVat']} {record['currency']['code']}"
            print(f"  {record['id']}  {record['createdAt'][:10]}  {state:<10} {total}")

    open_quotes = [quote for quote in records["QUOTE"] if quote["quoteStatus"] == "OPEN"]
    if reject:
        if not open_quotes:
            print("no open quote to reject")
            return None
        rejected = await graphql(client, REJECT, {"id": open_quotes[0]["id"], "reason": "Too late for our season."})
        quote = rejected["rejectQuote"]["order"]
        print(f"rejected {quote['id']}: {quote['quoteStatus']}")
        return str(quote["id"])
    offered = [quote for quote in open_quotes if quote["state"]["allowOrder"]]
    if not offered:
        print("no offered quote to accept")
        return None
    quote = offered[0]
    if quote["paymentMethod"] is None:
        card = next(
            method["id"]
            for method in (await graphql(client, PAYMENT_METHODS))["paymentMethods"]
            if method["name"] == "Card"
        )
        await graphql(client, CHOOSE_PAYMENT, {"id": quote["id"], "details": {"paymentMethodId": card}})
        print(f"paying {quote['id']} by card")
    order = (await graphql(client, ACCEPT, {"id": quote["id"]}))["acceptQuote"]["order"]
    print(f"accepted {quote['id']}: it is now order {order['id']} in state {order['state']['name']}")
    return str(order["id"])


async def run() -> None:
    reject = "--reject" in sys.argv
    if reject:
        sys.argv.remove("--reject")
    async with client_from_command_line(__doc__.splitlines()[0]) as client:
        await main(client, reject=reject)


if __name__ == "__main__":
    asyncio.run(run())
