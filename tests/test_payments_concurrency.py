"""50 concurrent captures, then 50 concurrent refunds, of one order, over HTTP, repeated: no race breaks
captured ≤ authorized or refunded ≤ captured, and the gateway moved money exactly as often as the ledger says."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models import payments as payment_models
from models.enums import TransactionKind, TransactionStatus
from tests import payment_factories as factories
from tests.test_payments_api import CAPTURE, REFUND, Money, money  # noqa: F401  (the fixture)

D = Decimal
CONCURRENCY = 50
ROUNDS = 3


async def test_concurrent_captures_and_refunds_never_overspend(money: Money) -> None:  # noqa: F811
    db = money.store.db
    for _ in range(ROUNDS):
        public_id = await money.order(amount=D("100.00"))
        calls_before = money.gateway.operations_performed

        captures = await asyncio.gather(
            *(money.admin.execute(CAPTURE, {"ids": [public_id], "amount": "7.00"}) for _ in range(CONCURRENCY))
        )
        refunds = await asyncio.gather(
            *(money.admin.execute(REFUND, {"id": public_id, "amount": "9.00"}) for _ in range(CONCURRENCY))
        )

        capture_codes = [tuple(e["code"] for e in c["capture"]["results"][0]["userErrors"]) for c in captures]
        refund_codes = [tuple(e["code"] for e in r["refund"]["userErrors"]) for r in refunds]
        # 14 captures of 7.00 fit in 100.00, 10 refunds of 9.00 in the 98.00 captured; the rest are refused.
        assert capture_codes.count(()) == 14
        assert set(capture_codes) == {(), ("AMOUNT_EXCEEDS_AVAILABLE",)}
        assert refund_codes.count(()) == 10
        assert set(refund_codes) == {(), ("AMOUNT_EXCEEDS_AVAILABLE",)}

        amounts, transactions, _ = await factories.ledger_of(db, public_id)
        factories.assert_invariants(amounts, transactions)
        assert (amounts.authorized, amounts.captured, amounts.refunded) == (D(100), D(98), D(90))
        assert not [t for t in transactions if t.status is not TransactionStatus.SUCCEEDED]
        moved = factories.succeeded(transactions, TransactionKind.CAPTURE) + factories.succeeded(
            transactions, TransactionKind.REFUND
        )
        assert money.gateway.operations_performed - calls_before == len(moved) == 24
        await _assert_books_match(db, [t.reference for t in factories.succeeded(transactions)])


async def _assert_books_match(db: Any, references: list[str]) -> None:
    """The gateway's own books hold exactly the order's succeeded references, each approved once."""
    async with db.read_sessions() as session:
        rows = (
            await session.execute(
                sa.select(
                    payment_models.TestProviderOperation.reference, payment_models.TestProviderOperation.is_approved
                ).where(payment_models.TestProviderOperation.reference.in_(references))
            )
        ).all()
    assert sorted(rows) == sorted((reference, True) for reference in references)


AUTHORIZE = """mutation($id: ID!) { authorize(orderId: $id) { userErrors { code } } }"""
RELEASE = """mutation($id: ID!) { releaseAuthorization(orderId: $id) { userErrors { code } } }"""
STORM = (10, 10, 5)  # authorizations, captures, releases in flight at once on one order


async def test_concurrent_authorizations_secure_the_missing_money_once(money: Money) -> None:  # noqa: F811
    db = money.store.db
    for _ in range(ROUNDS):
        public_id = await money.order(amount=D("100.00"))
        await factories.set_total(db, public_id, D("150.00"))

        answers = await asyncio.gather(*(money.admin.execute(AUTHORIZE, {"id": public_id}) for _ in range(20)))
        releases = await asyncio.gather(*(money.admin.execute(RELEASE, {"id": public_id}) for _ in range(10)))

        codes = [tuple(e["code"] for e in answer["authorize"]["userErrors"]) for answer in answers]
        assert (codes.count(()), set(codes)) == (1, {(), ("ALREADY_DONE",)})
        release_codes = [tuple(e["code"] for e in r["releaseAuthorization"]["userErrors"]) for r in releases]
        assert (release_codes.count(()), set(release_codes)) == (1, {(), ("NOT_CAPTURABLE",)})
        amounts, transactions, _ = await factories.ledger_of(db, public_id)
        factories.assert_invariants(amounts, transactions)
        authorizations = factories.succeeded(transactions, TransactionKind.AUTHORIZE)
        assert [t.amount for t in authorizations] == [D(100), D(50)]
        assert [t.amount for t in factories.succeeded(transactions, TransactionKind.CANCEL)] == [D(150)]
        await _assert_books_match(db, [t.reference for t in factories.succeeded(transactions)])


async def test_concurrent_authorize_capture_and_release_keep_the_ledger_and_the_books_equal(money: Money) -> None:  # noqa: F811
    db = money.store.db
    for round_number in range(ROUNDS):
        public_id = await money.order(amount=D("100.00"))
        await factories.set_total(db, public_id, D("150.00"))
        authorizations, captures, releases = STORM
        requests = (
            [(AUTHORIZE, "authorize")] * authorizations
            + [(CAPTURE, "capture")] * captures
            + [(RELEASE, "releaseAuthorization")] * releases
        )
        # Interleaved differently every round, so each kind races every other.
        requests = requests[round_number::ROUNDS] + [r for i, r in enumerate(requests) if i % ROUNDS != round_number]
        variables = {"id": public_id, "ids": [public_id]}

        answers = await asyncio.gather(*(money.admin.execute(document, variables) for document, _ in requests))

        seen = {name: set() for _, name in requests}
        for (_, name), answer in zip(requests, answers, strict=True):
            payload = answer[name]["results"][0] if name == "capture" else answer[name]
            seen[name].add(tuple(error["code"] for error in payload["userErrors"]))
        assert seen["authorize"] <= {(), ("ALREADY_DONE",)}
        assert seen["capture"] <= {(), ("NOT_CAPTURABLE",)}
        assert seen["releaseAuthorization"] <= {(), ("NOT_CAPTURABLE",)}
        amounts, transactions, _ = await factories.ledger_of(db, public_id)
        factories.assert_invariants(amounts, transactions)
        assert amounts.captured <= D(150)  # captures without an amount never take more than the order needs
        assert not [t for t in transactions if t.status is not TransactionStatus.SUCCEEDED]
        await _assert_books_match(db, [t.reference for t in factories.succeeded(transactions)])
        await _assert_book_totals_match(db, transactions)
        await _settle_to_zero(money, public_id)


async def _settle_to_zero(money: Money, public_id: str) -> None:  # noqa: F811
    """Whatever the race left: authorize what is missing, capture, release the rest; the order is then settled."""
    await money.admin.execute(AUTHORIZE, {"id": public_id})
    await money.admin.execute(CAPTURE, {"ids": [public_id]})
    await money.admin.execute(RELEASE, {"id": public_id})
    order = (await money.admin.execute(
        "query($id: ID!) { order(id: $id) { paymentDelta captureState capturedAmount } }", {"id": public_id}
    ))["order"]  # fmt: skip
    assert order == {"paymentDelta": "0.00", "captureState": "CAPTURED", "capturedAmount": "150.00"}


async def _assert_book_totals_match(db: Any, transactions: list[Any]) -> None:
    """Per operation, the gateway's approved amounts for the order's authorization add up to the ledger's."""
    numbers = [t.transaction_number for t in factories.succeeded(transactions)]
    async with db.read_sessions() as session:
        rows = (
            await session.execute(
                sa.select(payment_models.TestProviderOperation.operation, payment_models.TestProviderOperation.amount)
                .where(payment_models.TestProviderOperation.transaction_number.in_(numbers))
                .where(payment_models.TestProviderOperation.is_approved)
            )
        ).all()
    books: dict[str, Decimal] = {}
    for operation, amount in rows:
        books[operation] = books.get(operation, D(0)) + amount
    ledger: dict[str, Decimal] = {}
    for transaction in factories.succeeded(transactions):
        ledger[transaction.kind.lower()] = ledger.get(transaction.kind.lower(), D(0)) + transaction.amount
    assert books == ledger
