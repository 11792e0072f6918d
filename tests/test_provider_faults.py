"""A payment provider that raises: every fault becomes a coded outcome at the provider boundary, bulk movements
judge each order alone and go on past a failing one, and reconciliation settles the other rows of its run."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from resolvers.payments import payment_providers, reconciliation, transaction_rows
from schema import worker
from tests import late_answers
from tests.conftest import GraphQLClient, Store
from tests.payment_factories import ledger_of
from tests.storefront_helpers import (
    COMPLETE,
    ORDER_QUERY,
    catalogue,
    checkout,
    filled_cart,
    mutate,
    providers_of,
    stock_of,
)
from tests.test_payments_api import CANCEL, CAPTURE, REFUND, Money, codes, money  # noqa: F401  (the fixture)

D = Decimal


class FaultyGateway(payment_providers.TestProvider):
    """The test gateway, failing the way a real one can for the orders and references it is told of.

    `fails_before[order]` is raised before the gateway books anything; `fails_after[order]` after it
    booked the operation (the answer was lost on the way back); an order in `late` is booked and
    answered only after every timeout; a reference in `lookup_fails` makes its lookup raise.
    """

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self.fails_before: dict[str, Exception] = {}
        self.fails_after: dict[str, Exception] = {}
        self.late: set[str] = set()
        self.lookup_fails: set[str] = set()
        self.bookings = late_answers.Bookings()

    async def call(
        self, request: payment_providers.ProviderCall, *, now: datetime.datetime
    ) -> payment_providers.ProviderOutcome:
        if request.order_id in self.fails_before:
            raise self.fails_before[request.order_id]
        outcome = await self.bookings.book(super().call(request, now=now))
        if request.order_id in self.fails_after:
            raise self.fails_after[request.order_id]
        if request.order_id in self.late:
            await asyncio.sleep(30)
        return outcome

    async def lookup(self, reference: str) -> payment_providers.ProviderOutcome | None:
        if reference in self.lookup_fails:
            raise RuntimeError(f"the gateway's report of {reference} is corrupt")
        return await super().lookup(reference)


@pytest.fixture
def faulty(money: Money) -> FaultyGateway:  # noqa: F811
    """The faulty gateway in place of the app's `test` provider."""
    gateway = FaultyGateway(money.store.db.write_sessions)
    money.providers._instances["test"] = gateway
    return gateway


async def _orders(money: Money, count: int) -> list[str]:  # noqa: F811
    return [await money.order(amount=D("100.00")) for _ in range(count)]


def _transactions(order: dict[str, Any]) -> list[tuple[str, str, Decimal]]:
    return [(t["kind"], t["status"], D(t["amount"])) for t in order["transactions"]]


async def _reconcile(money: Money) -> reconciliation.Report:  # noqa: F811
    now = datetime.datetime.now(datetime.UTC)
    return await reconciliation.run(
        money.store.db.write_sessions, money.providers, older_than=datetime.timedelta(0), now=now
    )


async def test_a_provider_raising_mid_bulk_capture_answers_that_order_pending_and_captures_the_rest(
    money: Money,  # noqa: F811
    faulty: FaultyGateway,
) -> None:
    ids = await _orders(money, 5)
    faulty.fails_before[ids[2]] = ValueError("unexpected reply from the gateway")
    third_before = await money.read(ids[2])

    result = (await money.admin.execute(CAPTURE, {"ids": ids}))["capture"]

    assert [r["orderId"] for r in result["results"]] == ids
    assert [codes(r) for r in result["results"]] == [[], [], ["ALREADY_DONE"], [], []]
    assert "pending at the payment provider" in result["results"][2]["userErrors"][0]["message"]
    assert [r["order"] and (r["order"]["captureState"], r["order"]["capturedAmount"]) for r in result["results"]] == [
        ("CAPTURED", "100.00"), ("CAPTURED", "100.00"), None, ("CAPTURED", "100.00"), ("CAPTURED", "100.00"),
    ]  # fmt: skip
    assert result["ok"] is False
    third = await money.read(ids[2])
    assert _transactions(third) == [("AUTHORIZE", "SUCCEEDED", D(100)), ("CAPTURE", "PENDING", D(100))]
    unchanged = {k: v for k, v in third.items() if k != "transactions"}
    assert unchanged == {k: v for k, v in third_before.items() if k != "transactions"}

    # The gateway never booked it: reconciliation releases the reservation, and the order captures again.
    report = await _reconcile(money)
    assert (report.succeeded, report.failed, report.unknown, report.errors) == (0, 1, 0, 0)
    del faulty.fails_before[ids[2]]
    again = (await money.admin.execute(CAPTURE, {"ids": [ids[2]]}))["capture"]
    assert again["results"][0]["order"]["capturedAmount"] == "100.00"


async def test_a_provider_that_sent_nothing_fails_the_row_and_the_bulk_goes_on(
    money: Money,  # noqa: F811
    faulty: FaultyGateway,
) -> None:
    ids = await _orders(money, 3)
    faulty.fails_before[ids[1]] = payment_providers.CallNotSent("connection refused")
    second_before = await money.read(ids[1])

    result = (await money.admin.execute(CAPTURE, {"ids": ids}))["capture"]

    assert [codes(r) for r in result["results"]] == [[], ["PROVIDER_DECLINED"], []]
    [error] = result["results"][1]["userErrors"]
    assert error["message"] == transaction_rows.NOT_SENT_MESSAGE
    assert [r["order"] and r["order"]["captureState"] for r in result["results"]] == ["CAPTURED", None, "CAPTURED"]
    second = await money.read(ids[1])
    assert _transactions(second) == [("AUTHORIZE", "SUCCEEDED", D(100)), ("CAPTURE", "FAILED", D(100))]
    assert (second["capturedAmount"], second["revision"]) == ("0.00", second_before["revision"])


class UnconfiguredGateway(payment_providers.TestProvider):
    """A gateway module whose configuration is missing: it cannot even be built."""

    def __init__(self, sessions: Any) -> None:
        raise RuntimeError("ORDERGRAPH_GATEWAY_API_KEY is not set")


async def test_a_provider_that_cannot_start_is_unsupported_and_releases_the_reservation(
    money: Money,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [public_id] = await _orders(money, 1)
    monkeypatch.setitem(payment_providers._FACTORIES, "test", UnconfiguredGateway)
    money.providers._instances.clear()

    result = (await money.admin.execute(CAPTURE, {"ids": [public_id]}))["capture"]

    assert [(e["code"], e["message"]) for e in result["results"][0]["userErrors"]] == [
        ("PROVIDER_UNSUPPORTED", "The payment provider 'test' is not available.")
    ]
    order = await money.read(public_id)
    assert (order["captureState"], _transactions(order)[-1]) == ("NOT_CAPTURED", ("CAPTURE", "FAILED", D(100)))


async def test_a_fault_mid_bulk_cancel_cancels_the_others(money: Money, faulty: FaultyGateway) -> None:  # noqa: F811
    ids = await _orders(money, 3)
    faulty.fails_after[ids[1]] = ConnectionResetError("connection reset by peer")

    result = (await money.admin.execute(CANCEL, {"ids": ids}))["cancel"]

    assert [codes(r) for r in result["results"]] == [[], ["ALREADY_DONE"], []]
    assert [r["order"] and r["order"]["cancelled"] for r in result["results"]] == [True, None, True]
    second = await money.read(ids[1])
    assert (second["cancelled"], _transactions(second)[-1]) == (False, ("CANCEL", "PENDING", D(100)))


async def test_a_provider_raising_on_a_refund_answers_it_pending(money: Money, faulty: FaultyGateway) -> None:  # noqa: F811
    [public_id] = await _orders(money, 1)
    await money.admin.execute(CAPTURE, {"ids": [public_id]})
    faulty.fails_after[public_id] = KeyError("status")

    refunded = (await money.admin.execute(REFUND, {"id": public_id, "amount": "30.00"}))["refund"]

    assert (codes(refunded), refunded["order"]) == (["ALREADY_DONE"], None)
    order = await money.read(public_id)
    assert (order["refundedAmount"], _transactions(order)[-1]) == ("0.00", ("REFUND", "PENDING", D(30)))
    # The gateway did refund: reconciliation settles the row as the gateway booked it.
    report = await _reconcile(money)
    assert (report.succeeded, report.errors) == (1, 0)
    assert (await money.read(public_id))["refundedAmount"] == "30.00"


async def test_reconciliation_settles_the_rows_after_one_whose_lookup_raises(
    money: Money,  # noqa: F811
    faulty: FaultyGateway,
) -> None:
    ids = await _orders(money, 4)
    faulty.late.update(ids)
    transport = money.admin.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    transport.app.state.settings.provider_timeout_seconds = 0.05  # type: ignore[attr-defined]
    captured = (await money.admin.execute(CAPTURE, {"ids": ids}))["capture"]
    assert [codes(r) for r in captured["results"]] == [["ALREADY_DONE"]] * 4
    references = {public_id: (await ledger_of(money.store.db, public_id))[1][-1].reference for public_id in ids}
    faulty.lookup_fails.add(references[ids[1]])
    await faulty.bookings.done()

    report = await _reconcile(money)

    assert (report.succeeded, report.failed, report.unknown, report.errors) == (3, 0, 0, 1)
    assert worker.describe_reconciliation(report) == (
        "3 succeeded, 0 failed, 0 still pending, 1 could not be settled (see the log); purged 0 idempotency keys"
    )
    states = [(await money.read(public_id))["captureState"] for public_id in ids]
    assert states == ["CAPTURED", "NOT_CAPTURED", "CAPTURED", "CAPTURED"]
    assert _transactions(await money.read(ids[1]))[-1] == ("CAPTURE", "PENDING", D(100))

    faulty.lookup_fails.clear()
    later = await _reconcile(money)
    assert (later.succeeded, later.errors) == (1, 0)
    assert (await money.read(ids[1]))["captureState"] == "CAPTURED"


async def test_a_provider_raising_at_checkout_leaves_the_authorization_pending_until_reconciled(
    api: GraphQLClient, demo_store: Store
) -> None:
    faulty = FaultyGateway(demo_store.db.write_sessions)
    providers_of(api)._instances["test"] = faulty
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    faulty.fails_after[order["id"]] = ConnectionResetError("connection reset by peer")
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")

    completed = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})

    assert ([e["code"] for e in completed["userErrors"]], completed["order"]) == (["ALREADY_DONE"], None)
    pending = (await api.execute(ORDER_QUERY, {"id": order["id"], "s": cart.secret}))["order"]
    assert (pending["complete"], [(t["kind"], t["status"]) for t in pending["transactions"]]) == (
        False, [("AUTHORIZE", "PENDING")],
    )  # fmt: skip
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2

    now = datetime.datetime.now(datetime.UTC)
    report = await reconciliation.run(
        demo_store.db.write_sessions, providers_of(api), older_than=datetime.timedelta(0), now=now
    )
    assert (report.succeeded, report.errors) == (1, 0)
    assert (await api.execute(ORDER_QUERY, {"id": order["id"], "s": cart.secret}))["order"]["complete"] is True
