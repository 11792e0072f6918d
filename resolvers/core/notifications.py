"""Typed notices of what happened to an order, collected on the session until its transaction commits.

An operation calls `notify(...)` beside its change; nothing is written here. Whoever listens to the
session's commit (the webhooks of `resolvers.integrations`, installed at start-up) turns the notices
into rows in the same transaction, so a notice of a change that rolled back is dropped with it.
Core cannot import its listeners; the session is the meeting point.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from models import money
from models.enums import TransactionKind
from models.enums import WebhookEvent as WebhookEventName
from models.orders import Order
from models.payments import Transaction
from models.returns import Return

PENDING = "pending_notifications"
_PAYMENT_EVENTS = {
    TransactionKind.AUTHORIZE: WebhookEventName.PAYMENT_AUTHORIZED,
    TransactionKind.CAPTURE: WebhookEventName.PAYMENT_CAPTURED,
    TransactionKind.REFUND: WebhookEventName.PAYMENT_REFUNDED,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    event: WebhookEventName
    # The model itself (a record created in this transaction has its key only once flushed), or the key
    # of an order that a bulk change moved without loading it.
    order: Order | int
    at: datetime.datetime
    # Event details beside the order (a transaction's amount, a return's id), JSON-ready.
    data: dict[str, Any]
    # The innermost transaction it was noted in: rolling that back drops it.
    transaction: SessionTransaction | None

    @property
    def order_id(self) -> int:
        return self.order if isinstance(self.order, int) else self.order.id


def notify(
    session: AsyncSession | Session,
    *,
    event: WebhookEventName,
    order: Order | int,
    now: datetime.datetime,
    data: dict[str, Any] | None = None,
) -> None:
    """Note that `event` happened to `order` (the model, or the key of one that exists): its listeners write
    it when the transaction commits."""
    sync_session = session.sync_session if isinstance(session, AsyncSession) else session
    transaction = sync_session.get_nested_transaction() or sync_session.get_transaction()
    notice = Notice(event=event, order=order, at=now, data=dict(data or {}), transaction=transaction)
    sync_session.info.setdefault(PENDING, []).append(notice)


def notify_all(
    session: AsyncSession, *, event: WebhookEventName, order_ids: Iterable[int], now: datetime.datetime
) -> None:
    """Note that `event` happened to each of the orders with these keys (a bulk operation)."""
    for order_id in order_ids:
        notify(session, event=event, order=order_id, now=now)


def notify_settled(
    session: AsyncSession, *, order: Order, transaction: Transaction, approved: bool, now: datetime.datetime
) -> None:
    """Note a settled payment row: authorized, captured or refunded when approved, else failed (a CANCEL is not)."""
    event = _PAYMENT_EVENTS.get(transaction.kind) if approved else WebhookEventName.PAYMENT_FAILED
    if event is None or (not approved and transaction.kind is TransactionKind.CANCEL):
        return
    shown = money.round_money(transaction.amount, minor_unit=order.currency_minor_unit)
    amount = {"amount": str(shown), "currency": transaction.currency}
    data = {"transaction": {"id": str(transaction.id), "kind": transaction.kind.value, **amount}}
    notify(session, event=event, order=order, now=now, data=data)


def notify_return(
    session: AsyncSession, *, event: WebhookEventName, order: Order, returned: Return, now: datetime.datetime
) -> None:
    """Note what happened to a return of `order`; the body names the return beside the order."""
    data = {"return": {"id": str(returned.id), "status": returned.status.value}}
    notify(session, event=event, order=order, now=now, data=data)


def take_pending(session: Session) -> list[Notice]:
    """The notices noted since the last take, removed from the session."""
    return session.info.pop(PENDING, [])


def drop_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    """Forget the notices noted in `transaction` (or in one begun inside it): that work rolled back."""
    session.info[PENDING] = [
        notice for notice in session.info.get(PENDING, []) if not _inside(notice.transaction, transaction)
    ]


def _inside(noted_in: SessionTransaction | None, transaction: SessionTransaction) -> bool:
    if noted_in is None:  # noted before the session began: part of its outermost transaction
        return transaction.parent is None
    while noted_in is not None:
        if noted_in is transaction:
            return True
        noted_in = noted_in.parent
    return False
