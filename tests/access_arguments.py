"""Valid arguments of every root field, built on Ann's records (`tests.access_world.World`).

Each builder gives what its fields need, the record's secret included where a field takes one; a builder
shared by several fields may give more than one of them declares (`declared_arguments` keeps what it does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.access_world import ROOT_TYPES, TRACKING_URL, Record, World, operation_of, unique_name

Arguments = dict[str, Any]
ARGUMENTS: dict[str, Callable[[World], Awaitable[Arguments]]] = {}


def arguments_of(*fields: str) -> Callable[[Callable[[World], Awaitable[Arguments]]], Any]:
    """Register the builder of valid arguments of these fields (a record's secret included where taken)."""

    def register(builder: Callable[[World], Awaitable[Arguments]]) -> Callable[[World], Awaitable[Arguments]]:
        for field in fields:
            assert field not in ARGUMENTS, field
            ARGUMENTS[field] = builder
        return builder

    return register


@arguments_of("paymentMethods", "shippingMethods", "trackAndTraces", "customFieldDefinitions", "flows")
@arguments_of("recurringSchedules", "createCart", "runDueRecurring")
async def _no_arguments(_: World) -> Arguments:
    return {}


@arguments_of("products", "orders")
async def _a_page(_: World) -> Arguments:
    return {"first": 5}


@arguments_of("myOrders")
async def _with_a_cart_of_ann(world: World) -> Arguments:
    await world.cart()
    return {}


def _by_secret(argument: str, record: Record) -> Arguments:
    """The record by its id in `argument`, with its secret (the caller's own replaces it)."""
    return {argument: record.id, "secret": record.secret}


@arguments_of("order")
async def _ann_cart(world: World) -> Arguments:
    return _by_secret("id", await world.cart())


@arguments_of("flow")
async def _spare_flow(world: World) -> Arguments:
    return {"id": (await world.spare_flow())[0]}


@arguments_of("state")
async def _shipped(world: World) -> Arguments:
    return {"id": await world.state_id("ORDER", "Shipped")}


@arguments_of("salesSummary")
async def _this_year(_: World) -> Arguments:
    return {"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


@arguments_of("addToCart", "updateCartLine", "removeCartLine", "setCartDetails", "startCheckout", "submitQuote")
async def _cart_change(world: World) -> Arguments:
    cart = await world.cart()
    return _by_secret("cartId", cart) | await _cart_change_details(world, cart.line_id)


async def _cart_change_details(world: World, line_id: str) -> Arguments:
    """What each cart change needs besides the cart (the builder is shared; each field takes what it declares)."""
    return {
        "lines": [{"productId": (await world.ids())["BOOK-COOK"], "quantity": "1"}],
        "lineId": line_id,
        "quantity": "3",
        "details": {"displayName": "Ann's cart"},
    }


@arguments_of("completeCheckout")
async def _started_checkout(world: World) -> Arguments:
    return _by_secret("orderId", await world.checkout())


@arguments_of("acceptQuote")
async def _offered_quote(world: World) -> Arguments:
    return _by_secret("quoteId", await world.offered_quote())


@arguments_of("rejectQuote")
async def _open_quote(world: World) -> Arguments:
    return _by_secret("quoteId", await world.quote()) | {"reason": "Too dear"}


@arguments_of("edit")
async def _edit(world: World) -> Arguments:
    return {"orderId": (await world.order()).id, "input": {"comment": "Leave it at the door"}}


@arguments_of("changeState", "previewStateChange")
async def _to_picked(world: World) -> Arguments:
    return {"orderIds": [(await world.order()).id], "stateId": await world.state_id("ORDER", "Picked")}


@arguments_of("capture", "cancel", "markExported")
async def _the_order(world: World) -> Arguments:
    return {"orderIds": [(await world.order()).id]}


@arguments_of("refund")
async def _captured(world: World) -> Arguments:
    return {"orderId": (await world.captured_order()).id}


@arguments_of("authorize")
async def _a_euro_more(world: World) -> Arguments:
    return {"orderId": (await world.order()).id, "amount": "1.00"}


@arguments_of("releaseAuthorization")
async def _the_authorized_order(world: World) -> Arguments:
    return {"orderId": (await world.order()).id}


@arguments_of("delete")
async def _the_cart(world: World) -> Arguments:
    return {"orderIds": [(await world.cart()).id]}


@arguments_of("createFlow")
async def _new_flow(_: World) -> Arguments:
    return {"input": {"name": unique_name("Marketplace"), "kind": "ORDER"}}


@arguments_of("updateFlow", "deleteFlow")
async def _flow_change(world: World) -> Arguments:
    return {"id": (await world.spare_flow())[0], "input": {"name": unique_name("Renamed"), "kind": "ORDER"}}


@arguments_of("createState")
async def _new_state(world: World) -> Arguments:
    return {"input": {"flowId": (await world.spare_flow())[0], "name": "Third"}}


@arguments_of("updateState", "deleteState")
async def _second_state(world: World) -> Arguments:
    return {"id": (await world.spare_flow())[2], "input": {"name": "Renamed"}}


@arguments_of("setStateRules")
async def _rule(world: World) -> Arguments:
    _, first, second = await world.spare_flow()
    return {"stateId": first, "toStateIds": [second]}


@arguments_of("createCustomFieldDefinition")
async def _new_field(_: World) -> Arguments:
    name = unique_name("Gift")
    return {"input": {"systemName": name, "name": name, "target": "ORDER", "type": "TEXT"}}


@arguments_of("deleteCustomFieldDefinition")
async def _field(world: World) -> Arguments:
    return {"systemName": await world.custom_field(), "target": "ORDER"}


@arguments_of("createReturn")
async def _return_request(world: World) -> Arguments:
    order = await world.captured_order()
    return {"orderId": order.id, "lines": [{"orderLineId": order.line_id, "quantity": "1"}]}


@arguments_of("receiveReturn", "rejectReturn")
async def _requested_return(world: World) -> Arguments:
    return {"returnId": await world.requested_return()}


@arguments_of("refundReturn")
async def _received_return(world: World) -> Arguments:
    return {"returnId": await world.received_return()}


@arguments_of("importOrders")
async def _sale(world: World) -> Arguments:
    line = {"productId": (await world.ids())["BOOK-COOK"], "quantity": "1"}
    return {"orders": [{"channel": "pos", "externalId": unique_name("sale-"), "lines": [line]}]}


@arguments_of("createRecurring")
async def _subscription(world: World) -> Arguments:
    return {"input": {"templateOrderId": (await world.order()).id, "interval": 1, "unit": "MONTH"}}


@arguments_of("cancelRecurring")
async def _schedule(world: World) -> Arguments:
    return {"id": await world.schedule()}


@arguments_of("setTracking")
async def _tracking(world: World) -> Arguments:
    order_id, carrier = (await world.order()).id, await world.track_and_trace()
    return {"orderId": order_id, "trackAndTraceId": carrier, "trackingNumber": "00370712345"}


@arguments_of("createTrackAndTrace")
async def _new_carrier(_: World) -> Arguments:
    return {"input": {"name": unique_name("GLS"), "urlTemplate": TRACKING_URL}}


@arguments_of("updateTrackAndTrace", "deleteTrackAndTrace")
async def _carrier(world: World) -> Arguments:
    return {"id": await world.track_and_trace(), "input": {"name": unique_name("DAO"), "urlTemplate": TRACKING_URL}}


@arguments_of("webhooks")
async def _no_webhook_arguments(_: World) -> Arguments:
    return {}


@arguments_of("createWebhook")
async def _new_webhook(_: World) -> Arguments:
    return {"input": {"url": "https://erp.example.com/hooks", "events": ["ORDER_CREATED"]}}


@arguments_of("webhook", "updateWebhook", "deleteWebhook", "rotateWebhookSecret")
async def _webhook(world: World) -> Arguments:
    return {"id": await world.webhook(), "input": {"url": "https://wms.example.com/hooks", "events": ["ORDER_EDITED"]}}


@arguments_of("redeliverWebhook")
async def _delivery(world: World) -> Arguments:
    return {"deliveryId": await world.webhook_delivery()}


async def declared_arguments(field: str, world: World) -> Arguments:
    """The builder's arguments that the field declares."""
    root_type = ROOT_TYPES[operation_of(field)]
    assert root_type is not None
    declared = root_type.fields[field].args
    return {name: value for name, value in (await ARGUMENTS[field](world)).items() if name in declared}
