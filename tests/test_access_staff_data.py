"""Staff data and the secret's read window (design.md, Access), as each caller reads their own record.

The record is read with every field of Order the served schema has, three levels deep, so a new field is
read too: the record's customer and its secret's holder get exactly what an admin gets, but for the staff
fields, which they read as null, an empty list or a comparison without changes, never as an error.
"""

from __future__ import annotations

import datetime
from typing import Any

import graphql
import httpx
import sqlalchemy as sa

from models.orders import Order
from models.settings import Settings
from schema.app import create_app
from tests.access_world import SERVED, Clients, World, call, compose, days_ago, store_rows
from tests.conftest import GraphQLClient, Store

STAFF_FIELDS = {
    "Order": {"comment", "ip", "events", "versions", "version", "compare", "transitions"},
    "Flow": {"states"},
    "State": {"allowedNext", "mail", "requirements"},
}
EDIT_COMMENT = "Wrap it as a gift"


def every_field(type_name: str, *, depth: int, arguments: dict[str, str]) -> str:
    """A selection of every field of the type, objects `depth` levels down; an Order below the top by its id."""
    type_ = SERVED.get_type(type_name)
    assert isinstance(type_, graphql.GraphQLObjectType)
    selected = ["__typename"]
    for name, field in type_.fields.items():
        given = [f"{argument}: {arguments[argument]}" for argument in field.args if argument in arguments]
        head = f"{name}({', '.join(given)})" if given else name
        named = graphql.get_named_type(field.type)
        if not isinstance(named, graphql.GraphQLObjectType):
            selected.append(head)
        elif named.name == "Order":
            selected.append(f"{head} {{ __typename id }}")
        elif depth > 0:
            selected.append(f"{head} {every_field(named.name, depth=depth - 1, arguments=arguments)}")
    return "{ " + " ".join(selected) + " }"


def without_staff_fields(value: Any, staff: list[tuple[str, Any]], path: str = "") -> Any:
    """The value with every staff field taken out into `staff` (as path and value)."""
    if isinstance(value, list):
        return [without_staff_fields(item, staff, f"{path}.{index}") for index, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    hidden = STAFF_FIELDS.get(value.get("__typename", ""), set())
    kept = {}
    for key, item in value.items():
        if key in hidden:
            staff.append((f"{path}.{key}", item))
        else:
            kept[key] = without_staff_fields(item, staff, f"{path}.{key}")
    return kept


def is_empty(value: Any) -> bool:
    return value in (None, []) or (isinstance(value, dict) and value.get("changes") == [])


async def test_staff_data_reads_empty_for_the_customer_and_the_secret_and_in_full_for_admins(
    api: GraphQLClient, demo_store: Store
) -> None:
    clients = await Clients.of(api, demo_store)
    world = World(clients)
    order = await world.captured_order()
    await world.requested_return()
    await call(
        clients.admin, "edit", {"orderId": order.id, "input": {"comment": EDIT_COMMENT}}, "{ userErrors { code } }"
    )
    for state in ("Picked", "Shipped"):  # Shipped has rules and a mail
        state_id = await world.state_id("ORDER", state)
        await call(clients.admin, "changeState", {"orderIds": [order.id], "stateId": state_id}, "{ ok }")
    # ShippingMethod.feeFor takes a cart id without a secret, so it is asked for a cart no one has.
    fields = every_field("Order", depth=3, arguments={"number": "1", "from": "1", "cartId": '"CART0"'})
    document = f"query($id: ID!, $secret: String) {{ order(id: $id, secret: $secret) {fields} }}"

    views, staff = {}, {}
    for name, client, secret in (
        ("ADMIN", clients.admin, None), ("CUSTOMER", clients.customer, None), ("own secret", api, order.secret),
    ):  # fmt: skip
        read = (await client.execute(document, {"id": order.id, "secret": secret}))["order"]
        staff[name] = []
        views[name] = without_staff_fields(read, staff[name])

    assert views["CUSTOMER"] == views["ADMIN"]
    assert views["own secret"] == views["ADMIN"]
    paths = [path for path, _ in staff["ADMIN"]]
    assert paths == [path for path, _ in staff["CUSTOMER"]] == [path for path, _ in staff["own secret"]]
    for reader in ("CUSTOMER", "own secret"):
        shown = [(path, value) for path, value in staff[reader] if not is_empty(value)]
        assert shown == [], f"{reader} reads staff data"
    seen_by_admin = dict(staff["ADMIN"])
    for path in (".comment", ".ip", ".events", ".versions", ".version", ".compare", ".state.allowedNext"):
        assert not is_empty(seen_by_admin[path]), path
    assert seen_by_admin[".comment"] == EDIT_COMMENT
    assert seen_by_admin[".state.mail"]["template"] == "order-shipped.html"
    assert seen_by_admin[".flow.states"] != []


async def test_a_completed_orders_secret_reads_it_for_the_read_window_only(
    api: GraphQLClient, demo_store: Store
) -> None:
    clients = await Clients.of(api, demo_store)
    order = await World(clients).order()
    read = compose("order", {"id": order.id, "secret": order.secret})
    by_secret = {"id": order.id, "secret": order.secret}

    fresh = await api.execute(read, by_secret)
    await _completed_at(demo_store, order.id, days_ago(29))
    late = await api.execute(read, by_secret)
    await _completed_at(demo_store, order.id, days_ago(31))
    expired = await api.execute(read, by_secret)

    assert fresh == late == {"order": {"id": order.id}}
    assert expired == {"order": None}
    for owner in (clients.customer, clients.admin):
        assert await owner.execute(read, {"id": order.id}) == {"order": {"id": order.id}}
    longer = create_app(Settings(database_url=demo_store.url, secret_read_days=60), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=longer), base_url="http://ordergraph.test") as http:
        assert await GraphQLClient(http).execute(read, by_secret) == {"order": {"id": order.id}}


async def test_a_retried_completion_answers_its_secret_within_the_read_window_only(
    api: GraphQLClient, demo_store: Store
) -> None:
    checkout = await World(await Clients.of(api, demo_store)).checkout()
    arguments = {"orderId": checkout.id, "secret": checkout.secret, "idempotencyKey": "checkout-1"}
    complete = compose("completeCheckout", arguments, "{ order { id } userErrors { code } }")

    first = (await api.execute(complete, arguments))["completeCheckout"]
    again = (await api.execute(complete, arguments))["completeCheckout"]
    await _completed_at(demo_store, checkout.id, days_ago(31))
    before = await store_rows(demo_store)
    expired = (await api.execute(complete, arguments))["completeCheckout"]

    assert first == again == {"order": {"id": checkout.id}, "userErrors": []}
    assert expired == {"order": None, "userErrors": [{"code": "NOT_FOUND"}]}
    assert await store_rows(demo_store) == before


async def _completed_at(store: Store, public_id: str, moment: datetime.datetime) -> None:
    async with store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Order).where(Order.public_id == public_id).values(completed_at=moment))
