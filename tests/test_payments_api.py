"""capture, refund, cancel and delete through GraphQL: the capture-state table, the operations table,
idempotency, declines, and that every failure leaves the order as it was."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from models.enums import OrderKind, Role
from models.orders import Order
from models.payments import IdempotencyRecord
from models.settings import Settings
from resolvers.payments import payment_filters, payment_providers, reconciliation
from resolvers.payments.payment_providers import Providers
from schema.app import create_app
from tests import payment_factories as factories
from tests.conftest import GraphQLClient, Store, make_token

D = Decimal

ORDER_FIELDS = (
    "id revision captureState authorizedAmount capturedAmount refundedAmount cancelled deleted authorizationExpiresAt"
)
CAPTURE = f"""mutation($ids: [ID!]!, $amount: Decimal, $key: String) {{
  capture(orderIds: $ids, amount: $amount, idempotencyKey: $key) {{
    ok results {{ orderId order {{ {ORDER_FIELDS} }} userErrors {{ code message field }} }} }} }}"""
REFUND = f"""mutation($id: ID!, $amount: Decimal, $key: String, $reason: String) {{
  refund(orderId: $id, amount: $amount, idempotencyKey: $key, reason: $reason) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ code message field }} }} }}"""
CANCEL = f"""mutation($ids: [ID!]!, $reason: String) {{
  cancel(orderIds: $ids, reason: $reason) {{
    ok results {{ orderId order {{ {ORDER_FIELDS} }} userErrors {{ code message }} }} }} }}"""
DELETE = f"""mutation($ids: [ID!]!) {{
  delete(orderIds: $ids) {{ ok results {{ orderId order {{ {ORDER_FIELDS} }} userErrors {{ code message }} }} }} }}"""
ORDER = f"""query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS}
  transactions {{ kind status amount transactionNumber cardNumber message expiresAt }}
  events {{ source message }} }} }}"""


@dataclasses.dataclass
class Money:
    store: Store
    admin: GraphQLClient
    providers: Providers

    @property
    def gateway(self) -> payment_providers.TestProvider:
        return self.providers.get("test")  # type: ignore[return-value]

    async def order(self, **kwargs: Any) -> str:
        return await factories.authorized_order(self.store.db, self.providers, **kwargs)

    async def read(self, public_id: str) -> dict[str, Any]:
        return (await self.admin.execute(ORDER, {"id": public_id}))["order"]


@pytest.fixture
async def money(demo_store: Store) -> AsyncIterator[Money]:
    """An admin client and the app's own providers (so tests can read the gateway's counter)."""
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ordergraph.test") as http:
        token = await make_token(demo_store, Role.ADMIN)
        yield Money(demo_store, GraphQLClient(http, token), app.state.providers)


async def capture(money: Money, ids: list[str], amount: str | None = None, key: str | None = None) -> dict[str, Any]:
    return (await money.admin.execute(CAPTURE, {"ids": ids, "amount": amount, "key": key}))["capture"]


async def refund(money: Money, public_id: str, amount: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return (await money.admin.execute(REFUND, {"id": public_id, "amount": amount, **kwargs}))["refund"]


def codes(result: dict[str, Any]) -> list[str]:
    return [error["code"] for error in result["userErrors"]]


# ---------------------------------------------------------------- the capture-state table


async def test_capture_states_from_not_captured_to_split_to_captured(money: Money) -> None:
    public_id = await money.order(amount=D("100.00"))
    assert (await money.read(public_id))["captureState"] == "NOT_CAPTURED"

    split = await capture(money, [public_id], "30.00")
    assert split["ok"] is True
    assert split["results"][0]["order"]["captureState"] == "SPLIT_CAPTURED"
    assert split["results"][0]["order"]["capturedAmount"] == "30.00"

    rest = await capture(money, [public_id])
    order = rest["results"][0]["order"]
    assert (order["captureState"], order["capturedAmount"], order["authorizedAmount"]) == (
        "CAPTURED",
        "100.00",
        "100.00",
    )
    captures = [t for t in (await money.read(public_id))["transactions"] if t["kind"] == "CAPTURE"]
    assert [(t["status"], D(t["amount"])) for t in captures] == [("SUCCEEDED", D("30.00")), ("SUCCEEDED", D("70.00"))]
    assert all(t["transactionNumber"] and t["cardNumber"] == "XXXX XXXX XXXX 4242" for t in captures)
    assert money.gateway.operations_performed == 3  # authorize + 2 captures


async def test_a_captured_order_is_not_capturable_and_nothing_changes(money: Money) -> None:
    public_id = await money.order()
    await capture(money, [public_id])
    before = await money.read(public_id)

    again = await capture(money, [public_id])

    assert codes(again["results"][0]) == ["NOT_CAPTURABLE"]
    assert (again["ok"], again["results"][0]["order"]) == (False, None)
    assert await money.read(public_id) == before


async def test_manual_orders_are_not_supported_and_refused_with_provider_unsupported(money: Money) -> None:
    public_id = await money.order(provider="manual")
    before = await money.read(public_id)
    assert before["captureState"] == "NOT_SUPPORTED"

    result = await capture(money, [public_id])

    assert codes(result["results"][0]) == ["PROVIDER_UNSUPPORTED"]
    assert codes(await refund(money, public_id)) == ["PROVIDER_UNSUPPORTED"]
    assert await money.read(public_id) == before


async def test_bulk_capture_judges_each_order_alone_in_request_order(money: Money) -> None:
    good = await money.order()
    manual = await money.order(provider="manual")
    cart = await factories.record(money.store.db, kind=OrderKind.CART, is_complete=False)

    result = await capture(money, [good, "ORDER999999", manual, cart])

    assert [r["orderId"] for r in result["results"]] == [good, "ORDER999999", manual, cart]
    assert [codes(r) for r in result["results"]] == [[], ["NOT_FOUND"], ["PROVIDER_UNSUPPORTED"], ["NOT_CAPTURABLE"]]
    assert result["results"][0]["order"]["captureState"] == "CAPTURED"
    assert result["ok"] is False


async def test_capture_amount_rules(money: Money) -> None:
    public_id = await money.order(amount=D("50.00"))
    other = await money.order()
    before = await money.read(public_id)

    assert codes((await capture(money, [public_id], "50.01"))["results"][0]) == ["AMOUNT_EXCEEDS_AVAILABLE"]
    assert codes((await capture(money, [public_id], "0"))["results"][0]) == ["INVALID"]
    assert codes((await capture(money, [public_id], "1.001"))["results"][0]) == ["INVALID"]
    two = await capture(money, [public_id, other], "10.00")
    assert [codes(r) for r in two["results"]] == [["INVALID"], ["INVALID"]]
    assert two["results"][0]["userErrors"][0]["field"] == ["amount"]
    assert await money.read(public_id) == before


async def test_a_declined_capture_records_a_failed_row_and_event_and_changes_nothing_else(money: Money) -> None:
    public_id = await money.order(email="decline-capture@example.com")
    before = await money.read(public_id)

    result = await capture(money, [public_id])

    assert codes(result["results"][0]) == ["PROVIDER_DECLINED"]
    after = await money.read(public_id)
    assert (after["transactions"][-1]["kind"], after["transactions"][-1]["status"]) == ("CAPTURE", "FAILED")
    assert after["events"][-1]["source"] == "payment"
    assert "declined" in after["events"][-1]["message"]
    unchanged = {k: after[k] for k in after if k not in ("transactions", "events")}
    assert unchanged == {k: before[k] for k in before if k not in ("transactions", "events")}
    assert after["revision"] == before["revision"]
    assert money.gateway.operations_performed == 1  # the authorization only


async def test_capture_after_the_authorization_lapsed_is_refused(money: Money) -> None:
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=8)
    public_id = await money.order(now=long_ago)

    result = await capture(money, [public_id])

    assert codes(result["results"][0]) == ["NOT_CAPTURABLE"]
    assert "lapsed" in result["results"][0]["userErrors"][0]["message"]


async def test_non_admins_are_forbidden_per_order(money: Money, demo_store: Store) -> None:
    public_id = await money.order()
    storefront = money.admin.as_role(await make_token(demo_store, Role.STOREFRONT))

    result = (await storefront.execute(CAPTURE, {"ids": [public_id, "X"]}))["capture"]
    refunded = (await storefront.execute(REFUND, {"id": public_id}))["refund"]
    cancelled = (await storefront.execute(CANCEL, {"ids": [public_id]}))["cancel"]
    deleted = (await storefront.execute(DELETE, {"ids": [public_id]}))["delete"]

    assert [codes(r) for r in result["results"]] == [["FORBIDDEN"], ["FORBIDDEN"]]
    assert codes(refunded) == ["FORBIDDEN"]
    assert codes(cancelled["results"][0]) == codes(deleted["results"][0]) == ["FORBIDDEN"]
    assert (await money.read(public_id))["captureState"] == "NOT_CAPTURED"


# ---------------------------------------------------------------- refunds


async def test_partial_then_full_refund_up_to_what_was_captured(money: Money) -> None:
    public_id = await money.order(amount=D("80.00"))
    await capture(money, [public_id], "60.00")

    partial = await refund(money, public_id, "15.50", reason="Damaged in transit")
    assert (partial["userErrors"], partial["order"]["refundedAmount"]) == ([], "15.50")
    too_much = await refund(money, public_id, "44.51")
    assert codes(too_much) == ["AMOUNT_EXCEEDS_AVAILABLE"]
    full = await refund(money, public_id)
    assert full["order"]["refundedAmount"] == "60.00"
    assert codes(await refund(money, public_id)) == ["AMOUNT_EXCEEDS_AVAILABLE"]

    events = [e["message"] for e in (await money.read(public_id))["events"] if e["source"] == "refund"]
    assert events == ["Refunded 15.50 EUR. Reason: Damaged in transit", "Refunded 44.50 EUR."]


async def test_refund_of_an_uncaptured_order_is_refused(money: Money) -> None:
    public_id = await money.order()
    assert codes(await refund(money, public_id)) == ["AMOUNT_EXCEEDS_AVAILABLE"]
    assert codes(await refund(money, public_id, "1.00")) == ["AMOUNT_EXCEEDS_AVAILABLE"]


async def test_a_declined_refund_changes_nothing_but_a_failed_row(money: Money) -> None:
    public_id = await money.order(email="decline-refund@example.com")
    await capture(money, [public_id])
    before = await money.read(public_id)

    assert codes(await refund(money, public_id, "5.00")) == ["PROVIDER_DECLINED"]

    after = await money.read(public_id)
    assert (after["refundedAmount"], after["revision"]) == (before["refundedAmount"], before["revision"])
    assert [t["status"] for t in after["transactions"]][-1] == "FAILED"
    assert len(after["transactions"]) == len(before["transactions"]) + 1


# ---------------------------------------------------------------- idempotency


async def test_the_same_key_and_request_replays_without_calling_the_provider(money: Money) -> None:
    public_id = await money.order()
    first = await capture(money, [public_id], "40.00", key="cap-1")
    calls = money.gateway.operations_performed
    after_first = await money.read(public_id)

    again = await capture(money, [public_id], "40.00", key="cap-1")

    assert again == first
    assert money.gateway.operations_performed == calls
    assert await money.read(public_id) == after_first

    refunded = await refund(money, public_id, "10.00", key="ref-1", reason="r")
    assert await refund(money, public_id, "10.00", key="ref-1", reason="r") == refunded
    assert (await money.read(public_id))["refundedAmount"] == "10.00"


async def test_the_same_key_with_another_request_is_a_conflict_and_changes_nothing(money: Money) -> None:
    public_id = await money.order()
    await capture(money, [public_id], "40.00", key="cap-2")
    before = await money.read(public_id)
    calls = money.gateway.operations_performed

    conflict = await capture(money, [public_id], "41.00", key="cap-2")

    assert codes(conflict["results"][0]) == ["IDEMPOTENCY_CONFLICT"]
    assert await money.read(public_id) == before
    assert money.gateway.operations_performed == calls
    # Keys are scoped per mutation: the same key is free for a refund.
    assert (await refund(money, public_id, "1.00", key="cap-2"))["userErrors"] == []


async def test_a_declined_request_replays_its_decline(money: Money) -> None:
    public_id = await money.order(email="decline-capture@example.com")
    first = await capture(money, [public_id], key="cap-3")
    before = await money.read(public_id)

    again = await capture(money, [public_id], key="cap-3")

    assert codes(again["results"][0]) == codes(first["results"][0]) == ["PROVIDER_DECLINED"]
    assert await money.read(public_id) == before


async def test_idempotency_keys_are_purged_after_the_keep_time_only(money: Money) -> None:
    public_id = await money.order()
    await capture(money, [public_id], key="cap-4")
    db = money.store.db

    now = datetime.datetime.now(datetime.UTC)
    kept = await reconciliation.run(
        db.write_sessions,
        money.providers,
        older_than=datetime.timedelta(0),
        now=now,
        keep_keys_for=datetime.timedelta(hours=1),
    )
    purged = await reconciliation.run(
        db.write_sessions, money.providers, older_than=datetime.timedelta(0), now=now + datetime.timedelta(hours=25),
        keep_keys_for=datetime.timedelta(hours=1),
    )  # fmt: skip

    assert (kept.purged_keys, purged.purged_keys) == (0, 1)  # kept 24 hours at least, whatever asked
    async with db.read_sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord)) == 0


# ---------------------------------------------------------------- cancel


async def test_cancel_voids_the_authorization_returns_stock_once_and_marks_cancelled(money: Money) -> None:
    db = money.store.db
    stock_before = await factories.stock_of(db, "HOODIE-GRY-L")
    public_id = await money.order(lines=(("HOODIE-GRY-L", D(3)),))
    assert await factories.stock_of(db, "HOODIE-GRY-L") == stock_before - 3

    result = (await money.admin.execute(CANCEL, {"ids": [public_id, public_id], "reason": "Customer asked"}))["cancel"]

    assert [codes(r) for r in result["results"]] == [[], ["ALREADY_DONE"]]
    order = await money.read(public_id)
    assert (order["cancelled"], order["authorizedAmount"], order["captureState"]) == (True, "0.00", "NOT_CAPTURED")
    assert [(t["kind"], t["status"], D(t["amount"])) for t in order["transactions"]][-1] == (
        "CANCEL",
        "SUCCEEDED",
        D(100),
    )
    assert order["events"][-1] == {
        "source": "cancel",
        "message": "Cancelled the order (100.00 EUR); its products are back in stock. Reason: Customer asked",
    }
    assert await factories.stock_of(db, "HOODIE-GRY-L") == stock_before
    assert codes((await capture(money, [public_id]))["results"][0]) == ["CLOSED"]


async def test_cancel_is_refused_with_captured_money_and_nothing_changes(money: Money) -> None:
    db = money.store.db
    public_id = await money.order()
    await capture(money, [public_id], "1.00")
    before = await money.read(public_id)
    stock = await factories.stock_of(db, "HOODIE-GRY-L")

    result = (await money.admin.execute(CANCEL, {"ids": [public_id]}))["cancel"]

    assert codes(result["results"][0]) == ["TRANSITION_NOT_ALLOWED"]
    assert await money.read(public_id) == before
    assert await factories.stock_of(db, "HOODIE-GRY-L") == stock


async def test_cancel_of_a_manual_order_records_the_void_without_a_provider_call(money: Money) -> None:
    public_id = await money.order(provider="manual")

    result = (await money.admin.execute(CANCEL, {"ids": [public_id]}))["cancel"]

    assert result["ok"] is True
    order = await money.read(public_id)
    assert (order["cancelled"], order["authorizedAmount"]) == (True, "0.00")
    assert order["transactions"][-1]["message"].startswith("Recorded only")


async def test_a_declined_cancel_leaves_the_order_and_stock_alone(money: Money) -> None:
    db = money.store.db
    public_id = await money.order(email="decline-cancel@example.com")
    before = await money.read(public_id)
    stock = await factories.stock_of(db, "HOODIE-GRY-L")

    result = (await money.admin.execute(CANCEL, {"ids": [public_id]}))["cancel"]

    assert codes(result["results"][0]) == ["PROVIDER_DECLINED"]
    after = await money.read(public_id)
    assert (after["cancelled"], after["revision"], after["authorizedAmount"]) == (False, before["revision"], "100.00")
    assert await factories.stock_of(db, "HOODIE-GRY-L") == stock


async def test_cancel_refuses_carts_and_quotes(money: Money) -> None:
    cart = await factories.record(money.store.db, kind=OrderKind.CART, is_complete=False)
    result = (await money.admin.execute(CANCEL, {"ids": [cart]}))["cancel"]
    assert codes(result["results"][0]) == ["TRANSITION_NOT_ALLOWED"]


# ---------------------------------------------------------------- delete


async def test_delete_rules(money: Money) -> None:
    db = money.store.db
    cart = await factories.record(db, kind=OrderKind.CART, is_complete=False)
    quote = await factories.record(db, kind=OrderKind.QUOTE, is_complete=False)
    unfinished = await factories.record(db, is_complete=False)
    completed = await money.order()
    cancelled = await money.order()
    await money.admin.execute(CANCEL, {"ids": [cancelled]})

    result = (await money.admin.execute(DELETE, {"ids": [cart, quote, unfinished, completed, cancelled, cart]}))[
        "delete"
    ]

    assert [codes(r) for r in result["results"]] == [[], [], [], ["TRANSITION_NOT_ALLOWED"], [], ["ALREADY_DONE"]]
    assert [r["order"]["deleted"] for r in result["results"][:3]] == [True, True, True]
    assert (await money.read(completed))["deleted"] is False


async def test_an_unfinished_checkout_holding_an_authorization_is_not_deleted(money: Money) -> None:
    db = money.store.db
    unfinished = await factories.record(db, is_complete=False)
    await factories.authorize(
        db, money.providers, public_id=unfinished, amount=D("10.00"), now=datetime.datetime.now(datetime.UTC)
    )

    refused = (await money.admin.execute(DELETE, {"ids": [unfinished]}))["delete"]
    cancelled = (await money.admin.execute(CANCEL, {"ids": [unfinished]}))["cancel"]
    deleted = (await money.admin.execute(DELETE, {"ids": [unfinished]}))["delete"]

    assert codes(refused["results"][0]) == ["TRANSITION_NOT_ALLOWED"]
    assert (cancelled["ok"], deleted["ok"]) == (True, True)


# ---------------------------------------------------------------- authorization expiry


async def test_authorization_expiry_field_and_filter_clause(money: Money) -> None:
    db = money.store.db
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    soon = await money.order(now=now - datetime.timedelta(days=6))
    later = await money.order(now=now)
    captured = await money.order(now=now - datetime.timedelta(days=6))
    await capture(money, [captured])
    voided = await money.order(now=now - datetime.timedelta(days=6))
    await money.admin.execute(CANCEL, {"ids": [voided]})
    manual = await money.order(provider="manual", now=now - datetime.timedelta(days=6))

    expires = (await money.read(soon))["authorizationExpiresAt"]
    assert datetime.datetime.fromisoformat(expires) == now + datetime.timedelta(days=1)
    assert (await money.read(manual))["authorizationExpiresAt"] is None

    async with db.read_sessions() as session:
        clause = payment_filters.authorization_expires_before(now + datetime.timedelta(days=2))
        found = (await session.scalars(sa.select(Order.public_id).where(clause).order_by(Order.id))).all()
    assert found == [soon]
    assert later not in found
    listed = await money.admin.execute(
        "query($t: DateTime!) { orders(filter: {authorizationExpiresBefore: $t}) { edges { node { id } } } }",
        {"t": (now + datetime.timedelta(days=2)).isoformat()},
    )
    assert [edge["node"]["id"] for edge in listed["orders"]["edges"]] == [soon]


async def test_transactions_carry_the_providers_expiry(money: Money) -> None:
    public_id = await money.order()
    authorization = (await money.read(public_id))["transactions"][0]
    assert authorization["kind"] == "AUTHORIZE"
    assert authorization["expiresAt"] is not None
