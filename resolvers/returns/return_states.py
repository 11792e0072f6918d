"""Where a return stands: its status, its state in the RETURN flow, and how a settled refund concludes it.

    REQUESTED ──receive──▶ RECEIVED ──refund──▶ REFUNDED
        │                      │
        └───────reject─────────┴──────▶ REJECTED          nothing more can be done to it

The state follows the status through the return's flow: receiving moves it to the next state by
sort order (the demo's Received), refunding and rejecting to the flow's last state (Closed), each
only where the current state's rules allow it; otherwise the state stays as it is (the status is
what the rules of the RMA hang on, the state is the shop's own view of it).

`conclude_refund` concludes the return a settled REFUND row was reserved for (the purpose of a
return's refund, `return_refunds.RETURN_REFUND`), so a return's refund settled at once or later by
reconciliation concludes the return the same way: SUCCEEDED makes it REFUNDED; FAILED unties it
from the row, leaving it as it was.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.enums import ReturnStatus, TransactionStatus, WebhookEvent
from models.flows import State, StateRule
from models.orders import Order
from models.payments import Transaction
from models.returns import Return
from resolvers.core import events, lifecycle, notifications, orders

SOURCE = "returns"


async def move(session: AsyncSession, returned: Return, *, to_last: bool) -> State | None:
    """Move the return to the next (or the last) state of its flow by sort order; the state moved to, if any."""
    if returned.state_id is None:
        return None
    current = await session.get_one(State, returned.state_id)
    states = (
        await session.scalars(
            sa.select(State)
            .where(State.flow_id == current.flow_id, sa.not_(State.is_deleted))
            .order_by(State.sort_order, State.id)
        )
    ).all()
    later = [state for state in states if (state.sort_order, state.id) > (current.sort_order, current.id)]
    if not later:
        return None
    target = later[-1] if to_last else later[0]
    rules = set(await session.scalars(sa.select(StateRule.to_state_id).where(StateRule.from_state_id == current.id)))
    if rules and target.id not in rules:
        return None
    returned.state_id = target.id
    return target


def record(
    session: AsyncSession,
    *,
    order: Order,
    message: str,
    state: State | None,
    actor: str | None,
    now: datetime.datetime,
    touch: bool = True,
) -> None:
    """A return's change is a change of its order: bump the order (unless done already, or the order is closed:
    a return of a cancelled order can still be received or rejected, and the closed order does not move) and
    write its event."""
    if touch and lifecycle.closed_because(order) is None:
        orders.touch(order, now=now)
    suffix = f" Its state is now {state.name}." if state is not None else ""
    events.record(session, order_id=order.id, source=SOURCE, message=message + suffix, actor=actor, now=now)


async def refunded_by(session: AsyncSession, transaction: Transaction) -> Return | None:
    """The return a REFUND row was reserved for, if any."""
    return await session.scalar(
        sa.select(Return)
        .where(Return.refund_transaction_id == transaction.id)
        .execution_options(populate_existing=True)
    )


async def conclude_refund(
    session: AsyncSession, *, order: Order, transaction: Transaction, actor: str | None, now: datetime.datetime
) -> None:
    """Conclude the return a just-settled REFUND row was reserved for (see the module docstring)."""
    returned = await refunded_by(session, transaction)
    assert returned is not None, f"only a return's refund is concluded (transaction {transaction.id})"
    if transaction.status is not TransactionStatus.SUCCEEDED:
        returned.refund_transaction_id = None
        await session.flush()
        return
    returned.status = ReturnStatus.REFUNDED
    returned.refund_amount = transaction.amount
    returned.refunded_at = now
    state = await move(session, returned, to_last=True)
    amount = money.shown(transaction.amount, currency_code=transaction.currency, minor_unit=order.currency_minor_unit)
    message = f"Return {returned.id} refunded: {amount}."
    # The refund's own effects (`settlement.REFUND`) bump the order.
    record(session, order=order, message=message, state=state, actor=actor, now=now, touch=False)
    notifications.notify_return(session, event=WebhookEvent.RETURN_REFUNDED, order=order, returned=returned, now=now)
    await session.flush()
