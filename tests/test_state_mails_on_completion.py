"""A completed checkout enters the default ORDER state like any state change: that state's mails are queued."""

from __future__ import annotations

import sqlalchemy as sa

from models.mail import OutboxMail
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import COMPLETE, catalogue, checkout, filled_cart, mutate

UPDATE_STATE = (
    """mutation($id: ID!, $i: StateUpdateInput!) { updateState(id: $id, input: $i) { userErrors { code } } }"""
)


async def test_completing_a_checkout_queues_the_default_states_mail(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    flows = await admin.execute("query { flows(kind: ORDER) { states { id name } } }")
    received = next(state for state in flows["flows"][0]["states"] if state["name"] == "Received")
    configured = await admin.execute(
        UPDATE_STATE,
        {
            "id": received["id"],
            "i": {"mail": {"template": "order-shipped.html", "subject": "Thank you for {{ order.id }}"}},
        },
    )
    assert configured["updateState"]["userErrors"] == []
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)

    completed = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    retried = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})

    assert completed["userErrors"] == []
    assert [error["code"] for error in retried["userErrors"]] == ["ALREADY_DONE"]
    async with demo_store.db.read_sessions() as session:
        mails = (await session.execute(sa.select(OutboxMail.recipients, OutboxMail.subject))).all()
    assert [(list(recipients), subject) for recipients, subject in mails] == [
        (["shopper@example.com"], f"Thank you for {order['id']}")
    ]
