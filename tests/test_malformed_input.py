"""Malformed input is a coded client error, never an internal one: bodies, literals, odd ids, NUL, surrogates.

Each case also asserts that nothing was logged as a fault: a hostile client must not fill the log with tracebacks.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from models.orders import Order
from tests import factories
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import SET_DETAILS, create_cart

BAD_REQUEST = {"code": "BAD_REQUEST"}
VALIDATION_FAILED = {"code": "GRAPHQL_VALIDATION_FAILED"}
JSON_HEADERS = {"content-type": "application/json"}
# Internals a response must never show.
INTERNALS = ("Traceback", "Error(", "object of type", 'File "', "sqlalchemy", "asyncpg", "sqlite3")


@pytest.fixture
def faults(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The log records at WARNING or above; the test asserts there are none."""
    with caplog.at_level(logging.WARNING):
        yield caplog


def _assert_clean(text: str, faults: pytest.LogCaptureFixture) -> None:
    assert not [internal for internal in INTERNALS if internal in text], text
    assert [record.getMessage() for record in faults.records] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"null", "The body is a JSON object (one operation) or a list of them (a batch)."),
        (b"42", "The body is a JSON object (one operation) or a list of them (a batch)."),
        (b'"x"', "The body is a JSON object (one operation) or a list of them (a batch)."),
        (b"[1]", "Operation 0 of the batch is not a JSON object."),
        (b'[{"query": 5}]', "Operation 0 of the batch has no `query` string."),
        (b'{"query": 5}', "The body has no `query` string."),
        (b'{"query": "{ products { id } }", "variables": [1]}', "The body has `variables` that are not an object."),
        (
            b'{"query": "{ products { id } }", "operationName": 1}',
            "The body has an `operationName` that is not a string.",
        ),
        (b"[]", "A batch holds at least one operation."),
        (b'{"query": ', "The body is not valid JSON."),
        (b'{"query": "{ products { id } }", "variables": {"a": NaN}}', "The body is not valid JSON."),
        (b"[" * 100_000, "The body is not valid JSON."),
        (b'{"query": "\xff{ products { id } }"}', "The body is not valid UTF-8 (byte 11)."),
        (
            b'{"query": "{ products(search: \\"\\ud800\\") { id } }"}',
            "The body holds a lone surrogate (a \\ud800-\\udfff escape): text must be valid Unicode.",
        ),
    ],
)
async def test_a_body_that_is_not_a_graphql_request_is_a_bad_request(
    api: GraphQLClient, faults: pytest.LogCaptureFixture, body: bytes, message: str
) -> None:
    response = await api.http.post("/graphql", content=body, headers=JSON_HEADERS)

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": message, "extensions": BAD_REQUEST}]}
    _assert_clean(response.text, faults)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_by_its_content_type_is_a_bad_request(
    api: GraphQLClient, faults: pytest.LogCaptureFixture, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await api.http.post("/graphql", content=b'{"query": "{ products { id } }"}', headers=headers)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "A GraphQL request is a POST of application/json.", "extensions": BAD_REQUEST}
    ]
    _assert_clean(response.text, faults)


AMOUNT = 'mutation { capture(orderIds: ["ORDER1"], amount: %s) { ok } }'
FROM = '{ salesSummary(from: %s, to: "2026-01-02T00:00:00Z") { key } }'


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (AMOUNT % '"1,5"', "'1,5' is not a valid Decimal."),
        (AMOUNT % '"NaN"', "'NaN' is not a valid Decimal."),
        (AMOUNT % '"1e400"', "'1e400' is not a valid Decimal."),
        (AMOUNT % "1e400", 'A Decimal is a string such as "12.50" (or an integer).'),
        (AMOUNT % "12.5", 'A Decimal is a string such as "12.50" (or an integer).'),
        (AMOUNT % ("9" * 5000), "'" + "9" * 36 + "... is not a valid Decimal."),
        (FROM % '"2026-01-01T00:00:00"', "'2026-01-01T00:00:00' needs a time zone, e.g. 2026-01-31T12:00:00Z."),
        (
            FROM % '"yesterday"',
            "'yesterday' is not a valid DateTime. A DateTime is an ISO 8601 string with a time zone, "
            "e.g. 2026-01-31T12:00:00Z.",
        ),
        (
            FROM % '"9999-12-31T23:59:59-01:00"',
            "'9999-12-31T23:59:59-01:00' is not a valid DateTime. A DateTime is an ISO 8601 string with a time zone, "
            "e.g. 2026-01-31T12:00:00Z.",
        ),
        (FROM % "5", "A DateTime is an ISO 8601 string with a time zone, e.g. 2026-01-31T12:00:00Z."),
    ],
)
async def test_a_malformed_inline_literal_fails_validation(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture, document: str, message: str
) -> None:
    response = await admin.post(document)

    body = response.json()
    assert body["data"] is None
    assert [(error["message"], error["extensions"]) for error in body["errors"]] == [(message, VALIDATION_FAILED)]
    _assert_clean(response.text, faults)


@pytest.mark.parametrize(
    ("document", "value"),
    [
        ('mutation($a: Decimal) { capture(orderIds: ["ORDER1"], amount: $a) { ok } }', "1,5"),
        ('mutation($a: Decimal) { capture(orderIds: ["ORDER1"], amount: $a) { ok } }', 12.5),
        ('query($a: DateTime!) { salesSummary(from: $a, to: "2026-01-02T00:00:00Z") { key } }', "2026-01-01T00:00"),
    ],
)
async def test_the_same_values_as_variables_fail_validation_too(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture, document: str, value: object
) -> None:
    response = await admin.post(document, {"a": value})

    [error] = response.json()["errors"]
    assert error["message"].startswith("Variable '$a' has invalid value")
    assert error["extensions"] == VALIDATION_FAILED
    _assert_clean(response.text, faults)


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ products { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ nothingHere }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ ...A } fragment A on Query { ...A }", "GRAPHQL_VALIDATION_FAILED"),
        ("{" + "products { " * 300 + "id" + " }" * 300 + "}", "LIMIT_EXCEEDED"),
        ('{ salesSummary(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { key } }', "FORBIDDEN"),
    ],
)
async def test_every_top_level_error_has_a_code(
    api: GraphQLClient, faults: pytest.LogCaptureFixture, document: str, code: str
) -> None:
    response = await api.post(document)

    assert {error["extensions"]["code"] for error in response.json()["errors"]} == {code}
    _assert_clean(response.text, faults)


# ---------------------------------------------------------------- odd ids

# Unicode digits: "²" is a digit to str.isdigit but int() refuses it; Arabic-Indic digits are numbers to int().
SUPERSCRIPT_TWO = "²"
ARABIC_SEVENTEEN = "١٧"  # noqa: RUF001
TOO_LARGE = "99999999999"  # beyond an INTEGER column


def _user_errors(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        yield from data.get("userErrors") or ()
        for value in data.values():
            yield from _user_errors(value)
    elif isinstance(data, list):
        for item in data:
            yield from _user_errors(item)


def _assert_not_found(response: Any, faults: pytest.LogCaptureFixture) -> None:
    body = response.json()
    assert "errors" not in body, body
    codes = {error["code"] for error in _user_errors(body["data"])}
    assert codes, body
    assert codes <= {"NOT_FOUND", "INVALID"}, body
    _assert_clean(response.text, faults)


ADD_ODD_PRODUCT = """mutation($c: ID!, $s: String, $id: ID!) {
  addToCart(cartId: $c, secret: $s, lines: [{productId: $id, quantity: 1}]) { userErrors { code } } }"""
CREATE_WITH_ODD_METHOD = "mutation($id: ID!) { createCart(details: {paymentMethodId: $id}) { userErrors { code } } }"
# What a shopper may send: the document and its variables for a cart and an odd id.
SHOPPER_ID_CASES = {
    "addToCart": lambda cart, odd: (ADD_ODD_PRODUCT, {"c": cart.id, "s": cart.secret, "id": odd}),
    "paymentMethod": lambda cart, odd: (SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"paymentMethodId": odd}}),
    "shippingMethod": lambda cart, odd: (
        SET_DETAILS,
        {"c": cart.id, "s": cart.secret, "d": {"shippingMethodId": odd}},
    ),
    "createCart": lambda _cart, odd: (CREATE_WITH_ODD_METHOD, {"id": odd}),
}


@pytest.mark.parametrize("odd", [SUPERSCRIPT_TWO, ARABIC_SEVENTEEN, TOO_LARGE])
@pytest.mark.parametrize("case", SHOPPER_ID_CASES)
async def test_an_odd_id_from_a_shopper_matches_nothing(
    api: GraphQLClient, faults: pytest.LogCaptureFixture, case: str, odd: str
) -> None:
    cart, _ = await create_cart(api)
    document, variables = SHOPPER_ID_CASES[case](cart, odd)

    response = await api.post(document, variables)

    _assert_not_found(response, faults)


ADMIN_ID_DOCUMENTS = [
    "mutation($o: ID!, $id: ID!) { changeState(orderIds: [$o], stateId: $id) { results { userErrors { code } } } }",
    "mutation($id: ID!) { cancelRecurring(id: $id) { userErrors { code } } }",
    "mutation($id: ID!) { receiveReturn(returnId: $id) { userErrors { code } } }",
    "mutation($id: ID!) { rejectReturn(returnId: $id) { userErrors { code } } }",
    'mutation($id: ID!) { updateFlow(id: $id, input: {name: "x", kind: ORDER}) { userErrors { code } } }',
    'mutation($id: ID!) { createState(input: {flowId: $id, name: "x"}) { userErrors { code } } }',
    'mutation($id: ID!) { updateTrackAndTrace(id: $id, input: {name: "x", urlTemplate: "https://t.dk/{N}"}) '
    "{ userErrors { code } } }",
    'mutation($o: ID!, $id: ID!) { setTracking(orderId: $o, trackAndTraceId: $id, trackingNumber: "1") '
    "{ userErrors { code } } }",
    'mutation($o: ID!, $id: ID!) { edit(orderId: $o, input: {lines: [{lineId: $id, quantity: "2"}]}) '
    "{ userErrors { code } } }",
    'mutation($o: ID!, $id: ID!) { edit(orderId: $o, input: {lines: [{productId: $id, quantity: "2"}]}) '
    "{ userErrors { code } } }",
    'mutation($o: ID!, $id: ID!) { createReturn(orderId: $o, lines: [{orderLineId: $id, quantity: "1"}]) '
    "{ userErrors { code } } }",
    'mutation($id: ID!) { importOrders(orders: [{channel: "shop", externalId: "1", '
    'lines: [{productId: $id, quantity: "1"}]}]) { results { userErrors { code } } } }',
]


@pytest.mark.parametrize("odd", [SUPERSCRIPT_TWO, ARABIC_SEVENTEEN, TOO_LARGE])
@pytest.mark.parametrize("document", ADMIN_ID_DOCUMENTS)
async def test_an_odd_id_from_an_admin_matches_nothing(
    admin: GraphQLClient, demo_store: Store, faults: pytest.LogCaptureFixture, document: str, odd: str
) -> None:
    order_id = await factories.committed_order(demo_store.db)
    variables = {"id": odd, "o": order_id} if "$o" in document else {"id": odd}

    response = await admin.post(document, variables)

    _assert_not_found(response, faults)


@pytest.mark.parametrize("odd", [SUPERSCRIPT_TWO, ARABIC_SEVENTEEN, TOO_LARGE])
@pytest.mark.parametrize("field", ["flow", "state"])
async def test_an_odd_setup_id_reads_as_nothing(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture, field: str, odd: str
) -> None:
    response = await admin.post(f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": odd})

    assert response.json() == {"data": {field: None}}
    _assert_clean(response.text, faults)


async def test_an_order_id_in_other_digits_is_not_that_order(
    admin: GraphQLClient, demo_store: Store, faults: pytest.LogCaptureFixture
) -> None:
    order_id = await factories.committed_order(demo_store.db)
    number = order_id.removeprefix("ORDER")
    arabic = "".join(chr(0x0660 + int(digit)) for digit in number)
    query = "query($id: ID!) { order(id: $id) { id } }"

    found = await admin.execute(query, {"id": order_id})
    responses = [await admin.post(query, {"id": odd}) for odd in (f"ORDER{arabic}", "ORDER²", f"ORDER{TOO_LARGE}")]

    assert found == {"order": {"id": order_id}}
    assert [response.json() for response in responses] == [{"data": {"order": None}}] * 3
    _assert_clean("".join(response.text for response in responses), faults)


# ---------------------------------------------------------------- text no store can hold


async def test_a_nul_character_is_refused_before_anything_is_written(
    api: GraphQLClient, demo_store: Store, faults: pytest.LogCaptureFixture
) -> None:
    cart, _ = await create_cart(api)

    response = await api.post(SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customerComment": "a\x00b"}})

    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "`customerComment` holds a NUL character (U+0000), which text may not hold.",
                "extensions": VALIDATION_FAILED,
            }
        ],
    }
    async with demo_store.db.read_sessions() as session:
        comment = await session.scalar(sa.select(Order.customer_comment).where(Order.public_id == cart.id))
    assert comment is None
    _assert_clean(response.text, faults)


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ('{ products(search: "a\\u0000b") { id } }', None),
        ('query($s: String = "a\\u0000b") { products(search: $s) { id } }', None),
        ("query($s: String) { orders(filter: {search: $s}) { totalCount } }", {"s": "\x00"}),
        (
            'mutation($v: JSON) { createCart(details: {customFields: [{systemName: "Note", value: $v}]}) '
            "{ userErrors { code } } }",
            {"v": {"nested": ["fine", {"key\x00": 1}]}},
        ),
    ],
)
async def test_a_nul_character_anywhere_in_an_argument_fails_validation(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture, document: str, variables: dict[str, Any] | None
) -> None:
    response = await admin.post(document, variables)

    body = response.json()
    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [VALIDATION_FAILED]
    assert "NUL character" in body["errors"][0]["message"]
    _assert_clean(response.text, faults)


async def test_a_lone_surrogate_in_a_variable_is_a_bad_request(
    api: GraphQLClient, demo_store: Store, faults: pytest.LogCaptureFixture
) -> None:
    cart, _ = await create_cart(api)
    body = json.dumps({"query": SET_DETAILS, "variables": {"c": cart.id, "s": cart.secret, "d": {}}})
    body = body.replace('"d": {}', '"d": {"customerComment": "\\udc80"}')

    response = await api.http.post("/graphql", content=body.encode(), headers=JSON_HEADERS)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == BAD_REQUEST
    async with demo_store.db.read_sessions() as session:
        comment = await session.scalar(sa.select(Order.customer_comment).where(Order.public_id == cart.id))
    assert comment is None
    _assert_clean(response.text, faults)


async def test_a_search_of_almost_a_megabyte_is_refused_clearly(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture
) -> None:
    query = "query($s: String) { products(search: $s) { id } orders(filter: {search: $s}) { totalCount } }"

    response = await admin.post(query, {"s": "a" * 1_000_000})

    assert response.json() == {
        "data": None,
        "errors": [{"message": "`search` may be at most 255 characters.", "extensions": VALIDATION_FAILED}],
    }
    _assert_clean(response.text, faults)


async def test_a_search_of_a_column_length_runs(admin: GraphQLClient) -> None:
    data = await admin.execute(
        "query($s: String) { products(search: $s) { id } orders(filter: {search: $s}) { totalCount } }",
        {"s": "a" * 255},
    )

    assert data == {"products": [], "orders": {"totalCount": 0}}


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("ID", _cursor("ID", 1, 10**30)),
        ("ID", _cursor("ID", 10**30, 1)),
        ("CREATED_AT", _cursor("CREATED_AT", "2026-01-31T12:00:00+00:00", int(TOO_LARGE))),
        ("TOTAL", _cursor("TOTAL", "1e999999", 1)),
        ("TOTAL", _cursor("TOTAL", "1e25", 1)),
        ("TOTAL", _cursor("TOTAL", "0.00001", 1)),
    ],
)
async def test_a_forged_cursor_is_refused_as_not_a_cursor(
    admin: GraphQLClient, faults: pytest.LogCaptureFixture, sort: str, cursor: str
) -> None:
    query = "query($c: String, $f: OrderSortField!) { orders(after: $c, sort: {field: $f}) { totalCount } }"

    response = await admin.post(query, {"c": cursor, "f": sort})

    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "`after` is not a cursor of this list and sort.",
                "locations": [{"line": 1, "column": 42}],
                "path": ["orders"],
                "extensions": VALIDATION_FAILED,
            }
        ],
    }
    _assert_clean(response.text, faults)
