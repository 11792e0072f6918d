"""Plain completion (`schema.plain_execution`) answers exactly what graphql-core's own completion answers.

Every document is sent to two apps over the same store, one with the plain completion and one without,
and the two bodies must be the same JSON: data, errors, their paths and nulls. The documents are the admin
page (with transitions), fragments, aliases, @skip/@include, __typename, every field of Order for an admin
and for the record's customer, fuzzed queries of every root field, and a getter that raises deep in the page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import graphql
import httpx
import hypothesis_graphql
import pytest

from models.enums import Role
from models.settings import Settings
from resolvers.payments import ledger
from schema import app, root
from tests import factories
from tests.conftest import Store, make_token
from tests.test_access_staff_data import every_field
from tests.test_fuzz import ROOT_FIELDS, SCALARS, SDL, draw
from tests.test_order_list_api import _orders_with_everything
from tests.test_read_path import ADMIN_LIST_WITH_TRANSITIONS, CARD_PAID, MINE, THROUGH_FRAGMENTS

SHAPES = """query($first: Int, $withLines: Boolean!, $noMoney: Boolean!) {
  page: orders(first: $first) { __typename totalCount edges { __typename cursor node {
    __typename key: id other: id
    lines @include(if: $withLines) { __typename productNumber n: quantity }
    captureState @skip(if: $noMoney)
    ... on Order { total { __typename withVat withoutVat } state { __typename name } }
    ...Money @skip(if: $noMoney)
  } } }
}
fragment Money on Order { authorizedAmount capturedAmount transactions { kind amount } }"""


@pytest.fixture
async def pair(demo_store: Store) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Clients of the served app and of the same app completing every field through graphql-core."""
    settings = Settings(database_url=demo_store.url)
    apps = [
        app.create_app(settings, db=demo_store.db),
        app.create_app(settings, db=demo_store.db, schema=root.build(settings, plain_completion=False)),
    ]
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[0]), base_url="http://ordergraph.test") as plain,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[1]), base_url="http://ordergraph.test") as core,
    ):
        yield plain, core


async def _same(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], token: str | None, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Both apps' answer to the document, asserted equal; that answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    bodies = []
    for client in pair:
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        bodies.append((response.status_code, response.json()))
    assert bodies[0] == bodies[1], query
    return bodies[0][1]  # type: ignore[no-any-return]


async def test_the_admin_page_and_its_shapes_are_answered_alike(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_store: Store
) -> None:
    await _orders_with_everything(demo_store, 12)
    token = await make_token(demo_store, Role.ADMIN)

    page = await _same(pair, token, ADMIN_LIST_WITH_TRANSITIONS, {"first": 12})
    fragments = await _same(pair, token, THROUGH_FRAGMENTS, {"first": 12})
    shapes = [
        await _same(pair, token, SHAPES, {"first": 5, "withLines": lines, "noMoney": no_money})
        for lines, no_money in ((True, False), (False, True))
    ]

    assert len(page["data"]["orders"]["edges"]) == 12
    assert fragments["data"]["orders"]["edges"][0]["node"]["lines"][0]["customFields"] == [
        {"systemName": "Engraving", "value": "A"}
    ]
    first = [body["data"]["page"]["edges"][0]["node"] for body in shapes]
    assert first[0]["__typename"] == "Order"
    assert first[0]["key"] == first[0]["other"]
    assert {"lines", "captureState", "transactions"} <= first[0].keys()
    assert not {"lines", "captureState", "transactions"} & first[1].keys()


async def test_every_field_of_an_order_reads_alike_for_an_admin_and_its_customer(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_store: Store
) -> None:
    [public_id] = await factories.committed_orders(
        demo_store.db, 1, customer_id="C-7", payment_method="Card", transactions=CARD_PAID
    )
    selection = every_field("Order", depth=2, arguments={"number": "1", "from": "1", "cartId": '"CART0"'})
    document = f'{{ order(id: "{public_id}") {selection} }}'
    admin = await make_token(demo_store, Role.ADMIN)
    customer = await make_token(demo_store, Role.CUSTOMER, customer_id="C-7")

    # compare is left out for the admin: the order has no version 1, and that error (while other fields of the
    # order are still loading) leaves a connection unreturned on main too
    as_admin = await _same(pair, admin, _without_field(document, "compare"), {})
    as_customer = await _same(pair, customer, document, {})
    mine = await _same(pair, customer, MINE, {})

    assert "errors" not in as_admin, as_admin["errors"]
    assert as_admin["data"]["order"]["id"] == public_id
    assert as_customer["data"]["order"]["comment"] is None
    assert mine["data"]["myOrders"]["edges"][0]["node"]["transitions"] == []


def _without_field(document: str, name: str) -> str:
    class Drop(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_: Any) -> Any:
            return graphql.REMOVE if node.name.value == name else None

    return graphql.print_ast(graphql.visit(graphql.parse(document), Drop()))


async def test_a_getter_that_raises_in_the_page_is_answered_alike(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _orders_with_everything(demo_store, 4)
    token = await make_token(demo_store, Role.ADMIN)
    real = ledger.amounts

    def failing_once_per_order(transactions: Any, **keywords: Any) -> ledger.Amounts:
        rows = list(transactions)
        if rows and rows[0].order_id % 2 == 0:
            raise RuntimeError("the ledger broke")
        return real(rows, **keywords)

    monkeypatch.setattr(ledger, "amounts", failing_once_per_order)
    body = await _same(pair, token, ADMIN_LIST_WITH_TRANSITIONS, {"first": 4})

    # captureState, each edge's node, the edges and the list are non-null: the null reaches `orders`
    assert body["data"] is None
    assert {tuple(error["path"][-1:]) for error in body["errors"]} == {("captureState",)}
    assert {error["message"] for error in body["errors"]} == {"Internal server error"}


async def test_fuzzed_queries_are_answered_alike(
    pair: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_store: Store
) -> None:
    await _orders_with_everything(demo_store, 3)
    token = await make_token(demo_store, Role.ADMIN)
    queries = [
        document
        for field in ROOT_FIELDS["query"]
        for document in draw(hypothesis_graphql.queries(SDL, fields=[field], custom_scalars=SCALARS), 2)
    ]

    answered = [await _same(pair, token, document, {}) for document in queries]

    assert len(answered) >= len(ROOT_FIELDS["query"])
    assert any(body.get("data") for body in answered)
