"""The write path's HTTP iterations (see `benchmarks.load`): one bulk request each, raising on a wrong answer."""

from __future__ import annotations

from typing import Any

import httpx

from benchmarks import scenarios

RESULTS = "ok results { orderId userErrors { code message } }"
CAPTURE = f"mutation($ids: [ID!]!) {{ capture(orderIds: $ids) {{ {RESULTS} }} }}"
CHANGE_STATE = f"mutation($ids: [ID!]!, $state: ID!) {{ changeState(orderIds: $ids, stateId: $state) {{ {RESULTS} }} }}"
SALES_SUMMARY = """query($from: DateTime!, $to: DateTime!) { salesSummary(from: $from, to: $to, groupBy: "DAY") {
  key orders total { withVat } } }"""


async def bulk_capture(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """params: ids (orders with an authorization to capture)."""
    _all_ok((await scenarios.graphql(client, CAPTURE, {"ids": params["ids"]}))["capture"])


async def change_state(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """params: ids, state (a state every one of them may move to)."""
    variables = {"ids": params["ids"], "state": params["state"]}
    _all_ok((await scenarios.graphql(client, CHANGE_STATE, variables))["changeState"])


async def sales_summary(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    """params: from, to, orders (how many the range holds)."""
    span = {"from": params["from"], "to": params["to"]}
    counted = sum(row["orders"] for row in (await scenarios.graphql(client, SALES_SUMMARY, span))["salesSummary"])
    if counted != params["orders"]:
        raise RuntimeError(f"salesSummary counted {counted} orders, not {params['orders']}")


def _all_ok(payload: dict[str, Any]) -> None:
    if not payload["ok"]:
        refused = next(result for result in payload["results"] if result["userErrors"])
        raise RuntimeError(f"{refused['orderId']}: {refused['userErrors']}")
