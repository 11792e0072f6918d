"""Money is exact on both stores: stored, read back and summed in SQL without a float in between."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import Transaction
from tests import factories

AMOUNTS = [Decimal("0.1"), Decimal("0.2"), Decimal("1249.5"), Decimal("99999999999.9999"), Decimal("-0.0001")]


async def test_amounts_round_trip_exactly(seeded: AsyncSession, now: datetime.datetime) -> None:
    captures = [(TransactionKind.CAPTURE, TransactionStatus.SUCCEEDED, amount) for amount in AMOUNTS]
    order = await factories.create_order(seeded, now=now, currency="DKK", transactions=captures)
    seeded.expunge_all()

    stored = (await seeded.scalars(sa.select(Transaction.amount).order_by(Transaction.id))).all()
    total = await seeded.scalar(sa.select(sa.func.sum(Transaction.amount)))
    reloaded = await seeded.get_one(Order, order.id)

    assert stored == AMOUNTS
    assert total == Decimal("100000001249.7998")
    assert isinstance(total, Decimal)
    assert reloaded.currency_rate == Decimal("7.46")


async def test_a_value_finer_than_the_column_is_refused(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now)
    seeded.add(
        Transaction(
            order_id=order.id,
            kind=TransactionKind.CAPTURE,
            status=TransactionStatus.SUCCEEDED,
            amount=Decimal("0.00001"),
            currency="EUR",
            provider="test",
            reference="fine",
            created_at=now,
        )
    )

    with pytest.raises(sa.exc.StatementError, match="does not fit 4 decimal places"):
        await seeded.flush()
