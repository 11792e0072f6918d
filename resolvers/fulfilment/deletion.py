"""Soft deletion: carts, unfinished checkouts, quotes and cancelled orders leave the lists.

The row stays (`is_deleted`, `deleted_at`) so ids, events and the ledger remain; lists
leave it out unless asked for (`includeDeleted`).

    TRANSITION_NOT_ALLOWED  a completed order that is not cancelled (cancel it first), or an unfinished
                            checkout with a live authorization or a payment in flight (cancel it first,
                            which voids the authorization)
    ALREADY_DONE            deleted before
    NOT_FOUND               no record with that id
"""

from __future__ import annotations

import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import OrderKind, WebhookEvent
from models.orders import Order
from resolvers.core import events, notifications, orders
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import transaction_rows


async def delete(session: AsyncSession, *, public_id: str, actor: str | None, now: datetime.datetime) -> Order:
    """Mark one record deleted (the caller's transaction; the order is locked)."""
    order = await orders.get_for_admin(session, public_id, for_update=True)
    if order.is_deleted:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is deleted already.")
    await _check_deletable(session, order)
    order.is_deleted = True
    order.deleted_at = now
    notifications.notify(session, event=WebhookEvent.ORDER_DELETED, order=order, now=now)
    orders.touch(order, now=now)
    events.record(
        session, order_id=order.id, source="delete", message=f"Deleted {order.public_id}.", actor=actor, now=now
    )
    await session.flush()
    return order


async def _check_deletable(session: AsyncSession, order: Order) -> None:
    if order.kind in (OrderKind.CART, OrderKind.QUOTE) or order.is_cancelled:
        return
    if order.is_complete:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"{order.public_id} is a completed order: cancel it before deleting it."
        )
    amounts = await transaction_rows.amounts_of(session, order_id=order.id)
    if amounts.pending_count or amounts.authorized > 0:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            f"The unfinished checkout {order.public_id} holds an authorization: cancel it to void it first.",
        )
