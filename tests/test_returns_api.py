"""Returns (RMA) through GraphQL from a real checked-out and captured order: the whole journey, what may be
returned (never beyond what was ordered, also across returns and concurrently), rejecting, and access."""

from __future__ import annotations

import asyncio

import pytest

from models.enums import Role
from tests.conftest import GraphQLClient, Store, make_token
from tests.return_helpers import (
    RECEIVE,
    REFUND,
    REJECT,
    D,
    Placed,
    act,
    codes,
    create,
    created,
    line,
    placed_order,
    read_order,
    return_count,
)
from tests.storefront_helpers import gateway, stock_of


@pytest.fixture
async def order(api: GraphQLClient, admin: GraphQLClient) -> Placed:
    """A completed, captured order of two T-shirts and a cookbook, bought through the storefront."""
    return await placed_order(api, admin)


# ---------------------------------------------------------------- the journey


async def test_the_whole_journey_requests_receives_restocks_once_and_refunds_through_the_provider(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    shirts, books = await stock_of(demo_store, "TSHIRT-BLK-M"), await stock_of(demo_store, "BOOK-COOK")
    lines = [
        line(order.line_ids["TSHIRT-BLK-M"], "1", reason="Too small"),
        line(order.line_ids["BOOK-COOK"], "1", reason="Damaged", restock=False),
    ]

    requested = (await create(admin, order.id, lines, c="Customer called"))["return"]
    received = (await act(admin, RECEIVE, requested["id"]))["return"]
    again = await act(admin, RECEIVE, requested["id"])
    refunded = (await act(admin, REFUND, requested["id"]))["return"]

    assert (requested["status"], requested["state"], requested["order"]) == (
        "REQUESTED",
        {"name": "Requested"},
        {"id": order.id},
    )
    assert requested["lines"] == [
        {"orderLineId": order.line_ids["TSHIRT-BLK-M"], "quantity": "1.00", "reason": "Too small", "restock": True},
        {"orderLineId": order.line_ids["BOOK-COOK"], "quantity": "1.00", "reason": "Damaged", "restock": False},
    ]
    assert (requested["comment"], requested["refundAmount"], requested["receivedAt"]) == ("Customer called", None, None)
    assert (received["status"], received["state"]) == ("RECEIVED", {"name": "Received"})
    assert received["receivedAt"] is not None
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_DONE"]
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == shirts + 1
    assert await stock_of(demo_store, "BOOK-COOK") == books
    # 19.95 for the shirt (25% VAT included) and 29.00 for the book: what those lines were paid.
    assert (refunded["status"], refunded["refundAmount"], refunded["state"]) == (
        "REFUNDED",
        "48.95",
        {"name": "Closed"},
    )
    assert refunded["refundedAt"] is not None
    after = await read_order(admin, order.id)
    assert (after["capturedAmount"], after["refundedAmount"]) == ("73.85", "48.95")
    assert [(t["kind"], t["status"], t["amount"]) for t in after["transactions"]][-1] == (
        "REFUND",
        "SUCCEEDED",
        "48.95",
    )
    assert after["returns"] == [refunded]
    rid = requested["id"]
    assert [(e["source"], e["message"]) for e in after["events"] if e["source"] in ("returns", "refund")] == [
        ("returns", f"Return {rid} requested: 1 x TSHIRT-BLK-M, 1 x BOOK-COOK. Its state is now Requested."),
        ("returns", f"Return {rid} received; restocked 1 x TSHIRT-BLK-M. Its state is now Received."),
        ("refund", f"Refunded 48.95 EUR. Reason: return {rid}"),
        ("returns", f"Return {rid} refunded: 48.95 EUR. Its state is now Closed."),
    ]
    assert gateway(api).operations_performed == 3  # authorize, capture, refund


async def test_a_refunded_return_is_done(admin: GraphQLClient, demo_store: Store, order: Placed) -> None:
    returned = await created(admin, order.id, [line(order.line_ids["BOOK-COOK"], "1")])
    await act(admin, RECEIVE, returned["id"])
    refunded = (await act(admin, REFUND, returned["id"]))["return"]
    stock = await stock_of(demo_store, "BOOK-COOK")

    results = [
        await act(admin, REFUND, returned["id"]),
        await act(admin, RECEIVE, returned["id"]),
        await act(admin, REJECT, returned["id"]),
    ]

    assert [[e["code"] for e in r["userErrors"]] for r in results] == [
        ["ALREADY_DONE"],
        ["ALREADY_DONE"],
        ["TRANSITION_NOT_ALLOWED"],
    ]
    assert (await read_order(admin, order.id))["returns"] == [refunded]
    assert await stock_of(demo_store, "BOOK-COOK") == stock


# ---------------------------------------------------------------- what may be returned


async def test_a_return_beyond_what_was_ordered_is_refused_and_nothing_is_created(
    admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    shirt = order.line_ids["TSHIRT-BLK-M"]

    too_many = await create(admin, order.id, [line(shirt, "3")])
    split_too_many = await create(admin, order.id, [line(shirt, "1"), line(shirt, "1.5")])

    assert codes(too_many) == [("AMOUNT_EXCEEDS_AVAILABLE", ["lines", "0", "quantity"])]
    assert too_many["userErrors"][0]["message"] == (
        f"Line {shirt} (TSHIRT-BLK-M) was ordered 2 times and 0 are returned already: 3 more is too many."
    )
    assert codes(split_too_many) == [("AMOUNT_EXCEEDS_AVAILABLE", ["lines", "1", "quantity"])]
    assert (too_many["return"], split_too_many["return"]) == (None, None)
    assert await return_count(demo_store) == 0


async def test_returns_of_a_line_add_up_across_returns_and_a_rejected_one_frees_its_quantity(
    admin: GraphQLClient, order: Placed
) -> None:
    shirt = order.line_ids["TSHIRT-BLK-M"]
    first = await created(admin, order.id, [line(shirt, "1")])
    await created(admin, order.id, [line(shirt, "0.5")])

    refused = await create(admin, order.id, [line(shirt, "1")])
    await act(admin, REJECT, first["id"], why="Changed their mind back")
    allowed = await create(admin, order.id, [line(shirt, "1.5")])

    assert codes(refused) == [("AMOUNT_EXCEEDS_AVAILABLE", ["lines", "0", "quantity"])]
    assert allowed["userErrors"] == []
    assert [r["status"] for r in (await read_order(admin, order.id))["returns"]] == [
        "REJECTED",
        "REQUESTED",
        "REQUESTED",
    ]


async def test_a_received_return_counts_even_when_rejected_afterwards(
    admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    shirt = order.line_ids["TSHIRT-BLK-M"]
    stock = await stock_of(demo_store, "TSHIRT-BLK-M")
    returned = await created(admin, order.id, [line(shirt, "2")])
    await act(admin, RECEIVE, returned["id"])

    rejected = (await act(admin, REJECT, returned["id"], why="Worn"))["return"]
    again = await create(admin, order.id, [line(shirt, "1")])

    assert (rejected["status"], rejected["rejectionReason"], rejected["state"]) == (
        "REJECTED",
        "Worn",
        {"name": "Closed"},
    )
    assert codes(again) == [("AMOUNT_EXCEEDS_AVAILABLE", ["lines", "0", "quantity"])]
    # Its goods came back once and stay restocked once.
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock + 2


async def test_two_concurrent_returns_of_a_line_never_exceed_what_was_ordered(
    admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    shirt = order.line_ids["TSHIRT-BLK-M"]

    results = await asyncio.gather(*(create(admin, order.id, [line(shirt, "2")]) for _ in range(2)))

    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [
        (),
        ("AMOUNT_EXCEEDS_AVAILABLE",),
    ]
    assert await return_count(demo_store) == 1


async def test_concurrent_receipts_restock_once(admin: GraphQLClient, demo_store: Store, order: Placed) -> None:
    returned = await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "2")])
    stock = await stock_of(demo_store, "TSHIRT-BLK-M")

    results = await asyncio.gather(*(act(admin, RECEIVE, returned["id"]) for _ in range(3)))

    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [
        (),
        ("ALREADY_DONE",),
        ("ALREADY_DONE",),
    ]
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock + 2


async def test_each_bad_line_is_named_by_its_path(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    other = await placed_order(api, admin)
    shirt = order.line_ids["TSHIRT-BLK-M"]

    payload = await create(
        admin,
        order.id,
        [
            line("999999", "1"),
            line(other.line_ids["BOOK-COOK"], "1"),
            line(shirt, "0"),
            line(shirt, "-1"),
            line(shirt, "0.00001"),
            line("not-a-line", "1"),
        ],
    )

    assert codes(payload) == [
        ("NOT_FOUND", ["lines", "0", "orderLineId"]),
        ("NOT_FOUND", ["lines", "1", "orderLineId"]),
        ("INVALID", ["lines", "2", "quantity"]),
        ("INVALID", ["lines", "3", "quantity"]),
        ("INVALID", ["lines", "4", "quantity"]),
        ("NOT_FOUND", ["lines", "5", "orderLineId"]),
    ]
    assert await return_count(demo_store) == 0


async def test_only_completed_uncancelled_orders_take_returns(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    captured = await placed_order(api, admin)
    uncaptured = await placed_order(api, admin, capture=False)
    cancel = "mutation($ids: [ID!]!) { cancel(orderIds: $ids) { ok } }"
    assert (await admin.execute(cancel, {"ids": [uncaptured.id]}))["cancel"]["ok"] is True
    cart = (await admin.execute("mutation { createCart { cart { id } } }"))["createCart"]["cart"]

    results = [
        await create(admin, uncaptured.id, [line(uncaptured.line_ids["BOOK-COOK"], "1")]),
        await create(admin, cart["id"], [line(captured.line_ids["BOOK-COOK"], "1")]),
        await create(admin, "ORDER999999", [line(captured.line_ids["BOOK-COOK"], "1")]),
        await create(admin, captured.id, []),
    ]

    assert [codes(r) for r in results] == [
        [("CLOSED", ["orderId"])],
        [("INVALID", ["orderId"])],
        [("NOT_FOUND", ["orderId"])],
        [("INVALID", ["lines"])],
    ]
    assert await return_count(demo_store) == 0


# ---------------------------------------------------------------- rejecting


async def test_a_rejected_return_cannot_be_received_refunded_or_rejected_again(
    admin: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    returned = await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1")])
    rejected = (await act(admin, REJECT, returned["id"], why="Outside the return window"))["return"]
    stock = await stock_of(demo_store, "TSHIRT-BLK-M")

    results = [
        await act(admin, RECEIVE, returned["id"]),
        await act(admin, REFUND, returned["id"]),
        await act(admin, REJECT, returned["id"]),
    ]

    assert (rejected["status"], rejected["rejectionReason"], rejected["state"]) == (
        "REJECTED",
        "Outside the return window",
        {"name": "Closed"},
    )
    assert [[e["code"] for e in r["userErrors"]] for r in results] == [
        ["TRANSITION_NOT_ALLOWED"],
        ["TRANSITION_NOT_ALLOWED"],
        ["ALREADY_DONE"],
    ]
    after = await read_order(admin, order.id)
    assert after["returns"] == [rejected]
    assert (after["refundedAmount"], await stock_of(demo_store, "TSHIRT-BLK-M")) == ("0.00", stock)


# ---------------------------------------------------------------- access and unknown ids


async def test_only_admins_handle_returns(
    api: GraphQLClient, admin: GraphQLClient, storefront: GraphQLClient, demo_store: Store, order: Placed
) -> None:
    returned = await created(admin, order.id, [line(order.line_ids["BOOK-COOK"], "1")])
    customer = api.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="C1"))

    for client in (api, storefront, customer):
        results = [
            await create(client, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1")]),
            await act(client, RECEIVE, returned["id"]),
            await act(client, REFUND, returned["id"]),
            await act(client, REJECT, returned["id"]),
        ]
        assert [codes(r) for r in results] == [[("FORBIDDEN", None)]] * 4
        assert all(r["return"] is None for r in results)

    assert await return_count(demo_store) == 1
    assert (await read_order(admin, order.id))["returns"] == [returned]


async def test_unknown_returns_are_not_found(api: GraphQLClient, admin: GraphQLClient) -> None:
    for return_id in ("999999", "RETURN1", "-1", "99999999999999999999"):
        for document in (RECEIVE, REFUND, REJECT):
            payload = await act(admin, document, return_id)
            assert codes(payload) == [("NOT_FOUND", ["returnId"])]
            assert payload["return"] is None


async def test_returned_quantities_are_decimal_strings(admin: GraphQLClient, order: Placed) -> None:
    returned = await created(admin, order.id, [line(order.line_ids["TSHIRT-BLK-M"], "1.25")])

    assert returned["lines"][0]["quantity"] == str(D("1.25"))
