"""Settling a PENDING row: record the provider's answer and apply its purpose's effects, once.

The one settle, used by the engine's last phase (`engine`) and by reconciliation
(`reconciliation`), so a movement settled late has the same effects as one settled at once.
Settling a row that is no longer PENDING changes nothing, so a late settle and reconciliation
can never apply the effects twice.

Payments' own purposes (`CAPTURE`, `REFUND`, `CANCEL`, and the tagged `AUTHORIZE` and `RELEASE`):
a success bumps the order's revision and writes an event; a succeeded CANCEL also cancels the order
and returns its stock, while a RELEASE's CANCEL row leaves the order as it is. A decline
changes nothing but the row and its payment event. What a row means to another capability
(a checkout's authorization, a return's refund) is that capability's registered purpose
(`purposes`).
"""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.database import lock_rows
from models.enums import EventLevel, TransactionKind, TransactionStatus, WebhookEvent
from models.orders import Order
from models.payments import Transaction
from resolvers.core import events, notifications, orders
from resolvers.payments import purposes, transaction_rows
from resolvers.payments.payment_providers import ProviderOutcome
from resolvers.payments.purposes import Purpose, Settlement
from resolvers.setup import stock


async def settle(
    session: AsyncSession,
    *,
    transaction_id: int,
    outcome: ProviderOutcome,
    purpose: Purpose | None,
    actor: str | None,
    now: datetime.datetime,
    note: str | None = None,
) -> Settlement | None:
    """Lock the order, record the answer on the PENDING row and apply its purpose; None if settled before.

    `purpose` None (reconciliation, which has only the row) finds it from the row: the registered
    purpose that owns it, else payments' own purpose for the row's kind.
    """
    # The order first, then its row: the lock order of every movement.
    owner = sa.select(Transaction.order_id).where(Transaction.id == transaction_id).scalar_subquery()
    order = (await session.scalars(lock_rows(sa.select(Order).where(Order.id == owner)))).one()
    transaction = await session.get_one(Transaction, transaction_id, with_for_update=True, populate_existing=True)
    settled = Settlement(order, transaction, actor, now, note, by_reconciliation=purpose is None)
    return await settle_locked(session, settled=settled, outcome=outcome, purpose=purpose)


async def settle_locked(
    session: AsyncSession, *, settled: Settlement, outcome: ProviderOutcome, purpose: Purpose | None
) -> Settlement | None:
    """`settle` for a row and its order that the caller has locked (order first) and loaded fresh."""
    order, transaction, now = settled.order, settled.transaction, settled.now
    assert transaction is not None, "a settle has a row"
    if transaction.status is not TransactionStatus.PENDING:
        return None
    transaction_rows.record_answer_on(
        session, transaction=transaction, order=order, outcome=outcome, actor=settled.actor, now=now
    )
    if purpose is None:
        purpose = await _purpose_of(session, settled)
    if outcome.approved:
        await purpose.succeeded(session, settled)
    else:
        await purpose.failed(session, settled)
    notifications.notify_settled(session, order=order, transaction=transaction, approved=outcome.approved, now=now)
    return settled


async def cancel_order(session: AsyncSession, *, order: Order, now: datetime.datetime) -> None:
    """Mark the order cancelled and give its stock back (once: only while `is_stock_taken`)."""
    if order.is_stock_taken:
        await stock.give_back(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
    order.is_cancelled = True
    order.cancelled_at = now
    notifications.notify(session, event=WebhookEvent.ORDER_CANCELLED, order=order, now=now)


@dataclasses.dataclass(frozen=True, slots=True)
class _OrderMoney:
    """A movement of the order's money itself: its success bumps the order and says so in an event."""

    kind: TransactionKind
    source: str
    # The event's message; {what} is the amount, or "nothing to void" when nothing moved.
    done: str
    cancels_order: bool = False
    # Marks the rows of a movement its kind alone does not name (`mark`); None: every row of the kind.
    tag: str | None = None

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        transaction = settled.transaction
        return transaction is not None and transaction.kind is self.kind and transaction.purpose == self.tag

    async def mark(self, session: AsyncSession, transaction: Transaction) -> None:
        """Name the PENDING row this purpose's (a plan's `reserved` step), so a late settle finds it."""
        transaction.purpose = self.tag
        await session.flush()

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        order, transaction = settled.order, settled.transaction
        if self.cancels_order:
            await cancel_order(session, order=order, now=settled.now)
        orders.touch(order, now=settled.now)
        what = "nothing to void"
        if transaction is not None:
            what = money.shown(
                transaction.amount, currency_code=transaction.currency, minor_unit=order.currency_minor_unit
            )
        message = self.done.format(what=what)
        events.record(
            session,
            order_id=order.id,
            source=self.source,
            message=f"{message} Reason: {settled.note}" if settled.note else message,
            actor=settled.actor,
            now=settled.now,
            level=EventLevel.INFO,
        )
        # Written with the next flush or the commit, so settling many orders writes them together.

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        """Nothing beyond the FAILED row and its payment event: reserving changed nothing else."""


@dataclasses.dataclass(frozen=True, slots=True)
class _RowOnly:
    """A row no capability claims (an authorization of an order no longer waiting for it): the row says it all."""

    kind: TransactionKind

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        return True

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        """Nothing beyond the SUCCEEDED row and its payment event."""

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        """Nothing beyond the FAILED row and its payment event."""


CAPTURE = _OrderMoney(TransactionKind.CAPTURE, "capture", "Captured {what}.")
REFUND = _OrderMoney(TransactionKind.REFUND, "refund", "Refunded {what}.")
CANCEL = _OrderMoney(
    TransactionKind.CANCEL,
    "cancel",
    "Cancelled the order ({what}); its products are back in stock.",
    cancels_order=True,
)
# Tagged, so reconciliation tells them from checkout's authorization and from a cancel's void.
AUTHORIZE = purposes.register(
    _OrderMoney(TransactionKind.AUTHORIZE, "authorize", "Authorized {what} more.", tag="authorize")
)
RELEASE = purposes.register(
    _OrderMoney(
        TransactionKind.CANCEL, "release", "Released {what}: authorized, not captured, now voided.", tag="release"
    )
)
_OWN: dict[TransactionKind, Purpose] = {
    TransactionKind.AUTHORIZE: _RowOnly(TransactionKind.AUTHORIZE),
    TransactionKind.CAPTURE: CAPTURE,
    TransactionKind.REFUND: REFUND,
    TransactionKind.CANCEL: CANCEL,
}


async def _purpose_of(session: AsyncSession, settled: Settlement) -> Purpose:
    assert settled.transaction is not None, "only a row is settled"
    kind = settled.transaction.kind
    for purpose in purposes.registered():
        if purpose.kind is kind and await purpose.owns(session, settled):
            return purpose
    return _OWN[kind]
