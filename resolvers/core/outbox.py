"""What the outboxes (state mails, webhook deliveries) share: claiming a due batch without waiting on another worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


async def due_batch(
    session: AsyncSession, model: type[Row], *, where: Sequence[Any], order_by: Sequence[Any], limit: int
) -> Sequence[Row]:
    """Lock up to `limit` due rows of `model`, skipping those another worker holds (PostgreSQL's SKIP LOCKED)."""
    statement = (
        sa.select(model).where(*where).order_by(*order_by).limit(limit).with_for_update(skip_locked=True, of=model)
    )
    return (await session.scalars(statement)).all()
