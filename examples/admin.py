"""An admin's day: list orders with filters, open one, edit it with a preview, capture part, move it on, refund part.

    TOKEN=$(.venv/bin/ordergraph token create --role ADMIN --name examples | tail -n 1)
    ORDERGRAPH_TOKEN=$TOKEN python examples/admin.py

It works on the newest order that is still in the ORDER flow's first state with a card authorization
that can be captured (the demo data has some; examples/storefront.py makes one).
"""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal

import httpx
from graphql_client import client_from_command_line, graphql

FLOWS = "{ flows(kind: ORDER) { name states { id name isDefault allowEdit } } }"
LIST = """query($filter: OrderFilter) {
  orders(first: 5, filter: $filter, sort: {field: CREATED_AT, direction: DESC}) {
    totalCount
    edges { node { id createdAt customer { name } total { withVat } currency { code } captureState } }
  }
}"""
OPEN = """query($id: ID!) {
  order(id: $id) {
    id revision state { name } total { withVat } currency { code } paymentDelta authorizationExpiresAt
    lines { id type productNumber quantity price { withVat } }
    transitions { state { id name } allowed reason }
  }
}"""
EDIT = """mutation($id: ID!, $revision: Int, $input: EditOrderInput!, $dryRun: Boolean) {
  edit(orderId: $id, expectedRevision: $revision, input: $input, dryRun: $dryRun) {
    order { id revision total { withVat } discountTotal { withVat } versions { number } }
    userErrors { field message code }
  }
}"""
CAPTURE = """mutation($id: ID!, $amount: Decimal) {
  capture(orderIds: [$id], amount: $amount) {
    results { order { capturedAmount captureState } userErrors { field message code } }
  }
}"""
CHANGE_STATE = """mutation($id: ID!, $state: ID!) {
  changeState(orderIds: [$id], stateId: $state) {
    results { order { state { name } } userErrors { field message code } }
  }
}"""
REFUND = """mutation($id: ID!, $amount: Decimal, $reason: String) {
  refund(orderId: $id, amount: $amount, reason: $reason) {
    order { capturedAmount refundedAmount captureState paymentDelta }
    userErrors { field message code }
  }
}"""
GOODWILL = {"addOrderDiscounts": [{"name": "Goodwill", "amount": "5.00"}], "comment": "Sorry for the wait."}


async def main(client: httpx.AsyncClient) -> str:
    """Work through one order; returns its id."""
    [flow] = (await graphql(client, FLOWS))["flows"]
    received = next(state for state in flow["states"] if state["isDefault"])
    # Orders waiting in the first state whose card authorization can still be captured (it lapses within 8 days).
    lapsing_before = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=8)).isoformat()
    wanted = {
        "kind": "ORDER",
        "stateIds": [received["id"]],
        "captureState": "NOT_CAPTURED",
        "authorizationExpiresBefore": lapsing_before,
    }
    listed = (await graphql(client, LIST, {"filter": wanted}))["orders"]
    print(f"{listed['totalCount']} orders in {received['name']} with a card authorization to capture; the newest:")
    for edge in listed["edges"]:
        order = edge["node"]
        total = f"{order['total']['withVat']} {order['currency']['code']}"
        print(f"  {order['id']}  {order['createdAt'][:10]}  {order['customer']['name'] or '-':<20} {total}")
    order_id = listed["edges"][0]["node"]["id"]

    order = (await graphql(client, OPEN, {"id": order_id}))["order"]
    products = [f"{line['quantity']} x {line['productNumber']}" for line in order["lines"] if line["type"] == "PRODUCT"]
    print(f"{order_id} ({order['state']['name']}, revision {order['revision']}): {', '.join(products)}")

    # A dry run answers the order as the edit would leave it, and writes nothing; then the edit itself.
    variables = {"id": order_id, "revision": order["revision"], "input": GOODWILL}
    preview = (await graphql(client, EDIT, {**variables, "dryRun": True}))["edit"]["order"]
    print(f"preview of a 5.00 goodwill discount: total {order['total']['withVat']} -> {preview['total']['withVat']}")
    edited = (await graphql(client, EDIT, variables))["edit"]["order"]
    print(f"edited: revision {edited['revision']}, versions kept {len(edited['versions'])}")

    half = (Decimal(edited["total"]["withVat"]) / 2).quantize(Decimal("0.01"))
    [captured] = (await graphql(client, CAPTURE, {"id": order_id, "amount": str(half)}))["capture"]["results"]
    print(f"captured {half} of {edited['total']['withVat']}: capture state {captured['order']['captureState']}")

    next_state = next(transition["state"] for transition in order["transitions"] if transition["allowed"])
    moved = await graphql(client, CHANGE_STATE, {"id": order_id, "state": next_state["id"]})
    print(f"moved to {moved['changeState']['results'][0]['order']['state']['name']}")

    refunded = await graphql(client, REFUND, {"id": order_id, "amount": "2.50", "reason": "A scratched mug"})
    money = refunded["refund"]["order"]
    print(f"refunded 2.50: {money['refundedAmount']} of {money['capturedAmount']} captured is refunded")
    return str(order_id)


async def run() -> None:
    async with client_from_command_line(__doc__.splitlines()[0]) as client:
        await main(client)


if __name__ == "__main__":
    asyncio.run(run())
