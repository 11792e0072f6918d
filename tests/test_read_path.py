"""The order list's read path through HTTP: one preload per page, staff data still hidden, exact JSON.

The statement budget of the plain admin page is in test_order_list_api.py; here it is held with
transitions selected too, and with the node's fields asked through fragments.
"""

from __future__ import annotations

import datetime
import json
import pathlib
from decimal import Decimal
from typing import Any

import graphql
import sqlalchemy as sa

from models import database
from models.enums import Role, TransactionKind, TransactionStatus
from models.orders import Order
from models.settings import Settings
from resolvers.core import events, loaders
from schema import app, direct_resolvers, root
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, Store, make_token
from tests.test_access_staff_data import every_field
from tests.test_order_list_api import ADMIN_LIST, _orders_with_everything

ADMIN_LIST_WITH_TRANSITIONS = ADMIN_LIST.replace(
    "customFields { systemName name type value }",
    "customFields { systemName name type value } transitions { state { name } allowed code }",
)
THROUGH_FRAGMENTS = """query($first: Int) { orders(first: $first, filter: {kind: ORDER}) {
  edges { node { ...Order } } } }
fragment Order on Order { id ... on Order { lines { productNumber ...LineFields } transactions { kind } } }
fragment LineFields on OrderLine { customFields { systemName value } }"""
DIRECT = """query($first: Int) { orders(first: $first, filter: {kind: ORDER}) {
  edges { node { id lines { productNumber customFields { systemName value } } transactions { kind } } } } }"""
MINE = """{ myOrders { edges { node { id comment ip events { message } transitions { allowed } captureState
  transactions { kind } } } } }"""
CARD_PAID = [(TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, Decimal("25.00"))]


async def test_the_admin_page_with_transitions_costs_the_same_statements_at_every_size(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    await _orders_with_everything(demo_store, 30)
    await admin.execute("{ paymentMethods { id } }")  # the token's first use writes last_used_at, once a minute
    counts, pages = [], []
    for size in (10, 30, 100, 250):
        count_statements.statements.clear()
        pages.append((await admin.execute(ADMIN_LIST_WITH_TRANSITIONS, {"first": size}))["orders"]["edges"])
        counts.append(count_statements.count)

    # the admin page's 4 (see test_order_list_api), then the flows' states joined to the rules from them
    assert counts == [5, 5, 5, 5], count_statements.statements
    assert [len(page) for page in pages] == [10, 30, 30, 30]
    node = pages[3][0]["node"]
    assert node["customFields"] == [{"systemName": "Channel", "name": "Channel", "type": "TEXT", "value": "web"}]
    assert {"state": {"name": "Picked"}, "allowed": True, "code": None} in node["transitions"]
    assert pages[0] == pages[3][:10]


async def test_fields_asked_through_fragments_are_preloaded_as_asked_directly(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    await _orders_with_everything(demo_store, 12)
    await admin.execute("{ paymentMethods { id } }")  # the token's first use writes last_used_at, once a minute

    answers, counts = [], []
    for document in (DIRECT, THROUGH_FRAGMENTS):
        count_statements.statements.clear()
        answers.append(await admin.execute(document, {"first": 12}))
        counts.append(count_statements.count)

    # the token, the page, the lines, then transactions and custom field values in one statement, either way
    assert counts == [4, 4], count_statements.statements
    assert answers[0] == answers[1]
    assert answers[1]["orders"]["edges"][0]["node"]["lines"][0]["customFields"] == [
        {"systemName": "Engraving", "value": "A"}
    ]


async def test_a_customers_page_reads_no_staff_data(
    api: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    mine = await factories.committed_orders(
        demo_store.db, 3, customer_id="C-7", payment_method="Card", transactions=CARD_PAID
    )
    now = datetime.datetime.now(datetime.UTC)
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Order).values(comment="Staff note", ip="192.0.2.7"))
        for order_id in await session.scalars(sa.select(Order.id)):
            events.record(session, order_id=order_id, source="checkout", message="Placed.", actor=None, now=now)
    customer = api.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="C-7"))

    count_statements.statements.clear()
    nodes = [edge["node"] for edge in (await customer.execute(MINE))["myOrders"]["edges"]]

    assert [node["id"] for node in nodes] == list(reversed(mine))
    assert {(node["comment"], node["ip"]) for node in nodes} == {(None, None)}
    assert {len(node["events"]) + len(node["transitions"]) for node in nodes} == {0}
    assert [node["transactions"] for node in nodes] == [[{"kind": "AUTHORIZE"}]] * 3
    assert {node["captureState"] for node in nodes} == {"NOT_CAPTURED"}
    assert not [statement for statement in count_statements.statements if "order_events" in statement]


def test_responses_are_encoded_as_json_would_even_past_what_orjson_takes(tmp_path: pathlib.Path) -> None:
    db = database.connect(Settings(), url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")  # never connected
    view = app.GraphQLView(root.build(Settings()), db=db, settings=Settings())
    page = {"data": {"orders": {"totalCount": 2, "edges": [{"node": {"id": "ORDER1", "note": "Bl\u00e5 \u2603"}}]}}}
    huge = {"data": {"order": {"trackingParameters": {"n": 2**70 + 1}}}}

    assert json.loads(view.encode_json(page)) == page
    assert view.encode_json(huge) == json.dumps(huge, separators=(",", ":")).encode()
    assert json.loads(view.encode_json(huge)) == huge


def test_only_plain_resolvers_are_called_directly() -> None:
    schema = root.build(Settings())
    order = schema._schema.type_map["Order"].fields

    direct = {name for name, field in order.items() if field.resolve.__module__ == direct_resolvers.__name__}

    # sync resolvers of the parent and info only; fields with arguments or async resolvers keep Strawberry's
    assert {"id", "state", "lines", "captureState", "events", "transitions", "comment"} <= direct
    assert not direct & {"compare", "version", "versions", "shop", "paymentMethod", "createdAt", "total"}
    assert direct_resolvers.install(root.build(Settings())) > len(direct)


async def test_the_page_loads_only_the_columns_its_fields_read_and_each_field_reads_as_on_its_own(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    await _orders_with_everything(demo_store, 3)
    await factories.committed_orders(demo_store.db, 2, customer_id="C-7", payment_method="Card", transactions=CARD_PAID)
    await admin.execute("{ paymentMethods { id } }")  # the token's first use writes last_used_at, once a minute
    arguments = {"number": "1", "from": "1", "cartId": '"CART0"'}
    # compare is left out: these orders have no version 1 to compare with (an error, not a value)
    selections = [
        selection
        for selection in _top_level_selections(every_field("Order", depth=1, arguments=arguments))
        if not selection.startswith("compare")
    ]

    count_statements.statements.clear()
    await admin.execute(DIRECT, {"first": 5})
    [page_statement] = [statement for statement in count_statements.statements if "FROM orders" in statement]
    for selection in selections:
        page = await admin.execute(f"{{ orders(first: 5) {{ edges {{ node {{ id {selection} }} }} }} }}")
        nodes = [edge["node"] for edge in page["orders"]["edges"]]
        alone = [
            (await admin.execute(f'{{ order(id: "{node["id"]}") {{ id {selection} }} }}'))["order"] for node in nodes
        ]
        assert nodes == alone, selection

    assert "orders.public_id" in page_statement
    assert "orders.secret_hash" not in page_statement
    assert "orders.customer_email" not in page_statement
    assert len(selections) > 40


def _top_level_selections(selection: str) -> list[str]:
    """`{ a b { c } d }` → ["a", "b { c }", "d"]."""
    [operation] = graphql.parse(selection).definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    return [graphql.print_ast(field).replace("\n", " ") for field in operation.selection_set.selections]


async def test_relations_read_together_are_the_rows_each_loader_reads_alone(
    demo_store: Store, count_statements: StatementCounter
) -> None:
    await _orders_with_everything(demo_store, 3)
    names = (
        "custom_field_values_by_order_id",
        "events_by_order_id",
        "transactions_by_order_id",
        "order_lines_by_order_id",
    )
    async with demo_store.db.read_sessions() as session:
        order_ids = [*(await session.scalars(sa.select(Order.id).order_by(Order.id))).all(), -1]  # -1: no order
        alone = loaders.Loaders(session)
        expected = {name: _values(await getattr(alone, name).load_many(order_ids)) for name in names}
    async with demo_store.db.read_sessions() as session:
        together = loaders.Loaders(session)
        count_statements.statements.clear()
        await loaders.prime_together(session, [getattr(together, name) for name in names], order_ids)
        assert count_statements.count == 1, count_statements.statements
        read = {name: _values(await getattr(together, name).load_many(order_ids)) for name in names}
        definitions = await together.custom_field_definition_by_id.load_many(
            sorted({value["definition_id"] for rows in read[names[0]] for value in rows})
        )
        assert count_statements.count == 1, count_statements.statements  # primed, definitions too

    assert read == expected
    assert [len(rows) for rows in read["order_lines_by_order_id"]][-4:] == [5, 5, 5, 0]
    assert {len(rows) for rows in read["transactions_by_order_id"][-4:-1]} == {2}
    assert {definition.system_name for definition in definitions} == {"Channel", "Engraving"}


def _values(lists: list[list[Any]]) -> list[list[dict[str, Any]]]:
    """Each row's mapped column values."""
    return [
        [
            {attribute.key: getattr(row, attribute.key) for attribute in sa.inspect(row).mapper.column_attrs}
            for row in rows
        ]
        for rows in lists
    ]
