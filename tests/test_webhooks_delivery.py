"""The worker posts the outbox to a real receiver: signed, retried with the same id, failed, redelivered, raced."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator

import pytest
import standardwebhooks

from models import database
from models.enums import DeliveryStatus
from models.settings import Settings
from resolvers.integrations import webhook_delivery
from tests import webhook_helpers as hooks
from tests.conftest import GraphQLClient, Store
from tests.return_helpers import placed_order


@pytest.fixture
def receiver() -> Iterator[hooks.Receiver]:
    with hooks.Receiver() as receiver:
        yield receiver


async def _captured_order(api: GraphQLClient, admin: GraphQLClient, receiver: hooks.Receiver) -> str:
    """An endpoint for payment.captured, and one captured order (one delivery)."""
    webhook_id, _ = await hooks.subscribe(admin, receiver.url, ["PAYMENT_CAPTURED"])
    await placed_order(api, admin)
    return webhook_id


async def test_every_delivery_verifies_with_the_standard_webhooks_verifier(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    _, secret = await hooks.subscribe(admin, receiver.url)
    await placed_order(api, admin)

    await hooks.deliver(demo_store)

    assert secret.startswith("whsec_")
    assert len(receiver.received) == 3
    verifier = standardwebhooks.Webhook(secret)
    for received in receiver.received:
        verified = verifier.verify(received.body, received.headers)
        assert verified["type"] == received.type
        assert received.headers["content-type"] == "application/json"
    forged = dict(receiver.received[0].headers, **{"webhook-id": "999"})
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        verifier.verify(receiver.received[0].body, forged)


async def test_500s_and_timeouts_are_retried_with_the_same_id_then_failed_then_redelivered(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    webhook_id = await _captured_order(api, admin, receiver)
    receiver.script = [500, hooks.HANG, 503]
    clock = hooks.Clock()

    first = await hooks.deliver(demo_store, clock)
    too_early = await hooks.deliver(demo_store, clock)
    clock.advance(minutes=1)
    second = await hooks.deliver(demo_store, clock)
    clock.advance(minutes=2)
    third = await hooks.deliver(demo_store, clock)

    assert [(r.retrying, r.failed) for r in (first, too_early, second, third)] == [(1, 0), (0, 0), (1, 0), (0, 1)]
    assert len(receiver.received) == 3
    assert len({received.headers["webhook-id"] for received in receiver.received}) == 1
    [delivery] = (await admin.execute(hooks.READ, {"id": webhook_id}))["webhook"]["deliveries"]
    assert (delivery["status"], delivery["attempts"], delivery["lastResponseStatus"]) == ("FAILED", 3, 503)
    assert delivery["lastError"] == "HTTP 503: "
    assert delivery["id"] == receiver.received[0].headers["webhook-id"]

    redelivered = (await admin.execute(hooks.REDELIVER, {"d": delivery["id"]}))["redeliverWebhook"]
    queued = (await admin.execute(hooks.READ, {"id": webhook_id, "status": "PENDING"}))["webhook"]["deliveries"]
    last = await hooks.deliver(demo_store, clock)

    assert (redelivered["userErrors"], redelivered["secret"], redelivered["webhook"]) == ([], None, {"id": webhook_id})
    assert [(d["id"], d["attempts"]) for d in queued] == [(delivery["id"], 0)]
    assert len(receiver.received) == 4
    assert last.sent == 1
    assert receiver.received[3].headers["webhook-id"] == delivery["id"]
    [done] = (await admin.execute(hooks.READ, {"id": webhook_id}))["webhook"]["deliveries"]
    assert (done["status"], done["attempts"], done["lastResponseStatus"], done["lastError"]) == (
        "DELIVERED",
        1,
        204,
        None,
    )
    assert done["deliveredAt"] is not None


async def test_a_timed_out_attempt_says_so(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await _captured_order(api, admin, receiver)
    receiver.script = [hooks.HANG]

    report = await hooks.deliver(demo_store)

    [delivery] = await hooks.deliveries_of(demo_store)
    assert report.retrying == 1
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error == f"Timeout: no whole answer within {hooks.TIMEOUT_SECONDS:g} seconds."


async def test_a_redirect_is_not_followed(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await _captured_order(api, admin, receiver)
    receiver.script = [301]

    report = await hooks.deliver(demo_store)

    [delivery] = await hooks.deliveries_of(demo_store)
    assert (report.sent, report.retrying, len(receiver.received)) == (0, 1, 1)
    assert (delivery.last_response_status, delivery.status) == (301, DeliveryStatus.PENDING)


async def test_deliveries_of_one_order_wait_for_the_earlier_one(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await hooks.subscribe(admin, receiver.url, ["ORDER_CREATED", "PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED"])
    await placed_order(api, admin)
    receiver.script = [500]
    clock = hooks.Clock()

    blocked = await hooks.deliver(demo_store, clock)
    clock.advance(minutes=1)
    resumed = await hooks.deliver(demo_store, clock)

    assert (blocked.retrying, blocked.sent) == (1, 0)
    assert resumed.sent == 3
    assert receiver.types() == ["order.created", "order.created", "payment.authorized", "payment.captured"]


async def test_two_workers_racing_one_backlog_post_each_delivery_once(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await hooks.subscribe(admin, receiver.url)
    for _ in range(3):
        await placed_order(api, admin)
    other_process = database.connect(Settings(pool_size=5), url=demo_store.url)
    clock = hooks.Clock()
    options = hooks.OPTIONS

    try:
        reports = await asyncio.gather(
            webhook_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock),
            webhook_delivery.deliver_due(other_process.write_sessions, options=options, clock=clock),
        )
    finally:
        await other_process.dispose()

    ids = collections.Counter(received.headers["webhook-id"] for received in receiver.received)
    assert len(ids) == 9
    assert set(ids.values()) == {1}
    assert sum(report.sent for report in reports) == 9
    assert {delivery.status for delivery in await hooks.deliveries_of(demo_store)} == {DeliveryStatus.DELIVERED}


async def test_an_inactive_or_deleted_endpoint_gets_nothing(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    with hooks.Receiver() as deleted_receiver:
        inactive, _ = await hooks.subscribe(admin, receiver.url, isActive=False)
        deleted, _ = await hooks.subscribe(admin, deleted_receiver.url)
        await placed_order(api, admin)
        removed = (await admin.execute(hooks.DELETE, {"id": deleted}))["deleteWebhook"]
        await placed_order(api, admin)

        await hooks.deliver(demo_store)

        assert removed == {"deletedId": deleted, "userErrors": []}
        assert (receiver.received, deleted_receiver.received) == ([], [])
    assert (await admin.execute(hooks.READ, {"id": inactive}))["webhook"]["deliveries"] == []
    assert await hooks.deliveries_of(demo_store) == []


async def test_a_paused_endpoints_queued_deliveries_wait_until_it_is_active_again(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    webhook_id = await _captured_order(api, admin, receiver)
    pause = {"url": receiver.url, "events": ["PAYMENT_CAPTURED"], "isActive": False}
    assert (await admin.execute(hooks.UPDATE, {"id": webhook_id, "i": pause}))["updateWebhook"]["userErrors"] == []

    paused = await hooks.deliver(demo_store)
    resume = dict(pause, isActive=True)
    assert (await admin.execute(hooks.UPDATE, {"id": webhook_id, "i": resume}))["updateWebhook"]["userErrors"] == []
    resumed = await hooks.deliver(demo_store)

    assert (paused.sent, resumed.sent) == (0, 1)
    assert receiver.types() == ["payment.captured"]
