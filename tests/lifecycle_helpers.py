"""GraphQL documents and steps shared by the lifecycle and transitions tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from models.mail import OutboxMail
from models.orders import OrderEvent
from resolvers.core import orders
from tests.conftest import GraphQLClient, Store

ERRORS = "userErrors { field message code }"
MOVED = "id revision state { name } flow { name }"
TRANSITIONS = "transitions { state { id name } allowed reason code }"
RESULTS = f"ok results {{ orderId order {{ {MOVED} }} {ERRORS} }}"
CHANGE = f"""mutation($ids: [ID!]!, $state: ID!) {{
  changeState(orderIds: $ids, stateId: $state) {{ {RESULTS} }} }}"""
PREVIEW = f"""mutation($ids: [ID!]!, $state: ID!) {{
  previewStateChange(orderIds: $ids, stateId: $state) {{ {RESULTS} }} }}"""
READ = f"query($id: ID!) {{ order(id: $id) {{ {MOVED} {TRANSITIONS} }} }}"
UPDATE_STATE = f"""mutation($id: ID!, $i: StateUpdateInput!) {{
  updateState(id: $id, input: $i) {{
    state {{ id name requirements mail {{ template otherTemplate }} }} {ERRORS} }} }}"""


async def state_ids(admin: GraphQLClient) -> dict[tuple[str, str], str]:
    """Every state of the default flows by (kind, name)."""
    data = await admin.execute("{ flows { kind isDefault states { id name } } }")
    return {
        (flow["kind"], state["name"]): state["id"]
        for flow in data["flows"]
        if flow["isDefault"]
        for state in flow["states"]
    }


async def change(admin: GraphQLClient, ids: list[str], state_id: str, *, preview: bool = False) -> dict[str, Any]:
    data = await admin.execute(PREVIEW if preview else CHANGE, {"ids": ids, "state": state_id})
    [payload] = data.values()
    return payload  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[list[str]]:
    return [[error["code"] for error in result["userErrors"]] for result in payload["results"]]


async def stored(store: Store, public_id: str) -> tuple[Any, ...]:
    """What a state change writes, read back in a fresh session: state, flow, revision, events, mails."""
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        events = await session.scalar(
            sa.select(sa.func.count()).select_from(OrderEvent).where(OrderEvent.order_id == order.id)
        )
        mails = await session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.order_id == order.id)
        )
        return (order.state_id, order.flow_id, order.revision, events, mails)
