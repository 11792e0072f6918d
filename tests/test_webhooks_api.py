"""Webhook endpoints over GraphQL: admins only, http(s) URLs, the secret served only when it is made."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.access import Role
from models.enums import WebhookEvent
from models.orders import Order
from models.webhooks import Webhook, WebhookDelivery
from resolvers.core import notifications
from resolvers.integrations import webhook_outbox
from tests import factories
from tests import webhook_helpers as hooks
from tests.conftest import GraphQLClient, Store, make_token

LIST = "query { webhooks { id url events isActive description } }"


async def test_an_admin_registers_changes_rotates_and_deletes_an_endpoint(admin: GraphQLClient) -> None:
    made = (
        await admin.execute(
            hooks.CREATE,
            {
                "i": {
                    "url": " https://erp.example/hooks ",
                    "events": ["ORDER_CREATED", "ORDER_CREATED"],
                    "description": "ERP",
                }
            },
        )
    )["createWebhook"]
    webhook_id = made["webhook"]["id"]
    changed = (
        await admin.execute(
            hooks.UPDATE,
            {
                "id": webhook_id,
                "i": {"url": "http://10.0.0.7:8080/in", "events": ["PAYMENT_FAILED"], "isActive": False},
            },
        )
    )["updateWebhook"]
    rotated = (await admin.execute(hooks.ROTATE, {"id": webhook_id}))["rotateWebhookSecret"]
    listed = (await admin.execute(LIST))["webhooks"]
    deleted = (await admin.execute(hooks.DELETE, {"id": webhook_id}))["deleteWebhook"]
    gone = (await admin.execute(hooks.READ, {"id": webhook_id}))["webhook"]

    assert made["userErrors"] == []
    assert (made["webhook"]["url"], made["webhook"]["events"], made["webhook"]["isActive"]) == (
        "https://erp.example/hooks", ["ORDER_CREATED"], True,
    )  # fmt: skip
    assert made["secret"].startswith("whsec_")
    assert len(made["secret"]) == 50
    assert changed["secret"] is None
    assert (changed["webhook"]["url"], changed["webhook"]["events"], changed["webhook"]["isActive"]) == (
        "http://10.0.0.7:8080/in", ["PAYMENT_FAILED"], False,
    )  # fmt: skip
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    assert listed == [
        {
            "id": webhook_id,
            "url": "http://10.0.0.7:8080/in",
            "events": ["PAYMENT_FAILED"],
            "isActive": False,
            "description": None,
        }
    ]
    assert (deleted, gone) == ({"deletedId": webhook_id, "userErrors": []}, None)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://erp.example/hooks", "A webhook URL is an http:// or https:// URL with a host."),
        ("file:///etc/passwd", "A webhook URL is an http:// or https:// URL with a host."),
        ("https://", "A webhook URL is an http:// or https:// URL with a host."),
        (
            "https://user:pw@erp.example/",
            "A webhook URL may not carry credentials; the signature authenticates the sender.",
        ),
        ("https://erp.example/a b", "A webhook URL may not contain spaces or control characters."),
        ("", "A webhook URL is 1 to 2000 characters."),
    ],
)
async def test_only_http_and_https_urls_are_taken(
    admin: GraphQLClient, demo_store: Store, url: str, message: str
) -> None:
    payload = (await admin.execute(hooks.CREATE, {"i": {"url": url, "events": ["ORDER_CREATED"]}}))["createWebhook"]

    assert payload == {
        "secret": None,
        "webhook": None,
        "userErrors": [{"field": ["input", "url"], "message": message, "code": "INVALID"}],
    }
    assert (await admin.execute(LIST))["webhooks"] == []


async def test_an_endpoint_needs_an_event(admin: GraphQLClient) -> None:
    payload = (await admin.execute(hooks.CREATE, {"i": {"url": "https://erp.example", "events": []}}))["createWebhook"]

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["input", "events"])]


@pytest.mark.parametrize("role", [None, Role.STOREFRONT, Role.CUSTOMER])
async def test_a_non_admin_can_neither_see_nor_change_webhooks(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, role: Role | None
) -> None:
    webhook_id, _ = await hooks.subscribe(admin, "https://erp.example/hooks")
    token = await make_token(demo_store, role, customer_id="c-ada" if role is Role.CUSTOMER else None) if role else None
    caller = api.as_role(token)

    listed = (await caller.post(LIST)).json()
    read = (await caller.post(hooks.READ, {"id": webhook_id})).json()
    created = await caller.execute(hooks.CREATE, {"i": {"url": "https://evil.example", "events": ["ORDER_CREATED"]}})
    rotated = (await caller.execute(hooks.ROTATE, {"id": webhook_id}))["rotateWebhookSecret"]
    deleted = (await caller.execute(hooks.DELETE, {"id": webhook_id}))["deleteWebhook"]
    redelivered = (await caller.execute(hooks.REDELIVER, {"d": "1"}))["redeliverWebhook"]

    assert [error["message"] for error in listed["errors"]] == ["Only an admin may read this."]
    assert [error["message"] for error in read["errors"]] == ["Only an admin may read this."]
    for payload in (created["createWebhook"], rotated, deleted, redelivered):
        assert [error["code"] for error in payload["userErrors"]] == ["FORBIDDEN"]
    assert rotated["secret"] is None
    assert [hook["id"] for hook in (await admin.execute(LIST))["webhooks"]] == [webhook_id]


async def test_unknown_ids_are_not_found(admin: GraphQLClient) -> None:
    updated = await admin.execute(
        hooks.UPDATE, {"id": "77", "i": {"url": "https://x.example", "events": ["ORDER_CREATED"]}}
    )
    redelivered = (await admin.execute(hooks.REDELIVER, {"d": "nope"}))["redeliverWebhook"]

    assert [(e["code"], e["field"]) for e in updated["updateWebhook"]["userErrors"]] == [("NOT_FOUND", ["id"])]
    assert [(e["code"], e["field"]) for e in redelivered["userErrors"]] == [("NOT_FOUND", ["deliveryId"])]


async def test_a_rolled_back_savepoint_drops_its_notices_and_a_commit_writes_the_rest(
    demo_store: Store, now: datetime.datetime
) -> None:
    webhook_outbox.install()
    public_id = await factories.committed_order(demo_store.db)
    async with demo_store.db.write_sessions() as session, session.begin():
        hook = Webhook(url="http://127.0.0.1:9/", events=["order.edited"], is_active=True, secret="whsec_eA==")
        hook.created_at = now
        session.add(hook)
    async with demo_store.db.write_sessions() as session, session.begin():
        order = (await session.scalars(sa.select(Order).where(Order.public_id == public_id))).one()
        savepoint = await session.begin_nested()
        notifications.notify(session, event=WebhookEvent.ORDER_EDITED, order=order, now=now, data={"kept": False})
        await savepoint.rollback()
        notifications.notify(session, event=WebhookEvent.ORDER_EDITED, order=order, now=now, data={"kept": True})
    async with demo_store.db.write_sessions() as session:
        await _rolled_back_transaction(session, order.id, now)

    async with demo_store.db.read_sessions() as session:
        written = (await session.scalars(sa.select(WebhookDelivery))).all()
    assert [(delivery.event, delivery.order_id, delivery.payload["data"]["kept"]) for delivery in written] == [
        (WebhookEvent.ORDER_EDITED, order.id, True)
    ]


async def _rolled_back_transaction(session: AsyncSession, order_id: int, now: datetime.datetime) -> None:
    order = await session.get_one(Order, order_id)
    notifications.notify(session, event=WebhookEvent.ORDER_EDITED, order=order, now=now, data={"kept": False})
    await session.rollback()
    await session.commit()
