"""Order events (DynamicWeb's debugging info): every operation writes one."""

from __future__ import annotations

import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import EventLevel
from models.orders import OrderEvent


def record(
    session: AsyncSession,
    *,
    order_id: int,
    source: str,
    message: str,
    actor: str | None,
    now: datetime.datetime,
    level: EventLevel = EventLevel.INFO,
) -> OrderEvent:
    """Add an event to the session (written with the next flush)."""
    event = OrderEvent(order_id=order_id, source=source, message=message, actor=actor, level=level, at=now)
    session.add(event)
    return event
