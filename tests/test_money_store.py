"""Money is exact on both stores: stored, read back and summed in SQL without a float in between."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Currency, Shop
from models.enums import OrderKind, TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import Transaction
from resolvers.core import orders

AMOUNTS = [Decimal("0.1"), Decimal("0.2"), Decimal("1249.5"), Decimal("99999999999.9999"), Decimal("-0.0001")]


async def _order(session: AsyncSession, now: datetime.datetime) -> Order:
    number = await orders.new_number(session, kind=OrderKind.ORDER, now=now)
    order = Order(
        public_id=f"ORDER{number.number}",
        number=number.number,
        kind=OrderKind.ORDER,
        shop_id=1,
        created_at=now,
        modified_at=now,
        currency_code="EUR",
        currency_name="Euro",
        currency_rate=Decimal("7.46"),
    )
    session.add(order)
    await session.flush()
    return order


async def _shop(session: AsyncSession) -> None:
    session.add(Currency(code="EUR", name="Euro", rate=Decimal(1), minor_unit=2))
    await session.flush()
    session.add(Shop(id=1, name="Shop", default_currency_code="EUR"))
    await session.flush()


async def test_amounts_round_trip_exactly(session: AsyncSession, now: datetime.datetime) -> None:
    await _shop(session)
    order = await _order(session, now)
    for index, amount in enumerate(AMOUNTS):
        session.add(
            Transaction(
                order_id=order.id,
                kind=TransactionKind.CAPTURE,
                status=TransactionStatus.SUCCEEDED,
                amount=amount,
                currency="EUR",
                provider="test",
                reference=f"r{index}",
                created_at=now,
            )
        )
    await session.flush()
    session.expunge_all()

    stored = (await session.scalars(sa.select(Transaction.amount).order_by(Transaction.id))).all()
    total = await session.scalar(sa.select(sa.func.sum(Transaction.amount)))
    reloaded = await session.get_one(Order, order.id)

    assert stored == AMOUNTS
    assert total == Decimal("100000001249.7998")
    assert isinstance(total, Decimal)
    assert reloaded.currency_rate == Decimal("7.46")


async def test_a_value_finer_than_the_column_is_refused(session: AsyncSession, now: datetime.datetime) -> None:
    await _shop(session)
    order = await _order(session, now)
    session.add(
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
        await session.flush()
