"""Payment test helpers: orders authorized through the real providers, without the storefront, and ledger checks.

`authorized_order` commits a completed ORDER from `factories.create_order` (its stock taken) paid by the
demo "Card" (`test` provider) or "Invoice" (`manual`) and authorizes it the way checkout does:
`transaction_rows.reserve`, the provider call, `transaction_rows.record_answer`, each in its own transaction.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models import money
from models.catalog import PaymentMethod, Product
from models.enums import OrderKind, TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import TestProviderOperation, Transaction
from resolvers.core import orders
from resolvers.payments import ledger, transaction_rows
from resolvers.payments.payment_providers import Providers
from tests import factories

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
    total: Decimal | None = D("100.00"),
    state: str | None = None,
    now: datetime.datetime | None = None,
) -> str:
    """Commit a cart, quote or order (`factories.create_order`, in `state`) totalling `total`; its public id.

    The total is set apart from the lines: the payment tests move amounts against it, whatever was bought.
    None keeps the total the lines are priced at (for orders that are edited).
    """
    async with db.write_sessions() as session, session.begin():
        order = await factories.create_order(
            session,
            now=now or datetime.datetime.now(datetime.UTC),
            kind=kind,
            state=state,
            lines=[factories.Line(number, quantity) for number, quantity in lines],
            customer_name="Test Buyer",
            customer_email=email,
            payment_method=METHOD_OF_PROVIDER[provider],
            is_complete=is_complete,
        )
        if total is not None:
            order.total = money.price_of(total, vat_percent=D(25), includes_vat=True, minor_unit=2)
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


async def editable_order(
    db: Any,
    providers: Providers,
    *,
    lines: tuple[tuple[str, Decimal], ...] = (("HOODIE-GRY-L", D(1)), ("BOOK-COOK", D(1))),
    email: str = "buyer@example.com",
    now: datetime.datetime | None = None,
) -> str:
    """A completed order in Received (edits allowed), priced from its lines (78.00 by default), paid by Card:
    its total authorized by the test provider."""
    now = now or datetime.datetime.now(datetime.UTC)
    public_id = await record(db, email=email, lines=lines, total=None, state="Received", now=now)
    async with db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        total = order.total.with_vat
    await authorize(db, providers, public_id=public_id, amount=total, now=now)
    return public_id


async def set_total(db: Any, public_id: str, total: Decimal) -> None:
    """Give the order a new total, as an edit would (the payment tests move amounts against it)."""
    async with db.write_sessions() as session, session.begin():
        order = await orders.find(session, public_id, for_update=True)
        assert order is not None
        order.total = money.price_of(total, vat_percent=D(25), includes_vat=True, minor_unit=2)


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
