"""Payments after the order changed, through HTTP: paymentDelta, capture state over every authorization,
authorize, releaseAuthorization, refunds that settle a negative delta, and amounts as people read them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models import payments as payment_models
from models.enums import OrderKind
from tests import payment_factories as factories
from tests import return_helpers
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import catalogue, gateway
from tests.test_payments_api import CANCEL, CAPTURE, REFUND, Money, codes, money  # noqa: F401  (the fixture)

D = Decimal
STATUS = "id revision total { withVat } paymentDelta captureState authorizedAmount capturedAmount refundedAmount"
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ {STATUS} cancelled authorizationExpiresAt lines {{ id productNumber }}
  transactions {{ kind status amount transactionNumber }} events {{ source message }} }} }}"""
ERRORS = "userErrors { code message field }"
AUTHORIZE = f"""mutation($id: ID!, $amount: Decimal, $key: String) {{
  authorize(orderId: $id, amount: $amount, idempotencyKey: $key) {{ order {{ {STATUS} }} {ERRORS} }} }}"""
RELEASE = f"""mutation($id: ID!, $key: String) {{
  releaseAuthorization(orderId: $id, idempotencyKey: $key) {{ order {{ {STATUS} cancelled }} {ERRORS} }} }}"""
EDIT = f"""mutation($id: ID!, $input: EditOrderInput!) {{
  edit(orderId: $id, input: $input) {{ order {{ {STATUS} }} {ERRORS} }} }}"""
STATUS_FIELDS = ("total", "paymentDelta", "captureState", "authorizedAmount", "capturedAmount", "refundedAmount")


def status(order: dict[str, Any]) -> tuple[str, ...]:
    """totalWithVat, paymentDelta, captureState, authorized, captured, refunded: what a merchant checks."""
    return (order["total"]["withVat"], *(order[name] for name in STATUS_FIELDS[1:]))


async def read(admin: GraphQLClient, order_id: str) -> dict[str, Any]:
    return (await admin.execute(ORDER, {"id": order_id}))["order"]


async def authorize(admin: GraphQLClient, order_id: str, **variables: Any) -> dict[str, Any]:
    return (await admin.execute(AUTHORIZE, {"id": order_id, **variables}))["authorize"]


async def release(admin: GraphQLClient, order_id: str, **variables: Any) -> dict[str, Any]:
    return (await admin.execute(RELEASE, {"id": order_id, **variables}))["releaseAuthorization"]


async def capture(admin: GraphQLClient, order_id: str, amount: str | None = None) -> dict[str, Any]:
    """The one result of a capture of one order."""
    [result] = (await admin.execute(CAPTURE, {"ids": [order_id], "amount": amount}))["capture"]["results"]
    return result


async def refund(admin: GraphQLClient, order_id: str, amount: str | None = None, **variables: Any) -> dict[str, Any]:
    return (await admin.execute(REFUND, {"id": order_id, "amount": amount, **variables}))["refund"]


async def edited(admin: GraphQLClient, order_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    payload = (await admin.execute(EDIT, {"id": order_id, "input": changes}))["edit"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["order"]


async def _books_match_ledger(store: Store, order: dict[str, Any]) -> None:
    """The gateway's books hold each succeeded row once, approved, and sum per operation to the ledger's totals."""
    succeeded = [t for t in order["transactions"] if t["status"] == "SUCCEEDED"]
    async with store.db.read_sessions() as session:
        rows = (
            await session.scalars(
                sa.select(payment_models.TestProviderOperation).where(
                    payment_models.TestProviderOperation.transaction_number.in_(
                        [t["transactionNumber"] for t in succeeded]
                    )
                )
            )
        ).all()
    assert sorted((row.operation, row.amount, row.is_approved) for row in rows) == sorted(
        (t["kind"].lower(), D(t["amount"]), True) for t in succeeded
    )


# ---------------------------------------------------------------- the money journey


async def test_edit_up_authorize_capture_edit_down_refund_settles_to_zero(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    # 2 T-shirts and a cookbook with Flat rate shipping: 73.85, checked out by Card and captured in full.
    placed = await return_helpers.placed_order(api, admin)
    ids = await catalogue(admin)
    assert status(await read(admin, placed.id)) == ("73.85", "0.00", "CAPTURED", "73.85", "73.85", "0.00")

    # A hoodie added: 49.00 more is owed and nothing authorized covers it.
    up = await edited(admin, placed.id, {"lines": [{"productId": ids["HOODIE-GRY-L"], "quantity": "1"}]})
    assert status(up) == ("122.85", "49.00", "SPLIT_CAPTURED", "73.85", "73.85", "0.00")
    assert codes(await capture(admin, placed.id)) == ["NOT_CAPTURABLE"]

    authorized = await authorize(admin, placed.id)
    assert authorized["userErrors"] == []
    assert status(authorized["order"]) == ("122.85", "0.00", "SPLIT_CAPTURED", "122.85", "73.85", "0.00")

    assert (await capture(admin, placed.id))["userErrors"] == []
    assert status(await read(admin, placed.id)) == ("122.85", "0.00", "CAPTURED", "122.85", "122.85", "0.00")

    # The hoodie taken off again: 49.00 to give back, which a refund of exactly that settles.
    hoodie = next(
        line["id"] for line in (await read(admin, placed.id))["lines"] if line["productNumber"] == "HOODIE-GRY-L"
    )
    down = await edited(admin, placed.id, {"lines": [{"lineId": hoodie, "remove": True}]})
    assert status(down) == ("73.85", "-49.00", "CAPTURED", "122.85", "122.85", "0.00")
    assert (await refund(admin, placed.id, "49.00"))["userErrors"] == []

    order = await read(admin, placed.id)
    assert status(order) == ("73.85", "0.00", "CAPTURED", "122.85", "122.85", "49.00")
    assert [(t["kind"], t["status"], t["amount"]) for t in order["transactions"]] == [
        ("AUTHORIZE", "SUCCEEDED", "73.85"), ("CAPTURE", "SUCCEEDED", "73.85"), ("AUTHORIZE", "SUCCEEDED", "49.00"),
        ("CAPTURE", "SUCCEEDED", "49.00"), ("REFUND", "SUCCEEDED", "49.00"),
    ]  # fmt: skip
    root = order["transactions"][0]["transactionNumber"]
    assert order["transactions"][2]["transactionNumber"].startswith(f"{root}-AUT")
    money_events = [(e["source"], e["message"]) for e in order["events"] if e["source"] in ("authorize", "payment")]
    assert ("authorize", "Authorized 49.00 EUR more.") in money_events
    assert ("payment", "authorize of 49.00 EUR succeeded") in money_events
    await _books_match_ledger(demo_store, order)
    # Checkout's authorization, the first capture, the authorization, the second capture, the refund.
    assert gateway(admin).operations_performed == 5


async def test_a_refund_settles_a_negative_delta_up_to_its_size_and_goodwill_leaves_it(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    placed = await return_helpers.placed_order(api, admin)
    goodwill = await refund(admin, placed.id, "5.00", reason="Late delivery")
    assert goodwill["userErrors"] == []
    assert status(await read(admin, placed.id)) == ("73.85", "0.00", "CAPTURED", "73.85", "73.85", "5.00")

    book = placed.line_ids["BOOK-COOK"]
    down = await edited(admin, placed.id, {"lines": [{"lineId": book, "remove": True}]})
    assert down["paymentDelta"] == "-29.00"
    # 30.00 back: 29.00 settles the edit, 1.00 more is given on purpose.
    assert (await refund(admin, placed.id, "30.00"))["userErrors"] == []

    assert status(await read(admin, placed.id)) == ("44.85", "0.00", "CAPTURED", "73.85", "73.85", "35.00")


async def test_a_returns_refund_leaves_the_delta_as_it_was(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    placed = await return_helpers.placed_order(api, admin)
    shirts = placed.line_ids["TSHIRT-BLK-M"]
    book = placed.line_ids["BOOK-COOK"]
    await edited(admin, placed.id, {"lines": [{"lineId": shirts, "quantity": "1"}]})
    assert (await read(admin, placed.id))["paymentDelta"] == "-19.95"
    returned = await return_helpers.created(admin, placed.id, [return_helpers.line(book, "1")])
    await return_helpers.act(admin, return_helpers.RECEIVE, returned["id"])

    refunded = await return_helpers.act(admin, return_helpers.REFUND, returned["id"])

    assert refunded["userErrors"] == []
    assert status(await read(admin, placed.id)) == ("53.90", "-19.95", "CAPTURED", "73.85", "73.85", "29.00")


# ---------------------------------------------------------------- capture and release after an edit down


async def test_an_uncaptured_order_edited_down_captures_only_its_new_total_and_releases_the_rest(
    money: Money,  # noqa: F811
) -> None:
    db = money.store.db
    public_id = await factories.editable_order(db, money.providers)  # a hoodie and a cookbook: 78.00
    book = next(
        line["id"] for line in (await read(money.admin, public_id))["lines"] if line["productNumber"] == "BOOK-COOK"
    )
    stock = await factories.stock_of(db, "HOODIE-GRY-L")

    down = await edited(money.admin, public_id, {"lines": [{"lineId": book, "remove": True}]})
    assert status(down) == ("49.00", "-29.00", "NOT_CAPTURED", "78.00", "0.00", "0.00")
    assert (await capture(money.admin, public_id))["userErrors"] == []
    assert status(await read(money.admin, public_id)) == ("49.00", "-29.00", "SPLIT_CAPTURED", "78.00", "49.00", "0.00")

    released = await release(money.admin, public_id)

    assert released["userErrors"] == []
    assert status(released["order"]) == ("49.00", "0.00", "CAPTURED", "49.00", "49.00", "0.00")
    order = await read(money.admin, public_id)
    assert (order["cancelled"], order["authorizationExpiresAt"]) == (False, None)
    assert [(t["kind"], t["status"], t["amount"]) for t in order["transactions"]][-1] == (
        "CANCEL",
        "SUCCEEDED",
        "29.00",
    )
    assert order["events"][-1] == {
        "source": "release",
        "message": "Released 29.00 EUR: authorized, not captured, now voided.",
    }
    assert await factories.stock_of(db, "HOODIE-GRY-L") == stock
    await _books_match_ledger(money.store, order)


async def test_a_split_captured_rest_is_released_then_authorized_and_captured_again(money: Money) -> None:  # noqa: F811
    public_id = await money.order(amount=D("100.00"))
    await capture(money.admin, public_id, "30.00")
    before = await read(money.admin, public_id)
    assert before["authorizationExpiresAt"] is not None

    released = await release(money.admin, public_id)

    assert status(released["order"]) == ("100.00", "70.00", "SPLIT_CAPTURED", "30.00", "30.00", "0.00")
    after = await read(money.admin, public_id)
    assert (after["cancelled"], after["authorizationExpiresAt"], after["revision"]) == (
        False, None, before["revision"] + 1,
    )  # fmt: skip
    again = await release(money.admin, public_id)
    assert (again["order"], codes(again)) == (None, ["NOT_CAPTURABLE"])
    assert await read(money.admin, public_id) == after

    assert (await authorize(money.admin, public_id))["order"]["authorizedAmount"] == "100.00"
    await capture(money.admin, public_id)
    assert status(await read(money.admin, public_id)) == ("100.00", "0.00", "CAPTURED", "100.00", "100.00", "0.00")


# ---------------------------------------------------------------- expiry


async def test_voided_and_lapsed_authorizations_show_no_expiry_and_are_not_capturable(money: Money) -> None:  # noqa: F811
    cancelled = await money.order()
    await money.admin.execute(CANCEL, {"ids": [cancelled]})
    lapsed = await money.order(now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=8))

    assert (await read(money.admin, cancelled))["authorizationExpiresAt"] is None
    order = await read(money.admin, lapsed)
    assert (order["authorizationExpiresAt"], order["paymentDelta"], order["captureState"]) == (
        None, "100.00", "NOT_CAPTURED",
    )  # fmt: skip

    assert (await authorize(money.admin, lapsed))["userErrors"] == []
    assert (await read(money.admin, lapsed))["authorizationExpiresAt"] is not None
    await capture(money.admin, lapsed)
    assert status(await read(money.admin, lapsed)) == ("100.00", "0.00", "CAPTURED", "200.00", "100.00", "0.00")


# ---------------------------------------------------------------- refusals, declines, keys


async def test_authorize_refusals_change_nothing(money: Money, api: GraphQLClient) -> None:  # noqa: F811
    db = money.store.db
    settled = await money.order()
    manual = await money.order(provider="manual")
    cancelled = await money.order()
    await money.admin.execute(CANCEL, {"ids": [cancelled]})
    cart = await factories.record(db, kind=OrderKind.CART, is_complete=False)
    before = {order_id: await read(money.admin, order_id) for order_id in (settled, manual, cancelled, cart)}

    refusals = [
        await authorize(money.admin, settled),
        await authorize(money.admin, settled, amount="0"),
        await authorize(money.admin, settled, amount="1.001"),
        await authorize(money.admin, manual),
        await authorize(money.admin, cancelled),
        await authorize(money.admin, cart),
        await authorize(money.admin, "ORDER999999"),
        (await api.execute(AUTHORIZE, {"id": settled}))["authorize"],
    ]

    assert [(payload["order"], codes(payload)) for payload in refusals] == [
        (None, ["ALREADY_DONE"]), (None, ["INVALID"]), (None, ["INVALID"]), (None, ["PROVIDER_UNSUPPORTED"]),
        (None, ["CLOSED"]), (None, ["CLOSED"]), (None, ["NOT_FOUND"]), (None, ["FORBIDDEN"]),
    ]  # fmt: skip
    assert (
        refusals[0]["userErrors"][0]["message"] == f"{settled} needs nothing more authorized (paymentDelta 0.00 EUR)."
    )
    assert {order_id: await read(money.admin, order_id) for order_id in before} == before


async def test_a_declined_authorization_records_a_failed_row_and_event_and_changes_nothing_else(money: Money) -> None:  # noqa: F811
    public_id = await factories.editable_order(money.store.db, money.providers)
    ids = await catalogue(money.admin)
    await edited(money.admin, public_id, {"customer": {"email": "decline-authorize@example.com"}})
    await edited(money.admin, public_id, {"lines": [{"productId": ids["MUG-CER"], "quantity": "1"}]})
    before = await read(money.admin, public_id)

    declined = await authorize(money.admin, public_id)

    assert codes(declined) == ["PROVIDER_DECLINED"]
    after = await read(money.admin, public_id)
    assert after["transactions"][-1] == {
        "kind": "AUTHORIZE", "status": "FAILED", "amount": "8.95", "transactionNumber": None,
    }  # fmt: skip
    assert after["events"][-1] == {
        "source": "payment",
        "message": "authorize of 8.95 EUR was declined: Declined by the test gateway (authorize).",
    }
    unchanged = ("transactions", "events")
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }


async def test_authorize_and_release_replay_their_key_and_refuse_it_for_another_request(money: Money) -> None:  # noqa: F811
    public_id = await money.order(amount=D("100.00"))
    await capture(money.admin, public_id, "60.00")
    first = await release(money.admin, public_id, key="rel-1")
    calls = money.gateway.operations_performed

    assert await release(money.admin, public_id, key="rel-1") == first
    authorized = await authorize(money.admin, public_id, amount="40.00", key="auth-1")
    assert await authorize(money.admin, public_id, amount="40.00", key="auth-1") == authorized
    conflict = await authorize(money.admin, public_id, amount="41.00", key="auth-1")

    assert codes(conflict) == ["IDEMPOTENCY_CONFLICT"]
    assert money.gateway.operations_performed == calls + 1
    assert status(await read(money.admin, public_id)) == ("100.00", "0.00", "SPLIT_CAPTURED", "100.00", "60.00", "0.00")


async def test_release_refusals_change_nothing(money: Money) -> None:  # noqa: F811
    captured = await money.order()
    await capture(money.admin, captured)
    manual = await money.order(provider="manual")
    cancelled = await money.order()
    await money.admin.execute(CANCEL, {"ids": [cancelled]})
    before = {order_id: await read(money.admin, order_id) for order_id in (captured, manual, cancelled)}

    refusals = [await release(money.admin, order_id) for order_id in (captured, manual, cancelled)]

    assert [codes(payload) for payload in refusals] == [["NOT_CAPTURABLE"], ["PROVIDER_UNSUPPORTED"], ["CLOSED"]]
    assert {order_id: await read(money.admin, order_id) for order_id in before} == before


# ---------------------------------------------------------------- amounts in messages


async def test_messages_show_amounts_at_the_currencys_minor_unit(money: Money) -> None:  # noqa: F811
    public_id = await money.order(amount=D("50.00"))

    too_much = await capture(money.admin, public_id, "50.01")
    await capture(money.admin, public_id, "30.00")
    refused = await refund(money.admin, public_id, "30.01")

    assert too_much["userErrors"][0]["message"] == ("50.01 EUR exceeds the 50.00 EUR still available to capture.")
    assert refused["userErrors"][0]["message"] == "30.01 EUR exceeds the 30.00 EUR captured and not refunded."
    events = [(e["source"], e["message"]) for e in (await read(money.admin, public_id))["events"]]
    assert events[-2:] == [("payment", "capture of 30.00 EUR succeeded"), ("capture", "Captured 30.00 EUR.")]
