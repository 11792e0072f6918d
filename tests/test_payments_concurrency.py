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
