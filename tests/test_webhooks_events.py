"""Every event of the WebhookEvent enum reaches a subscribed endpoint once, for changes that committed only."""

from __future__ import annotations

import collections
import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest

from models.access import Role
from resolvers.fulfilment import tracking
from tests import test_recurring_api as recurring_api
from tests import webhook_helpers as hooks
from tests.conftest import GraphQLClient, Store, make_token
from tests.return_helpers import RECEIVE, REFUND, REJECT, act, created, line, placed_order
from tests.storefront_helpers import COMPLETE, SET_DETAILS, catalogue, checkout, filled_cart, mutate, succeed
from tests.test_quotes_api import ACCEPT, SUBMIT, _offer
from tests.test_quotes_api import REJECT as REJECT_QUOTE

CHANGE = "mutation($ids: [ID!]!, $s: ID!) { changeState(orderIds: $ids, stateId: $s) { ok } }"
CANCEL = "mutation($ids: [ID!]!) { cancel(orderIds: $ids) { ok } }"
DELETE_ORDERS = "mutation($ids: [ID!]!) { delete(orderIds: $ids) { ok } }"
EDIT = """mutation($o: ID!, $i: EditOrderInput!) { edit(orderId: $o, input: $i) { userErrors { code message } } }"""
CARRIER = "mutation($i: TrackAndTraceInput!) { createTrackAndTrace(input: $i) { trackAndTrace { id } } }"
SET_TRACKING = """mutation($o: ID!, $t: ID!, $n: String!) {
  setTracking(orderId: $o, trackAndTraceId: $t, trackingNumber: $n) { userErrors { code message } } }"""
IMPORT = "mutation($o: [ImportOrderInput!]!) { importOrders(orders: $o) { ok results { orderId } } }"
STAFF_FIELDS = {"comment", "events", "ip", "versions", "version", "compare", "transitions", "secret"}


@pytest.fixture
def receiver() -> Iterator[hooks.Receiver]:
    with hooks.Receiver() as receiver:
        yield receiver


async def _order_states(admin: GraphQLClient) -> dict[str, str]:
    data = await admin.execute("query { flows(kind: ORDER) { states { id name } } }")
    return {state["name"]: state["id"] for flow in data["flows"] for state in flow["states"]}


async def _quote_journey(api: GraphQLClient, admin: GraphQLClient, store: Store) -> None:
    """quote.submitted twice, quote.rejected, order.state_changed (offered), quote.accepted, order.created…"""
    customer = api.as_role(await make_token(store, Role.CUSTOMER, customer_id="c-ada"))
    ids = await catalogue(api)
    rejected = await succeed(customer, SUBMIT, {"c": (await filled_cart(customer, ids)).id})
    assert (await mutate(customer, REJECT_QUOTE, {"q": rejected["id"], "r": "Too dear"}))["userErrors"] == []
    accepted = await succeed(customer, SUBMIT, {"c": (await filled_cart(customer, ids)).id})
    await _offer(admin, accepted["id"])
    await succeed(customer, ACCEPT, {"q": accepted["id"]})


async def _declined_checkout(api: GraphQLClient) -> None:
    """payment.failed, and no order.created."""
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    await succeed(
        api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customer": {"email": "decline-authorize@x.dk"}}}
    )
    order = await checkout(api, cart)
    declined = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    assert [error["code"] for error in declined["userErrors"]] == ["PROVIDER_DECLINED"]


async def _import(admin: GraphQLClient) -> None:
    ids = await catalogue(admin)
    sale = {
        "channel": "pos", "externalId": "R-1", "createdAt": "2026-11-20T09:30:00+00:00",
        "customer": {"email": "ada@example.com", "countryCode": "DK"},
        "lines": [{"productId": ids["BOOK-COOK"], "quantity": "1"}],
        "paymentMethodId": ids["Card"], "shippingMethodId": ids["Flat rate"], "paid": True,
    }  # fmt: skip
    assert (await admin.execute(IMPORT, {"o": [sale]}))["importOrders"]["ok"] is True


async def test_every_event_is_delivered_once_with_the_orders_public_fields(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await hooks.subscribe(admin, receiver.url)
    states = await _order_states(admin)
    placed = await placed_order(api, admin)
    assert (await admin.execute(CHANGE, {"ids": [placed.id], "s": states["Picked"]}))["changeState"]["ok"] is True
    carrier = await admin.execute(
        CARRIER, {"i": {"name": "GLS", "urlTemplate": "https://gls.example/{TrackingNumber}"}}
    )
    tracked = await mutate(
        admin, SET_TRACKING, {"o": placed.id, "t": carrier["createTrackAndTrace"]["trackAndTrace"]["id"], "n": "GLS1"}
    )
    assert tracked["userErrors"] == []
    kept = await created(admin, placed.id, [line(placed.line_ids["TSHIRT-BLK-M"], "1")])
    assert (await act(admin, RECEIVE, kept["id"]))["userErrors"] == []
    assert (await act(admin, REFUND, kept["id"]))["userErrors"] == []
    refused = await created(admin, placed.id, [line(placed.line_ids["BOOK-COOK"], "1")])
    assert (await act(admin, REJECT, refused["id"], why="Worn"))["userErrors"] == []
    edited = await placed_order(api, admin, capture=False)
    assert (await mutate(admin, EDIT, {"o": edited.id, "i": {"comment": "Gift wrap"}}))["userErrors"] == []
    assert (await admin.execute(CANCEL, {"ids": [edited.id]}))["cancel"]["ok"] is True
    assert (await admin.execute(DELETE_ORDERS, {"ids": [edited.id]}))["delete"]["ok"] is True
    await _quote_journey(api, admin, demo_store)
    await _declined_checkout(api)
    await _import(admin)

    report = await hooks.deliver(demo_store)

    expected = {
        "order.created": 4, "payment.authorized": 3, "payment.captured": 1, "order.state_changed": 2,
        "tracking.set": 1, "return.created": 2, "return.received": 1, "return.refunded": 1, "payment.refunded": 1,
        "return.rejected": 1, "order.edited": 1, "order.cancelled": 1, "order.deleted": 1,
        "quote.submitted": 2, "quote.rejected": 1, "quote.accepted": 1, "payment.failed": 1,
    }  # fmt: skip
    assert collections.Counter(receiver.types()) == expected
    assert set(expected) == {event.lower().replace("_", ".", 1) for event in hooks.ALL_EVENTS}
    assert (report.sent, report.retrying, report.failed) == (sum(expected.values()), 0, 0)
    assert len({received.headers["webhook-id"] for received in receiver.received}) == len(receiver.received)
    of_placed = [r for r in receiver.received if json.loads(r.body)["data"]["order"]["id"] == placed.id]
    assert [r.type for r in of_placed] == [
        "order.created", "payment.authorized", "payment.captured", "order.state_changed", "tracking.set",
        "return.created", "return.received", "return.refunded", "payment.refunded", "return.created",
        "return.rejected",
    ]  # fmt: skip
    body = json.loads(of_placed[3].body)
    order = body["data"]["order"]
    assert (order["state"]["name"], order["kind"], order["captureState"]) == ("Picked", "ORDER", "CAPTURED")
    assert (order["customer"]["email"], order["total"]["withVat"]) == ("shopper@example.com", "73.85")
    assert not STAFF_FIELDS & set(order)
    assert body["timestamp"].endswith("+00:00")
    captured = json.loads(of_placed[2].body)["data"]["transaction"]
    assert (captured["kind"], captured["amount"], captured["currency"]) == ("CAPTURE", "73.85", "EUR")


async def test_only_subscribed_events_reach_an_endpoint(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    await hooks.subscribe(admin, receiver.url, ["PAYMENT_CAPTURED"])

    await placed_order(api, admin)
    await hooks.deliver(demo_store)

    assert receiver.types() == ["payment.captured"]


async def test_a_failed_mutation_delivers_nothing(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    placed = await placed_order(api, admin, capture=False)
    await hooks.subscribe(admin, receiver.url)

    again = await admin.execute(CHANGE, {"ids": [placed.id], "s": "999999"})
    deleted = await admin.execute(DELETE_ORDERS, {"ids": [placed.id]})
    await hooks.deliver(demo_store)

    assert (again["changeState"]["ok"], deleted["delete"]["ok"]) == (False, False)
    assert receiver.received == []
    assert await hooks.deliveries_of(demo_store) == []


async def test_a_failed_second_field_delivers_only_what_committed(
    api: GraphQLClient,
    admin: GraphQLClient,
    demo_store: Store,
    receiver: hooks.Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placed = await placed_order(api, admin, capture=False)
    await hooks.subscribe(admin, receiver.url)
    states = await _order_states(admin)
    carrier = await admin.execute(
        CARRIER, {"i": {"name": "GLS", "urlTemplate": "https://gls.example/{TrackingNumber}"}}
    )
    real_set_tracking = tracking.set_tracking

    async def set_then_fail(*args: Any, **kwargs: Any) -> None:
        await real_set_tracking(*args, **kwargs)  # writes the change and notes tracking.set
        raise RuntimeError("the store went away")

    monkeypatch.setattr(tracking, "set_tracking", set_then_fail)
    response = await admin.post(
        """mutation($ids: [ID!]!, $s: ID!, $o: ID!, $t: ID!) {
          changeState(orderIds: $ids, stateId: $s) { ok }
          setTracking(orderId: $o, trackAndTraceId: $t, trackingNumber: "X") { userErrors { code } } }""",
        {
            "ids": [placed.id],
            "s": states["Picked"],
            "o": placed.id,
            "t": carrier["createTrackAndTrace"]["trackAndTrace"]["id"],
        },
    )
    await hooks.deliver(demo_store)

    assert [error["message"] for error in response.json()["errors"]] == ["Internal server error"]
    read = await admin.execute(
        "query($id: ID!) { order(id: $id) { trackingNumber state { name } } }", {"id": placed.id}
    )
    assert read["order"]["trackingNumber"] is None
    # The first field's change is delivered exactly when it committed; the failed field's never.
    assert receiver.types() == (["order.state_changed"] if read["order"]["state"]["name"] == "Picked" else [])


async def test_a_generated_recurring_order_is_created_once(
    admin: GraphQLClient, demo_store: Store, receiver: hooks.Receiver
) -> None:
    template = await recurring_api._template(admin)
    assert (await recurring_api._create(admin, template))["userErrors"] == []
    await hooks.subscribe(admin, receiver.url, ["ORDER_CREATED"])

    run = await recurring_api._run(admin, recurring_api.START)
    clock = hooks.Clock()
    clock.now = datetime.datetime.fromisoformat(recurring_api.START)  # the run's own time
    await hooks.deliver(demo_store, clock)

    [generated] = [result["orderId"] for result in run["results"]]
    assert receiver.types() == ["order.created"]
    assert json.loads(receiver.received[0].body)["data"]["order"]["id"] == generated
