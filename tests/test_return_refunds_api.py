"""refundReturn through GraphQL: exact amounts, the cap at what is refundable, idempotency, a declined
refund, a refund before receipt, a provider that does not support it, and a refund pending at the provider
that reconciliation concludes."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import httpx

from resolvers.payments import payment_providers, reconciliation
from tests import late_answers
from tests.conftest import GraphQLClient, Store
from tests.return_helpers import (
    RECEIVE,
    REFUND,
    REJECT,
    Placed,
    act,
    created,
    gateway,
    line,
    placed_order,
    providers_of,
    read_order,
)

ORDER_REFUND = """mutation($id: ID!, $a: Decimal, $k: String) {
  refund(orderId: $id, amount: $a, idempotencyKey: $k) { userErrors { code } } }"""


async def received(admin: GraphQLClient, order: Placed, *lines: tuple[str, str]) -> dict[str, Any]:
    """A received return of `lines` (product number, quantity) of the order."""
    returned = await created(admin, order.id, [line(order.line_ids[number], q) for number, q in lines])
    payload = await act(admin, RECEIVE, returned["id"])
    assert payload["userErrors"] == []
    return payload["return"]


def refunds_of(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["status"], t["amount"]) for t in order["transactions"] if t["kind"] == "REFUND"]


async def test_the_default_amount_is_what_the_returned_lines_were_paid(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    order = await placed_order(api, admin, lines=(("TSHIRT-BLK-M", "3"), ("BOOK-COOK", "2")))
    one_shirt = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    shirt_and_books = await received(admin, order, ("TSHIRT-BLK-M", "2"), ("BOOK-COOK", "2"))

    first = (await act(admin, REFUND, one_shirt["id"]))["return"]
    second = (await act(admin, REFUND, shirt_and_books["id"]))["return"]

    assert (first["status"], first["refundAmount"]) == ("REFUNDED", "19.95")
    assert (second["status"], second["refundAmount"]) == ("REFUNDED", "97.90")  # 2 x 19.95 + 2 x 29.00
    after = await read_order(admin, order.id)
    assert refunds_of(after) == [("SUCCEEDED", "19.95"), ("SUCCEEDED", "97.90")]
    assert after["refundedAmount"] == "117.85"  # everything but the fees


async def test_an_explicit_amount_is_refunded_as_given(api: GraphQLClient, admin: GraphQLClient) -> None:
    order = await placed_order(api, admin)
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))

    # The shirt and the shipping, say: more than the line, within what was captured.
    refunded = (await act(admin, REFUND, returned["id"], a="24.90"))["return"]

    assert (refunded["status"], refunded["refundAmount"]) == ("REFUNDED", "24.90")
    assert refunds_of(await read_order(admin, order.id)) == [("SUCCEEDED", "24.90")]


async def test_the_default_is_capped_at_what_is_refundable_and_nothing_left_is_refused(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    order = await placed_order(api, admin)  # 73.85 captured
    assert (await admin.execute(ORDER_REFUND, {"id": order.id, "a": "60.00"}))["refund"]["userErrors"] == []
    shirt = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    book = await received(admin, order, ("BOOK-COOK", "1"))

    capped = (await act(admin, REFUND, shirt["id"]))["return"]
    nothing_left = await act(admin, REFUND, book["id"])

    assert (capped["status"], capped["refundAmount"]) == ("REFUNDED", "13.85")
    assert [(e["code"], e["field"]) for e in nothing_left["userErrors"]] == [("AMOUNT_EXCEEDS_AVAILABLE", None)]
    after = await read_order(admin, order.id)
    assert [(r["status"], r["refundAmount"]) for r in after["returns"]] == [("REFUNDED", "13.85"), ("RECEIVED", None)]
    assert after["refundedAmount"] == "73.85"


async def test_an_amount_beyond_captured_less_refunded_is_refused_and_nothing_changes(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    order = await placed_order(api, admin)
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    before = await read_order(admin, order.id)

    payloads = [await act(admin, REFUND, returned["id"], a=amount) for amount in ("73.86", "0", "1.001")]

    assert [[(e["code"], e["field"]) for e in p["userErrors"]] for p in payloads] == [
        [("AMOUNT_EXCEEDS_AVAILABLE", ["amount"])],
        [("INVALID", ["amount"])],
        [("INVALID", ["amount"])],
    ]
    assert await read_order(admin, order.id) == before
    assert gateway(api).operations_performed == 2  # authorize, capture


async def test_a_refund_with_a_key_is_replayed_and_a_different_request_is_a_conflict(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    order = await placed_order(api, admin)
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    other = await received(admin, order, ("BOOK-COOK", "1"))

    first = await act(admin, REFUND, returned["id"], k="rma-1")
    replayed = await act(admin, REFUND, returned["id"], k="rma-1")
    other_amount = await act(admin, REFUND, returned["id"], k="rma-1", a="1.00")
    other_return = await act(admin, REFUND, other["id"], k="rma-1")

    assert first["userErrors"] == []
    assert first["return"]["status"] == "REFUNDED"
    assert replayed == first
    assert [(e["code"], e["field"]) for e in other_amount["userErrors"]] == [
        ("IDEMPOTENCY_CONFLICT", ["idempotencyKey"])
    ]
    assert [e["code"] for e in other_return["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
    after = await read_order(admin, order.id)
    assert refunds_of(after) == [("SUCCEEDED", "19.95")]
    assert [r["status"] for r in after["returns"]] == ["REFUNDED", "RECEIVED"]
    assert gateway(api).operations_performed == 3  # authorize, capture, one refund


async def test_the_refund_key_is_scoped_to_refund_return(api: GraphQLClient, admin: GraphQLClient) -> None:
    order = await placed_order(api, admin)
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    plain = {"id": order.id, "a": "1.00", "k": "shared"}
    assert (await admin.execute(ORDER_REFUND, plain))["refund"]["userErrors"] == []

    payload = await act(admin, REFUND, returned["id"], k="shared")

    assert payload["userErrors"] == []
    assert payload["return"]["refundAmount"] == "19.95"


async def test_a_declined_refund_leaves_the_return_as_it_was(api: GraphQLClient, admin: GraphQLClient) -> None:
    order = await placed_order(api, admin, email="decline-refund@example.com")
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    before = await read_order(admin, order.id)

    declined = await act(admin, REFUND, returned["id"])
    retried = await act(admin, REFUND, returned["id"])

    for payload in (declined, retried):
        assert [e["code"] for e in payload["userErrors"]] == ["PROVIDER_DECLINED"]
        assert payload["return"] is None
    after = await read_order(admin, order.id)
    assert after["returns"] == before["returns"] == [returned]
    assert (after["refundedAmount"], after["revision"]) == ("0.00", before["revision"])
    assert refunds_of(after) == [("FAILED", "19.95"), ("FAILED", "19.95")]
    # Not left pending: a rejection goes through.
    assert (await act(admin, REJECT, returned["id"]))["userErrors"] == []


async def test_a_return_is_refunded_only_once_it_is_received(api: GraphQLClient, admin: GraphQLClient) -> None:
    order = await placed_order(api, admin)
    returned = await created(admin, order.id, [line(order.line_ids["BOOK-COOK"], "1")])

    early = await act(admin, REFUND, returned["id"])

    assert [e["code"] for e in early["userErrors"]] == ["TRANSITION_NOT_ALLOWED"]
    after = await read_order(admin, order.id)
    assert (after["returns"], refunds_of(after)) == ([returned], [])


async def test_a_provider_that_cannot_refund_online_is_refused(api: GraphQLClient, admin: GraphQLClient) -> None:
    order = await placed_order(api, admin, payment="Invoice", capture=False)
    returned = await received(admin, order, ("BOOK-COOK", "1"))

    payload = await act(admin, REFUND, returned["id"])

    assert [e["code"] for e in payload["userErrors"]] == ["PROVIDER_UNSUPPORTED"]
    assert (await read_order(admin, order.id))["returns"] == [returned]


class RefundsAnsweredLate:
    """The test gateway, except that it answers a refund only after the caller gave up waiting."""

    name = "test"
    capabilities = payment_providers.EVERYTHING

    def __init__(self, gateway: payment_providers.TestProvider) -> None:
        self.gateway = gateway
        self.bookings = late_answers.Bookings()

    async def call(
        self, request: payment_providers.ProviderCall, *, now: datetime.datetime
    ) -> payment_providers.ProviderOutcome:
        outcome = await self.bookings.book(self.gateway.call(request, now=now))
        if request.operation == "refund":
            await asyncio.sleep(5)
        return outcome

    async def lookup(self, reference: str) -> payment_providers.ProviderOutcome | None:
        return await self.gateway.lookup(reference)


async def test_a_refund_pending_at_the_provider_is_concluded_by_reconciliation(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    order = await placed_order(api, admin)
    returned = await received(admin, order, ("TSHIRT-BLK-M", "1"))
    transport = api.http._transport
    assert isinstance(transport, httpx.ASGITransport)
    transport.app.state.settings.provider_timeout_seconds = 0.05  # type: ignore[attr-defined]
    providers = providers_of(api)
    providers._instances["test"] = RefundsAnsweredLate(gateway(api))  # type: ignore[assignment]

    pending = await act(admin, REFUND, returned["id"])
    again = await act(admin, REFUND, returned["id"])
    reject = await act(admin, REJECT, returned["id"])
    await providers.get("test").bookings.done()  # type: ignore[attr-defined]
    await reconciliation.run(
        demo_store.db.write_sessions,
        providers,
        older_than=datetime.timedelta(0),
        now=datetime.datetime.now(datetime.UTC),
        keep_keys_for=datetime.timedelta(hours=1),
    )

    assert [e["code"] for e in pending["userErrors"]] == ["ALREADY_DONE"]
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_DONE"]
    assert [e["code"] for e in reject["userErrors"]] == ["ALREADY_DONE"]
    after = await read_order(admin, order.id)
    assert [(r["status"], r["refundAmount"]) for r in after["returns"]] == [("REFUNDED", "19.95")]
    assert refunds_of(after) == [("SUCCEEDED", "19.95")]
    assert after["refundedAmount"] == "19.95"
