"""Marking orders as exported to (or back from) an external system: bulk, each order judged alone."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.core import bulk
from resolvers.core.errors import DomainError, ErrorCode

EVENT_SOURCE = "export"


async def mark_exported(
    session: AsyncSession, *, order_ids: Sequence[str], exported: bool, now: datetime.datetime, actor: str | None
) -> list[bulk.Outcome]:
    """Set each order's exported flag; ALREADY_DONE for an order that has it already, NOT_FOUND for an unknown id."""
    bulk.check_ids(order_ids)
    outcomes = await bulk.find_many(session, order_ids, for_update=True)
    for outcome in outcomes:
        if outcome.order is not None and outcome.order.is_exported is exported:
            state = "exported" if exported else "not exported"
            outcome.error = DomainError(
                ErrorCode.ALREADY_DONE, f"Order {outcome.order.public_id} is {state} already.", ["exported"]
            )
    changing = {o.order.id: o.order for o in outcomes if o.error is None and o.order is not None}
    message = "Marked as exported." if exported else "Marked as not exported."
    await bulk.update_orders(session, changing.values(), values={"is_exported": exported}, now=now)
    await bulk.record_events(session, dict.fromkeys(changing, message), source=EVENT_SOURCE, actor=actor, now=now)
    return outcomes
