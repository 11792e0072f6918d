"""What the outboxes (state mails, webhook deliveries) share: claiming a due batch without waiting on another worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import DeliveryStatus, MailStatus, TransactionStatus
from models.mail import OutboxMail
from models.payments import Transaction
from models.webhooks import WebhookDelivery

Row = TypeVar("Row")


async def due_batch(
    session: AsyncSession, model: type[Row], *, where: Sequence[Any], order_by: Sequence[Any], limit: int
) -> Sequence[Row]:
    """Lock up to `limit` due rows of `model`, skipping those another worker holds (PostgreSQL's SKIP LOCKED)."""
    statement = (
        sa.select(model).where(*where).order_by(*order_by).limit(limit).with_for_update(skip_locked=True, of=model)
    )
    return (await session.scalars(statement)).all()


async def backlog(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Rows waiting or given up, by (queue, status): mail and webhook outboxes, PENDING payment transactions.

    Three grouped counts over indexed status columns, for `/metrics`; SENT and DELIVERED rows are history, not backlog.
    """
    queues: list[tuple[str, Any, Any]] = [
        ("mail", OutboxMail.status, [MailStatus.PENDING, MailStatus.FAILED]),
        ("webhook", WebhookDelivery.status, [DeliveryStatus.PENDING, DeliveryStatus.FAILED]),
        ("payment", Transaction.status, [TransactionStatus.PENDING]),
    ]
    counts: dict[tuple[str, str], int] = {}
    for queue, status, statuses in queues:
        for state in statuses:
            counts[(queue, str(state))] = 0
        rows = await session.execute(sa.select(status, sa.func.count()).where(status.in_(statuses)).group_by(status))
        for state, count in rows.all():
            counts[(queue, str(state))] = int(count)
    return counts
