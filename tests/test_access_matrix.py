"""Who may call what (design.md, Access): every root field of the served schema, for every kind of caller.

The fields come from the served schema, so a new root field fails `test_every_root_field_has_an_expectation`
(and its own matrix row) until EXPECTATIONS says who may call it and ARGUMENTS how. Each cell sends a real
document with valid arguments against Ann's records (`tests.access_world`): a refused call must be refused
exactly as the design says (a FORBIDDEN user error, a top-level FORBIDDEN, NOT_FOUND or null for a record
the caller may not reach) and must leave every row of the store as it was; an allowed call must succeed.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import pytest

from tests.access_arguments import ARGUMENTS, Arguments, declared_arguments
from tests.access_world import (
    CUSTOMER_ID,
    OTHER_CUSTOMER_ID,
    ROOT_TYPES,
    WRONG_SECRET,
    Clients,
    Record,
    World,
    compose,
    store_rows,
)
from tests.conftest import GraphQLClient, Store


class Secret(enum.Enum):
    """Which secret a caller passes where a field takes one: none, the record's own, a wrong one, another cart's."""

    NONE = enum.auto()
    OWN = enum.auto()
    WRONG = enum.auto()
    OTHER = enum.auto()


@dataclasses.dataclass(frozen=True)
class Principal:
    name: str
    client: str  # the attribute of `Clients` that calls
    secret: Secret = Secret.NONE


PRINCIPALS = (
    Principal("anonymous", "anonymous"),
    Principal("wrong secret", "anonymous", Secret.WRONG),
    Principal("another cart's secret", "anonymous", Secret.OTHER),
    Principal("other customer", "other_customer"),
    Principal("STOREFRONT", "storefront"),
    Principal("CUSTOMER", "customer"),
    Principal("ADMIN", "admin"),
    Principal("own secret", "anonymous", Secret.OWN),
)


class Refusal(enum.Enum):
    FORBIDDEN = "a FORBIDDEN user error"
    NOT_FOUND = "a NOT_FOUND user error, as for a missing record"
    TOP_LEVEL_FORBIDDEN = "a top-level error with extensions.code FORBIDDEN"
    NULL = "null, as for a missing record"


@dataclasses.dataclass(frozen=True)
class Expectation:
    allowed: frozenset[str]
    refusal: Refusal | None = None  # None: everyone is allowed


EVERYONE = Expectation(frozenset(principal.name for principal in PRINCIPALS))
STAFF_QUERY = Expectation(frozenset({"ADMIN"}), Refusal.TOP_LEVEL_FORBIDDEN)
STAFF_MUTATION = Expectation(frozenset({"ADMIN"}), Refusal.FORBIDDEN)
# A cart, checkout or quote: its secret's holder, its customer and admins; for anyone else it does not exist.
OWN_RECORD = frozenset({"own secret", "CUSTOMER", "ADMIN"})
SHOPPING = Expectation(OWN_RECORD, Refusal.NOT_FOUND)

EXPECTATIONS: dict[str, Expectation] = {
    "order": Expectation(OWN_RECORD, Refusal.NULL),
    "myOrders": Expectation(frozenset({"CUSTOMER", "other customer"}), Refusal.TOP_LEVEL_FORBIDDEN),
    **dict.fromkeys(["products", "paymentMethods", "shippingMethods", "trackAndTraces"], EVERYONE),
    "customFieldDefinitions": EVERYONE,
    **dict.fromkeys(["orders", "flows", "flow", "state", "salesSummary", "recurringSchedules"], STAFF_QUERY),
    "createCart": EVERYONE,
    **dict.fromkeys(
        ["addToCart", "updateCartLine", "removeCartLine", "setCartDetails", "startCheckout", "completeCheckout"],
        SHOPPING,
    ),
    **dict.fromkeys(["submitQuote", "acceptQuote", "rejectQuote"], SHOPPING),
    **dict.fromkeys(
        [
            "edit",
            "changeState",
            "previewStateChange",
            "authorize",
            "capture",
            "refund",
            "releaseAuthorization",
            "cancel",
            "delete",
            "markExported",
            "setTracking",
        ],
        STAFF_MUTATION,
    ),
    **dict.fromkeys(
        ["createFlow", "updateFlow", "deleteFlow", "createState", "updateState", "deleteState", "setStateRules"],
        STAFF_MUTATION,
    ),
    **dict.fromkeys(["createCustomFieldDefinition", "deleteCustomFieldDefinition"], STAFF_MUTATION),
    **dict.fromkeys(["createReturn", "receiveReturn", "refundReturn", "rejectReturn"], STAFF_MUTATION),
    **dict.fromkeys(["importOrders", "createRecurring", "cancelRecurring", "runDueRecurring"], STAFF_MUTATION),
    **dict.fromkeys(["createTrackAndTrace", "updateTrackAndTrace", "deleteTrackAndTrace"], STAFF_MUTATION),
    **dict.fromkeys(["webhooks", "webhook"], STAFF_QUERY),
    **dict.fromkeys(
        ["createWebhook", "updateWebhook", "deleteWebhook", "rotateWebhookSecret", "redeliverWebhook"], STAFF_MUTATION
    ),
}

ROOT_FIELDS = sorted(name for type_ in ROOT_TYPES.values() if type_ is not None for name in type_.fields)
# myOrders answers a connection: its ids and customers show whose records it lists.
SELECTIONS = {"myOrders": "{ edges { node { id customerId } } }"}


def test_every_root_field_has_an_expectation() -> None:
    assert sorted(EXPECTATIONS) == ROOT_FIELDS
    assert sorted(ARGUMENTS) == ROOT_FIELDS


@pytest.mark.parametrize("field", ROOT_FIELDS)
async def test_who_may_call_each_root_field(field: str, api: GraphQLClient, demo_store: Store) -> None:
    expectation = EXPECTATIONS.get(field)
    assert expectation is not None, f"{field} is served but no one said who may call it: add it to EXPECTATIONS"
    clients = await Clients.of(api, demo_store)
    shared = World(clients)
    refused = [principal for principal in PRINCIPALS if principal.name not in expectation.allowed]
    calls = [(principal, await _arguments(field, shared, principal)) for principal in refused]
    before = await store_rows(demo_store)

    for principal, arguments in calls:
        body = await _send(clients, principal, field, arguments)
        assert expectation.refusal is not None
        _assert_refused(body, field, expectation.refusal, principal)
        assert await store_rows(demo_store) == before, f"{field} refused to {principal.name} changed the store"

    for principal in PRINCIPALS:
        if principal.name in expectation.allowed:
            world = World(clients)  # fresh records: an allowed call changes them
            arguments = await _arguments(field, world, principal)
            _assert_allowed(await _send(clients, principal, field, arguments), field, arguments, principal)


async def _arguments(field: str, world: World, principal: Principal) -> Arguments:
    """The field's arguments as this caller passes them: the secret replaced by the caller's own."""
    arguments = await declared_arguments(field, world)
    if "secret" not in arguments:
        return arguments
    if principal.secret is Secret.NONE:
        del arguments["secret"]
    elif principal.secret is Secret.WRONG:
        arguments["secret"] = WRONG_SECRET
    elif principal.secret is Secret.OTHER:
        arguments["secret"] = await world.other_cart_secret()
    return arguments


async def _send(clients: Clients, principal: Principal, field: str, arguments: Arguments) -> dict[str, Any]:
    client: GraphQLClient = getattr(clients, principal.client)
    response = await client.post(compose(field, arguments, SELECTIONS.get(field)), arguments)
    assert response.status_code == 200, (field, principal.name, response.text)
    return response.json()  # type: ignore[no-any-return]


def _assert_refused(body: dict[str, Any], field: str, refusal: Refusal, principal: Principal) -> None:
    who = f"{field} for {principal.name}: expected {refusal.value}, got {body}"
    if refusal is Refusal.TOP_LEVEL_FORBIDDEN:
        assert body.get("data") in (None, {field: None}), who
        assert [(error["path"], error["extensions"]["code"]) for error in body["errors"]] == [([field], "FORBIDDEN")]
        return
    assert "errors" not in body, who
    result = body["data"][field]
    if refusal is Refusal.NULL:
        assert result is None, who
        return
    code = "FORBIDDEN" if refusal is Refusal.FORBIDDEN else "NOT_FOUND"
    if "results" in result:
        assert result["ok"] is False, who
        assert [[error["code"] for error in item["userErrors"]] for item in result["results"]] == [[code]], who
    else:
        assert [error["code"] for error in result["userErrors"]] == [code], who


def _assert_allowed(body: dict[str, Any], field: str, arguments: Arguments, principal: Principal) -> None:
    who = f"{field} for {principal.name}: expected it allowed, got {body}"
    assert "errors" not in body, who
    result = body["data"][field]
    assert result is not None, who
    if isinstance(result, dict) and "userErrors" in result:
        assert result["userErrors"] == [], who
    if isinstance(result, dict) and "results" in result:
        assert result["ok"] is True, who
        assert all(item["userErrors"] == [] for item in result["results"]), who
    if isinstance(result, dict) and "id" in result and "id" in arguments:
        assert result["id"] == arguments["id"], who
    if field == "myOrders":
        customer = {"CUSTOMER": CUSTOMER_ID, "other customer": OTHER_CUSTOMER_ID}[principal.name]
        listed = [edge["node"] for edge in result["edges"]]
        assert {node["customerId"] for node in listed} == ({CUSTOMER_ID} if customer == CUSTOMER_ID else set()), who


# A completed order's secret only reads it: each storefront call that takes a secret answers as for any
# completed record, and changes nothing.
COMPLETED_ORDER_REFUSALS = {
    **dict.fromkeys(["addToCart", "updateCartLine", "removeCartLine", "setCartDetails"], "NOT_EDITABLE"),
    **dict.fromkeys(["startCheckout", "completeCheckout"], "ALREADY_DONE"),
    **dict.fromkeys(["submitQuote", "acceptQuote", "rejectQuote"], "NOT_EDITABLE"),
}
MUTATIONS_WITH_A_SECRET = sorted(
    name for name, field in (ROOT_TYPES["mutation"].fields if ROOT_TYPES["mutation"] else {}).items()
    if "secret" in field.args
)  # fmt: skip
OWN_SECRET = next(principal for principal in PRINCIPALS if principal.secret is Secret.OWN)


class CompletedOrderWorld(World):
    """Ann's records, in which her cart, checkout and quotes are all her completed order."""

    def __init__(self, clients: Clients) -> None:
        super().__init__(clients)
        self._records = World(clients)

    async def cart(self) -> Record:
        return await self._records.order()

    checkout = quote = offered_quote = cart


def test_every_call_with_a_secret_has_an_answer_for_a_completed_order() -> None:
    assert sorted(COMPLETED_ORDER_REFUSALS) == MUTATIONS_WITH_A_SECRET


async def test_a_completed_orders_secret_only_reads_it(api: GraphQLClient, demo_store: Store) -> None:
    clients = await Clients.of(api, demo_store)
    world = CompletedOrderWorld(clients)
    calls = [(field, await _arguments(field, world, OWN_SECRET)) for field in MUTATIONS_WITH_A_SECRET]
    order = await world.cart()
    before = await store_rows(demo_store)

    for field, arguments in calls:
        result = (await _send(clients, OWN_SECRET, field, arguments))["data"][field]
        assert [error["code"] for error in result["userErrors"]] == [COMPLETED_ORDER_REFUSALS[field]], field
        assert await store_rows(demo_store) == before, f"{field} with a completed order's secret changed the store"

    read = await api.execute(
        compose("order", {"id": order.id, "secret": order.secret}), {"id": order.id, "secret": order.secret}
    )
    assert read == {"order": {"id": order.id}}
