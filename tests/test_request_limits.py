"""Limits across a request: the body size, the cost of a whole batch, page sizes through fragments."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from graphql import get_introspection_query
from sqlalchemy.ext.asyncio import AsyncSession

from benchmarks.scenarios import ADMIN_LIST
from models.base import Base
from models.catalog import Product
from models.orders import Order
from models.settings import Settings
from resolvers.core.errors import DomainErrors, ErrorCode
from schema import cost, limits, root
from schema.app import create_app
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, Store
from tests.storefront_helpers import ADD, SET_DETAILS, catalogue, create_cart, filled_cart, mutate, succeed

# The benchmark's admin page with its page size written in.
LIMIT_EXCEEDED = {"code": "LIMIT_EXCEEDED"}
MEGABYTE = 1024 * 1024
CREATE_CART = "mutation($d: CartDetailsInput) { createCart(details: $d) { cart { id } userErrors { code } } }"
# 30 aliases of the largest page: each query passes the per-query limits (aliases, page size, tokens).
THIRTY_PAGES = "{ " + " ".join(f"a{i}: products(first: 250) {{ id }}" for i in range(30)) + " }"
# Every list of an order at once, for a full page of them: over the limit on its own.
EVERY_LIST_OF_250_ORDERS = """{ orders(first: 250) { edges { node {
  lines { customFields { value } } events { message } transactions { amount } returns { lines { quantity } }
} } } }"""


async def _orders(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0)


def _cart_body(padding: int) -> bytes:
    """A createCart request, its comment `padding` characters long."""
    return json.dumps({"query": CREATE_CART, "variables": {"d": {"customerComment": "x" * padding}}}).encode()


async def test_a_body_over_the_limit_is_refused_unread_with_413(api: GraphQLClient, demo_store: Store) -> None:
    before = await _orders(demo_store)

    response = await api.http.post(
        "/graphql", content=_cart_body(MEGABYTE), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"message": "The request body is over the limit of 1048576 bytes.", "extensions": LIMIT_EXCEEDED}]
    }
    assert await _orders(demo_store) == before


async def test_a_chunked_body_is_read_no_further_than_the_limit(api: GraphQLClient, demo_store: Store) -> None:
    before = await _orders(demo_store)
    sent: list[int] = []
    chunk = b" " * (64 * 1024)

    async def twenty_megabytes() -> AsyncIterator[bytes]:
        # Whitespace after the document: valid JSON however far it is read.
        yield _cart_body(10)
        for _ in range(20 * 16):
            sent.append(len(chunk))
            yield chunk

    response = await api.http.post("/graphql", content=twenty_megabytes(), headers={"content-type": "application/json"})

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == LIMIT_EXCEEDED
    assert sum(sent) <= MEGABYTE + len(chunk)
    assert await _orders(demo_store) == before


async def test_a_body_within_the_limit_runs(api: GraphQLClient) -> None:
    response = await api.http.post("/graphql", content=_cart_body(9_000), headers={"content-type": "application/json"})

    assert response.status_code == 200
    assert response.json()["data"]["createCart"]["userErrors"] == []


async def test_the_body_size_limit_is_a_setting(demo_store: Store) -> None:
    app = create_app(Settings(database_url=demo_store.url, max_body_bytes=100), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        small = await http.post("/graphql", json={"query": "{ paymentMethods { id } }"})
        large = await http.post("/graphql", content=_cart_body(100), headers={"content-type": "application/json"})

    assert small.status_code == 200
    assert (large.status_code, large.json()["errors"][0]["extensions"]) == (413, LIMIT_EXCEEDED)


async def test_a_batch_over_the_cost_limit_is_refused_before_anything_runs(
    api: GraphQLClient, count_statements: StatementCounter, caplog: pytest.LogCaptureFixture
) -> None:
    batch = [{"query": THIRTY_PAGES}] * 20

    with caplog.at_level(logging.WARNING):
        response = await api.http.post("/graphql", json=batch)

    assert response.status_code == 200
    message = "The batch may cost about 150000 points; at most 50000 are allowed."
    assert response.json() == [{"data": None, "errors": [{"message": message, "extensions": LIMIT_EXCEEDED}]}] * 20
    assert count_statements.count == 0
    assert caplog.records == []


async def test_one_operation_of_that_batch_is_within_the_limit(api: GraphQLClient) -> None:
    data = await api.execute(THIRTY_PAGES)

    assert len(data) == 30
    assert len(data["a0"]) == 22


async def test_a_single_query_over_the_cost_limit_is_refused(admin: GraphQLClient) -> None:
    body = (await admin.post(EVERY_LIST_OF_250_ORDERS)).json()

    assert body == {
        "data": None,
        "errors": [
            {
                "message": "The query may cost about 60501 points; at most 50000 are allowed.",
                "extensions": LIMIT_EXCEEDED,
            }
        ],
    }


@pytest.mark.parametrize(
    "query", [ADMIN_LIST, ADMIN_LIST.replace("first: 100", "first: 250"), get_introspection_query(descriptions=True)]
)
async def test_the_admin_list_page_and_introspection_are_within_the_limit(admin: GraphQLClient, query: str) -> None:
    await admin.execute(query)


async def test_page_sizes_in_variables_count(demo_store: Store) -> None:
    app = create_app(Settings(database_url=demo_store.url, max_query_cost=100), db=demo_store.db)
    query = "query($n: Int) { products(first: $n) { id } }"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        allowed = await http.post("/graphql", json={"query": query, "variables": {"n": 100}})
        refused = await http.post("/graphql", json={"query": query, "variables": {"n": 101}})

    assert len(allowed.json()["data"]["products"]) == 22
    assert refused.json()["errors"][0]["extensions"] == LIMIT_EXCEEDED


@pytest.mark.parametrize(
    "query",
    [
        "{ ...Page } fragment Page on Query { products(first: 100000) { id } }",
        "query($n: Int = 100000) { products(first: $n) { id } }",
    ],
)
async def test_a_page_size_in_a_fragment_or_a_variable_default_is_bounded_too(
    api: GraphQLClient, count_statements: StatementCounter, query: str
) -> None:
    body = (await api.post(query)).json()

    assert body == {"data": None, "errors": [{"message": "`first` may be at most 250.", "extensions": LIMIT_EXCEEDED}]}
    assert count_statements.count == 0


SCHEMA = root.build(Settings())._schema


def _cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = limits.parse_document(query, 5000)
    return cost.estimate(SCHEMA, document, operation_name=None, variables=variables, max_page_size=250, max_depth=15)


@pytest.mark.parametrize(
    ("query", "points"),
    [
        ("{ products(first: 250) { id name } }", 250),
        ("{ products { id } }", 50),  # the argument's default
        ("{ paymentMethods { id } }", cost.UNPAGED_LIST_SIZE),
        ("{ orders(first: 10) { edges { node { id } } pageInfo { hasNextPage } } }", 1 + 10 * 2 + 1),
        ("{ orders(first: 10) { edges { node { lines { id } } } } }", 1 + 10 * (1 + 1 + 10)),
        ("{ ...P ...P } fragment P on Query { products(first: 5) { id } }", 10),
        ("query($n: Int = 7) { products(first: $n) { id } }", 7),
        ("{ products(first: 100000) { id } }", 250),  # the page size limit refuses it, with its own message
        ("{ __typename }", 0),
    ],
)
def test_the_cost_of_a_query(query: str, points: int) -> None:
    assert _cost(query) == points


def test_fragments_spread_many_times_are_costed_once() -> None:
    # Each fragment spreads the next twice: 2**40 fields if expanded, walked in linear time.
    fragments = " ".join(f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = "{ products(first: 1) { ...F0 } } " + fragments + " fragment F40 on Product { id }"

    assert _cost(query) == 1


# ---------------------------------------------------------------- text that does not fit its column

ERRORS = "userErrors { field code }"
LONGEST_COMMENT = "c" * 10_000


async def _row_counts(store: Store) -> dict[str, int]:
    async with store.db.read_sessions() as session:
        return {
            table.name: int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


def _errors(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    errors = payload["userErrors"] if "userErrors" in payload else payload["results"][0]["userErrors"]
    return [(error["field"], error["code"]) for error in errors]


async def test_an_anonymous_comment_longer_than_its_column_is_refused(api: GraphQLClient, demo_store: Store) -> None:
    cart, _ = await create_cart(api)
    before = await _row_counts(demo_store)

    created = await mutate(api, CREATE_CART, {"d": {"customerComment": LONGEST_COMMENT + "c"}})
    updated = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customerComment": "c" * 10_001}})

    assert [(error["field"], error["code"]) for error in updated["userErrors"]] == [
        (["details", "customerComment"], "INVALID")
    ]
    assert created["userErrors"] == [{"code": "INVALID"}]
    assert await _row_counts(demo_store) == before
    async with demo_store.db.read_sessions() as session:
        comment = await session.scalar(sa.select(Order.customer_comment).where(Order.public_id == cart.id))
    assert comment is None


async def test_a_comment_of_the_column_length_is_kept(api: GraphQLClient, demo_store: Store) -> None:
    cart, _ = await create_cart(api)

    await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customerComment": LONGEST_COMMENT}})

    async with demo_store.db.read_sessions() as session:
        comment = await session.scalar(sa.select(Order.customer_comment).where(Order.public_id == cart.id))
    assert comment == LONGEST_COMMENT


SHOPPER_TEXT_CASES = [
    ({"displayName": "n" * 256}, ["details", "displayName"]),
    ({"customer": {"zip": "1" * 51}}, ["details", "customer", "zip"]),
    ({"delivery": {"phone": "1" * 51}}, ["details", "delivery", "phone"]),
    ({"delivery": {"address": "a" * 256}}, ["details", "delivery", "address"]),
    ({"voucherCode": "v" * 37}, ["details", "voucherCode"]),
]


@pytest.mark.parametrize(("details", "field"), SHOPPER_TEXT_CASES)
async def test_a_cart_text_longer_than_its_column_is_invalid_at_its_path(
    api: GraphQLClient, demo_store: Store, details: dict[str, Any], field: list[str]
) -> None:
    cart, _ = await create_cart(api)
    before = await _row_counts(demo_store)

    payload = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": details})

    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [(field, "INVALID")]
    assert await _row_counts(demo_store) == before


async def test_a_cart_line_unit_longer_than_its_column_is_invalid(api: GraphQLClient, demo_store: Store) -> None:
    cart, _ = await create_cart(api)
    ids = await catalogue(api)
    before = await _row_counts(demo_store)
    lines = [{"productId": ids["BOOK-COOK"], "quantity": "1", "unitId": "u" * 51}]

    payload = await mutate(api, ADD, {"c": cart.id, "s": cart.secret, "l": lines})

    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [
        (["lines", "0", "unitId"], "INVALID")
    ]
    assert await _row_counts(demo_store) == before


async def test_a_quote_comment_and_rejection_reason_longer_than_their_columns_are_invalid(
    api: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    submit = "mutation($c: ID!, $s: String, $m: String) { submitQuote(cartId: $c, secret: $s, comment: $m) { %s } }"
    reject = "mutation($q: ID!, $s: String, $r: String) { rejectQuote(quoteId: $q, secret: $s, reason: $r) { %s } }"
    before = await _row_counts(demo_store)

    refused = await mutate(api, submit % ERRORS, {"c": cart.id, "s": cart.secret, "m": LONGEST_COMMENT + "c"})
    assert await _row_counts(demo_store) == before
    quote = await mutate(api, submit % f"order {{ id }} {ERRORS}", {"c": cart.id, "s": cart.secret, "m": "3 please"})
    rejected = await mutate(api, reject % ERRORS, {"q": quote["order"]["id"], "s": cart.secret, "r": "r" * 10_001})

    assert _errors(refused) == [(["comment"], "INVALID")]
    assert _errors(rejected) == [(["reason"], "INVALID")]
    async with demo_store.db.read_sessions() as session:
        status = await session.scalar(sa.select(Order.quote_status).where(Order.public_id == quote["order"]["id"]))
    assert status == "OPEN"


TOO_LONG = "x" * 10_001
ADMIN_TEXT_CASES = {
    "edit comment": (
        "mutation($o: ID!, $t: String) { edit(orderId: $o, input: {comment: $t}) { %s } }",
        TOO_LONG,
        ["input", "comment"],
    ),
    "flow name": (
        "mutation($t: String!) { createFlow(input: {name: $t, kind: ORDER}) { %s } }",
        "n" * 256,
        ["input", "name"],
    ),
    "flow description": (
        'mutation($t: String) { createFlow(input: {name: "Wholesale", description: $t, kind: ORDER}) { %s } }',
        TOO_LONG,
        ["input", "description"],
    ),
    "state color": (
        'mutation($f: ID!, $t: String) { createState(input: {flowId: $f, name: "Packed", color: $t}) { %s } }',
        "#" * 33,
        ["input", "color"],
    ),
    "state mail sender": (
        'mutation($f: ID!, $t: String) { createState(input: {flowId: $f, name: "Packed", '
        'mail: {template: "order.html", subject: "Hi", senderName: $t}}) { %s } }',
        "s" * 256,
        ["input", "mail", "senderName"],
    ),
    "custom field name": (
        'mutation($t: String!) { createCustomFieldDefinition(input: {systemName: "Gift", name: $t, target: ORDER, '
        "type: TEXT}) { %s } }",
        "n" * 256,
        ["input", "name"],
    ),
    "track and trace url": (
        'mutation($t: String!) { createTrackAndTrace(input: {name: "Post", urlTemplate: $t}) { %s } }',
        "https://track.example/" + "p" * 2000,
        ["input", "urlTemplate"],
    ),
    "return comment": (
        'mutation($o: ID!, $t: String) { createReturn(orderId: $o, lines: [{orderLineId: "1", quantity: "1"}], '
        "comment: $t) { %s } }",
        TOO_LONG,
        ["comment"],
    ),
    "return line reason": (
        'mutation($o: ID!, $t: String) { createReturn(orderId: $o, lines: [{orderLineId: "1", quantity: "1", '
        "reason: $t}]) { %s } }",
        TOO_LONG,
        ["lines", "0", "reason"],
    ),
    "cancel reason": (
        "mutation($o: ID!, $t: String) { cancel(orderIds: [$o], reason: $t) { results { %s } } }",
        TOO_LONG,
        ["reason"],
    ),
    "refund reason": (
        "mutation($o: ID!, $t: String) { refund(orderId: $o, reason: $t) { %s } }",
        TOO_LONG,
        ["reason"],
    ),
}


@pytest.mark.parametrize("case", ADMIN_TEXT_CASES)
async def test_an_admin_text_longer_than_its_column_is_invalid_at_its_path(
    admin: GraphQLClient, demo_store: Store, case: str
) -> None:
    document, text, field = ADMIN_TEXT_CASES[case]
    order_id = await factories.committed_order(demo_store.db)
    flows = await admin.execute("{ flows(kind: ORDER) { id } }")
    variables = {"t": text, "o": order_id, "f": flows["flows"][0]["id"]}
    used = {name: value for name, value in variables.items() if f"${name}" in document}
    before = await _row_counts(demo_store)

    data = await admin.execute(document % ERRORS, used)

    [payload] = data.values()
    assert _errors(payload) == [(field, "INVALID")]
    assert await _row_counts(demo_store) == before


async def test_a_flush_never_writes_text_longer_than_its_column(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now)
    order.customer_zip = "1" * 51
    order.comment = "c" * 10_001

    with pytest.raises(DomainErrors) as refused:
        await seeded.flush()

    assert [(error.code, error.message) for error in refused.value.errors] == [
        (ErrorCode.INVALID, "`customerZip` may hold at most 50 characters."),
        (ErrorCode.INVALID, "`comment` may hold at most 10000 characters."),
    ]


async def test_a_long_value_stored_before_the_limit_does_not_block_other_changes(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await factories.create_order(seeded, now=now)
    await seeded.execute(sa.update(Order).where(Order.id == order.id).values(customer_comment="c" * 20_000))
    await seeded.refresh(order)

    order.display_name = "Renamed"
    await seeded.flush()

    assert (order.display_name, len(order.customer_comment or "")) == ("Renamed", 20_000)
    order.customer_comment = "c" * 20_000  # set again, unchanged: still not this flush's to refuse
    order.display_name = "Renamed again"
    await seeded.flush()
    order.customer_comment = "d" * 20_000
    with pytest.raises(DomainErrors) as refused:
        await seeded.flush()
    assert [error.message for error in refused.value.errors] == ["`customerComment` may hold at most 10000 characters."]


async def test_a_new_row_with_text_longer_than_its_column_is_never_written(seeded: AsyncSession) -> None:
    before = await seeded.scalar(sa.select(sa.func.count()).select_from(Product))
    seeded.add(Product(number="P" * 256, name="Long", price=Decimal(1), vat_percent=Decimal(25)))

    with pytest.raises(DomainErrors) as refused:
        await seeded.flush()

    assert [error.message for error in refused.value.errors] == ["`number` may hold at most 255 characters."]
    seeded.expunge_all()
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(Product)) == before


@pytest.mark.parametrize(("declared", "status"), [(b"9" * 5000, 413), (b"12x", 400)])
async def test_a_content_length_that_is_no_size_is_refused_unread(
    demo_store: Store, declared: bytes, status: int
) -> None:
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(b"content-type", b"application/json"), (b"content-length", declared)],
        "query_string": b"",
    }
    await app(scope, receive, send)

    assert sent[0]["status"] == status
    code = "LIMIT_EXCEEDED" if status == 413 else "BAD_REQUEST"
    assert json.loads(sent[1]["body"])["errors"][0]["extensions"] == {"code": code}
