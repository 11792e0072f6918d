"""Factories for payment tests: completed orders authorized through the real providers, without the storefront.

`authorized_order` inserts a completed ORDER (its stock taken) paid by the demo "Card"
(`test` provider) or "Invoice" (`manual`) and authorizes it the way checkout does:
`transaction_rows.reserve`, the provider call, `transaction_rows.record_answer`, each in its own transaction.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.catalog import PaymentMethod, Product, Shop
from models.enums import OrderKind, OrderLineType, TransactionKind, TransactionStatus
from models.money import Price
from models.orders import Order, OrderLine
from models.payments import TestProviderOperation, Transaction
from resolvers.core import orders
from resolvers.payments import ledger, transaction_rows
from resolvers.payments.payment_providers import Providers

D = Decimal
METHOD_OF_PROVIDER = {"test": "Card", "manual": "Invoice"}


async def record(
    db: Any,
    *,
    kind: OrderKind = OrderKind.ORDER,
    is_complete: bool = True,
    provider: str = "test",
    email: str = "buyer@example.com",
    lines: tuple[tuple[str, Decimal], ...] = (("HOODIE-GRY-L", D(2)),),
    total: Decimal = D("100.00"),
    take_stock: bool = True,
    now: datetime.datetime | None = None,
) -> str:
    """Insert a cart, quote or order with product lines; a completed order takes its stock. Returns its public id."""
    now = now or datetime.datetime.now(datetime.UTC)
    async with db.write_sessions() as session, session.begin():
        shop = await session.scalar(sa.select(Shop).where(Shop.is_default))
        method = await session.scalar(
            sa.select(PaymentMethod).where(PaymentMethod.name == METHOD_OF_PROVIDER[provider])
        )
        issued = await orders.new_number(session, kind=kind, now=now)
        order = Order(
            public_id=f"{kind.value}{issued.number}", number=issued.number, kind=kind, shop_id=shop.id,
            created_at=now, modified_at=now, completed_at=now if is_complete else None, is_complete=is_complete,
            currency_code="EUR", currency_name="Euro", currency_rate=D(1), currency_minor_unit=2,
            payment_method_id=method.id, customer_email=email, customer_name="Test Buyer",
            total=Price(total, total * 4 / 5, total / 5, D(25)),
        )  # fmt: skip
        session.add(order)
        await session.flush()
        issued.order_id = order.id
        for sort, (number, quantity) in enumerate(lines):
            product = await session.scalar(sa.select(Product).where(Product.number == number))
            session.add(
                OrderLine(
                    order_id=order.id, type=OrderLineType.PRODUCT, sort_order=sort, product_id=product.id,
                    product_number=number, product_name=product.name, quantity=quantity, unit_amount=product.price,
                    vat_percent=product.vat_percent, created_at=now, modified_at=now,
                )
            )  # fmt: skip
            if is_complete and take_stock:
                product.stock -= quantity
        order.is_stock_taken = is_complete and take_stock
        return order.public_id


async def authorize(
    db: Any, providers: Providers, *, public_id: str, amount: Decimal, now: datetime.datetime
) -> Transaction:
    """Authorize `amount` as checkout does: reserve, call the provider outside any transaction, settle."""
    async with db.write_sessions() as session, session.begin():
        order = await orders.find(session, public_id, for_update=True)
        method = await session.get_one(PaymentMethod, order.payment_method_id)
        pending = await transaction_rows.reserve(
            session, order=order, kind=TransactionKind.AUTHORIZE, amount=amount, provider_name=method.provider, now=now
        )
    outcome = await transaction_rows.call_provider(
        providers.get(pending.provider), transaction=pending, order=order, authorization_number=None,
        timeout_seconds=10, now=now,
    )  # fmt: skip
    assert outcome is not None
    async with db.write_sessions() as session, session.begin():
        return await transaction_rows.record_answer(
            session, transaction_id=pending.id, outcome=outcome, actor="test", now=now
        )


async def authorized_order(
    db: Any,
    providers: Providers,
    *,
    provider: str = "test",
    email: str = "buyer@example.com",
    amount: Decimal = D("100.00"),
    now: datetime.datetime | None = None,
    **kwargs: Any,
) -> str:
    """A completed order whose `amount` is authorized (SUCCEEDED) by the real provider."""
    now = now or datetime.datetime.now(datetime.UTC)
    public_id = await record(db, provider=provider, email=email, total=amount, now=now, **kwargs)
    await authorize(db, providers, public_id=public_id, amount=amount, now=now)
    return public_id


async def ledger_of(db: Any, public_id: str) -> tuple[ledger.Amounts, list[Transaction], Order]:
    async with db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        transactions = await transaction_rows.transactions_of(session, order_id=order.id)
        return ledger.amounts(transactions), transactions, order


async def provider_books(db: Any) -> list[TestProviderOperation]:
    async with db.read_sessions() as session:
        return list((await session.scalars(sa.select(TestProviderOperation).order_by(TestProviderOperation.id))).all())


async def stock_of(db: Any, number: str) -> Decimal:
    async with db.read_sessions() as session:
        return await session.scalar(sa.select(Product.stock).where(Product.number == number))


def succeeded(transactions: list[Transaction], kind: TransactionKind | None = None) -> list[Transaction]:
    return [t for t in transactions if t.status is TransactionStatus.SUCCEEDED and (kind is None or t.kind is kind)]


def assert_invariants(amounts: ledger.Amounts, transactions: list[Transaction]) -> None:
    """captured ≤ authorized, refunded ≤ captured, and the amounts are the sums of the SUCCEEDED rows."""
    assert amounts.captured <= amounts.authorized
    assert amounts.refunded <= amounts.captured
    assert amounts.captured == sum(t.amount for t in succeeded(transactions, TransactionKind.CAPTURE))
    assert amounts.refunded == sum(t.amount for t in succeeded(transactions, TransactionKind.REFUND))
    authorized = sum(t.amount for t in succeeded(transactions, TransactionKind.AUTHORIZE))
    assert amounts.authorized == max(
        authorized - sum(t.amount for t in succeeded(transactions, TransactionKind.CANCEL)), 0
    )
