"""Writing the deliveries: one per matching active endpoint, in the transaction that made the change.

Operations note what happened with `core.notifications.notify`; the listener `install` sets up turns
those notices into `WebhookDelivery` rows when the session commits (a savepoint too), after one
flush, so the body shows the order as the change left it. A rolled-back transaction drops its
notices. The rows of one commit take a fixed number of statements: the active endpoints, then the
orders' bodies (`webhook_bodies`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from models.enums import DeliveryStatus
from models.webhooks import Webhook, WebhookDelivery
from resolvers.core import notifications
from resolvers.integrations import webhook_bodies


def install() -> None:
    """Listen on every session of the process (once; installing again changes nothing)."""
    if not event.contains(Session, "before_commit", write_deliveries):
        event.listen(Session, "before_commit", write_deliveries)
        event.listen(Session, "after_soft_rollback", _drop_rolled_back)


def write_deliveries(session: Session) -> None:
    """Add the deliveries of the notices noted so far; the commit's own flush writes them."""
    if not session.info.get(notifications.PENDING):
        return
    session.flush()
    notices = notifications.take_pending(session)
    endpoints = session.scalars(sa.select(Webhook).where(Webhook.is_active.is_(True)).order_by(Webhook.id)).all()
    wanted = [(notice, [hook for hook in endpoints if notice.event.value in hook.events]) for notice in notices]
    wanted = [(notice, hooks) for notice, hooks in wanted if hooks]
    if not wanted:
        return
    latest = max(notice.at for notice, _ in wanted)
    orders = webhook_bodies.orders_by_id(session, {notice.order_id for notice, _ in wanted}, now=latest)
    for notice, hooks in wanted:
        payload = webhook_bodies.body(event=notice.event, at=notice.at, order=orders[notice.order_id], data=notice.data)
        session.add_all(
            WebhookDelivery(
                webhook_id=hook.id,
                event=notice.event,
                order_id=notice.order_id,
                payload=payload,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=notice.at,
                created_at=notice.at,
            )
            for hook in hooks
        )


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction, *_: Any) -> None:
    notifications.drop_rolled_back(session, previous_transaction)
