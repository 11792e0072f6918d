"""The order list and myOrders through HTTP: connections, errors, access, and the statement budget."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.custom_fields import CustomFieldDefinition
from models.enums import CustomFieldTarget, CustomFieldType, OrderKind, Role, TransactionKind, TransactionStatus
from models.orders import OrderLine
from resolvers.core import events, orders
from resolvers.setup import custom_fields
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, Store, make_token

ADMIN_LIST = """query($first: Int, $after: String) {
  orders(first: $first, after: $after, filter: {kind: ORDER}, sort: {field: CREATED_AT, direction: DESC}) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id revision captureState total { withVat }
      state { name } flow { name }
      lines { productNumber quantity price { withVat } customFields { systemName value } }
      transactions { kind status amount }
      events { source message }
      customFields { systemName name type value }
    } }
  }
}"""


async def _orders_with_everything(store: Store, count: int) -> list[str]:
    """Orders with 5 lines, 2 transactions, an event and order and line custom field values."""
    numbers = ("MUG-CER", "CAP-NAVY", "SOCKS-3PK", "BAG-TOTE", "UMBRELLA")
    lines = [factories.Line(number, unit_price=Decimal("10.00")) for number in numbers]
    transactions = [
        (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, Decimal("50.00")),
        (TransactionKind.CAPTURE, TransactionStatus.SUCCEEDED, Decimal("20.00")),
    ]
    now = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
    async with store.db.write_sessions() as session, session.begin():
        for system_name, target in (("Channel", CustomFieldTarget.ORDER), ("Engraving", CustomFieldTarget.ORDER_LINE)):
            if await session.scalar(_definition_named(system_name)) is None:
                await custom_fields.create_definition(
                    session,
                    system_name=system_name,
                    name=system_name,
                    target=target,
                    type=CustomFieldType.TEXT,
                    options=None,
                    required=False,
                )
        public_ids = []
        for position in range(count):
            order = await factories.create_order(
                session,
                now=now + datetime.timedelta(seconds=position),
                lines=lines,
                payment_method="Card",
                transactions=transactions,
            )
            events.record(session, order_id=order.id, source="checkout", message="Placed.", actor=None, now=now)
            line = await _first_line(session, order.id)
            await custom_fields.write_values(
                session, order_id=order.id, line_id=None, values=[custom_fields.FieldValue("Channel", "web")], field=[]
            )
            await custom_fields.write_values(
                session, order_id=order.id, line_id=line, values=[custom_fields.FieldValue("Engraving", "A")], field=[]
            )
            public_ids.append(order.public_id)
    return public_ids


def _definition_named(system_name: str) -> sa.Select[tuple[int]]:
    return sa.select(CustomFieldDefinition.id).where(CustomFieldDefinition.system_name == system_name)


async def _first_line(session: AsyncSession, order_id: int) -> int | None:
    return (
        await session.scalars(sa.select(OrderLine.id).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    ).first()


async def test_the_admin_list_costs_the_same_few_statements_for_10_to_250_orders(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    await _orders_with_everything(demo_store, 100)
    await admin.execute("{ paymentMethods { id } }")  # the token's first use writes last_used_at, once a minute
    counts = []
    for size in (10, 20, 100, 250):
        count_statements.statements.clear()
        data = await admin.execute(ADMIN_LIST, {"first": size})
        counts.append(count_statements.count)
        assert len(data["orders"]["edges"]) == min(size, 100)

    node = data["orders"]["edges"][0]["node"]
    # the token, the page, the lines, then transactions, events and custom field values in one statement
    assert counts == [4, 4, 4, 4], count_statements.statements
    assert data["orders"]["totalCount"] == 100
    assert node["captureState"] == "SPLIT_CAPTURED"
    assert (node["state"], node["flow"]) == ({"name": "Received"}, {"name": "Orders"})
    assert len(node["lines"]) == 5
    assert node["lines"][0]["customFields"] == [{"systemName": "Engraving", "value": "A"}]
    assert node["lines"][1]["customFields"] == []
    assert node["customFields"] == [{"systemName": "Channel", "name": "Channel", "type": "TEXT", "value": "web"}]
    assert node["events"] == [{"source": "checkout", "message": "Placed."}]
    assert [t["kind"] for t in node["transactions"]] == ["AUTHORIZE", "CAPTURE"]


async def test_pages_through_http(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await factories.committed_orders(demo_store.db, 5)
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
      orders(first: $first, after: $after, last: $last, before: $before, sort: {field: ID, direction: ASC}) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } }
      }
    }"""

    first = (await admin.execute(query, {"first": 2}))["orders"]
    second = (await admin.execute(query, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["orders"]
    back = (await admin.execute(query, {"last": 2, "before": second["pageInfo"]["startCursor"]}))["orders"]

    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2]
    assert [edge["node"]["id"] for edge in second["edges"]] == ids[2:4]
    assert [edge["node"]["id"] for edge in back["edges"]] == ids[:2]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        5,
        True,
        False,
    )
    assert (second["pageInfo"]["hasNextPage"], second["pageInfo"]["hasPreviousPage"]) == (True, True)
    assert (back["pageInfo"]["hasNextPage"], back["pageInfo"]["hasPreviousPage"]) == (True, False)


async def test_an_empty_page_still_counts_the_whole_list(admin: GraphQLClient, demo_store: Store) -> None:
    await factories.committed_orders(demo_store.db, 3)
    query = """query($after: String, $search: String) {
      orders(first: 5, after: $after, filter: {search: $search}) {
        totalCount pageInfo { endCursor } edges { node { id } }
      }
    }"""
    everything = (await admin.execute(query))["orders"]

    beyond_the_end = (await admin.execute(query, {"after": everything["pageInfo"]["endCursor"]}))["orders"]
    nothing_found = (await admin.execute(query, {"search": "no such order"}))["orders"]

    assert (beyond_the_end["totalCount"], beyond_the_end["edges"]) == (3, [])
    assert (nothing_found["totalCount"], nothing_found["edges"]) == (0, [])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ('after: "garbage"', "`after` is not a cursor of this list and sort."),
        ('filter: {flowId: "999999"}', "Flow 999999 was not found."),
        ('filter: {stateIds: ["x"]}', "State x was not found."),
        ("first: 251", "`first` may be at most 250."),
    ],
)
async def test_bad_list_arguments_are_top_level_errors(admin: GraphQLClient, arguments: str, message: str) -> None:
    response = await admin.post(f"query {{ orders({arguments}) {{ totalCount }} }}")

    assert response.json()["errors"][0]["message"] == message
    assert response.json()["data"] is None


async def test_the_list_is_for_admins(storefront: GraphQLClient) -> None:
    response = await storefront.post("query { orders { totalCount } }")

    assert response.json()["errors"][0]["message"] == "Only an admin may read this."


async def test_my_orders_lists_only_the_customers_own_records(api: GraphQLClient, demo_store: Store) -> None:
    mine = await factories.committed_orders(demo_store.db, 2, customer_id="C-7")
    [my_quote] = await factories.committed_orders(demo_store.db, 1, customer_id="C-7", kind=OrderKind.QUOTE, state=None)
    await factories.committed_orders(demo_store.db, 1, customer_id="C-8")
    await factories.committed_orders(demo_store.db, 1, customer_id="C-7", is_deleted=True)
    customer = api.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="C-7"))
    query = "query($k: OrderKind) { myOrders(kind: $k) { totalCount edges { node { id customerId } } } }"

    everything = (await customer.execute(query))["myOrders"]
    quotes = (await customer.execute(query, {"k": "QUOTE"}))["myOrders"]
    refused = (await api.as_role(await make_token(demo_store, Role.ADMIN)).post(query)).json()

    assert [edge["node"]["id"] for edge in everything["edges"]] == [my_quote, *reversed(mine)]
    assert everything["totalCount"] == 3
    assert [edge["node"]["id"] for edge in quotes["edges"]] == [my_quote]
    assert refused["errors"][0]["message"] == "myOrders needs a customer token."
    assert orders.PUBLIC_ID.match(my_quote)
