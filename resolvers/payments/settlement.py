"""Settling a PENDING transaction and applying what its success means for the order.

Used by the last phase of every money movement (`engine`) and by
reconciliation (`reconciliation`), so a movement settled late has the same effects
as one settled at once: a succeeded capture or refund bumps the order's revision and
writes an event; a succeeded CANCEL also cancels the order and returns its stock. A
decline or a FAILED settlement changes nothing but the row and an event. Settling a
row that is no longer PENDING changes nothing, so a late settle and reconciliation
can never apply the effects twice.

A settled REFUND reserved for a return concludes that return (`return_states.conclude_refund`).

A settled AUTHORIZE concludes its checkout through `checkout.conclude_reconciled_authorization`:
completed in the default ORDER state when it succeeded, its stock given back when it failed.
"""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.database import lock_rows
from models.enums import EventLevel, TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import Transaction
from resolvers.core import events, orders
from resolvers.payments import transaction_rows
from resolvers.payments.payment_providers import ProviderOutcome
from resolvers.returns import return_states
from resolvers.setup import stock
from resolvers.storefront import checkout

SOURCE_OF_KIND = {
    TransactionKind.AUTHORIZE: "checkout",
    TransactionKind.CAPTURE: "capture",
    TransactionKind.REFUND: "refund",
    TransactionKind.CANCEL: "cancel",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Settled:
    transaction: Transaction
    # False when the row was settled before (by a racing settle or by reconciliation).
    is_new: bool


async def settle(
    session: AsyncSession,
    *,
    transaction_id: int,
    outcome: ProviderOutcome,
    actor: str | None,
    now: datetime.datetime,
    note: str | None = None,
) -> Settled:
    """Lock the order, record the outcome on the PENDING row and apply its effects once."""
    order_id = await session.scalar(sa.select(Transaction.order_id).where(Transaction.id == transaction_id))
    order = await session.scalar(lock_rows(sa.select(Order).where(Order.id == order_id)))
    transaction = await session.get_one(Transaction, transaction_id, with_for_update=True, populate_existing=True)
    if transaction.status is not TransactionStatus.PENDING:
        return Settled(transaction, is_new=False)
    await transaction_rows.record_answer(session, transaction_id=transaction_id, outcome=outcome, actor=actor, now=now)
    if transaction.kind is TransactionKind.AUTHORIZE and order is not None:
        await checkout.conclude_reconciled_authorization(
            session, order=order, transaction=transaction, now=now, actor=actor
        )
    elif outcome.approved and order is not None:
        await apply_success(session, order=order, transaction=transaction, actor=actor, now=now, note=note)
    if order is not None:
        await return_states.conclude_refund(session, order=order, transaction=transaction, actor=actor, now=now)
    return Settled(transaction, is_new=True)


async def apply_success(
    session: AsyncSession,
    *,
    order: Order,
    transaction: Transaction | None,
    actor: str | None,
    now: datetime.datetime,
    note: str | None = None,
) -> None:
    """What a succeeded movement changes on the order; `transaction` None is a cancel with nothing to void."""
    kind = transaction.kind if transaction is not None else TransactionKind.CANCEL
    if kind is TransactionKind.AUTHORIZE:
        return  # checkout's business (see the module docstring)
    if kind is TransactionKind.CANCEL:
        await cancel_order(session, order=order, now=now)
    orders.touch(order, now=now)
    what = "nothing to void"
    if transaction is not None:
        what = f"{money.round_money(transaction.amount, minor_unit=order.currency_minor_unit)} {transaction.currency}"
    message = {
        TransactionKind.CAPTURE: f"Captured {what}.",
        TransactionKind.REFUND: f"Refunded {what}.",
        TransactionKind.CANCEL: f"Cancelled the order ({what}); its products are back in stock.",
    }[kind]
    events.record(
        session,
        order_id=order.id,
        source=SOURCE_OF_KIND[kind],
        message=f"{message} Reason: {note}" if note else message,
        actor=actor,
        now=now,
        level=EventLevel.INFO,
    )
    await session.flush()


async def cancel_order(session: AsyncSession, *, order: Order, now: datetime.datetime) -> None:
    """Mark the order cancelled and give its stock back (once: only while `is_stock_taken`)."""
    if order.is_stock_taken:
        await stock.give_back(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
    order.is_cancelled = True
    order.cancelled_at = now
