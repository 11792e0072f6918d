"""Shared parts of bulk order operations: one outcome per requested id, orders found in one statement.

A bulk operation judges each order alone, then writes every accepted change with a
few set-based statements (one UPDATE, one multi-row INSERT of events) instead of a
statement or a transaction per order.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from models.database import lock_rows
from models.enums import EventLevel
from models.orders import Order, OrderEvent, OrderNumber
from resolvers.core import orders
from resolvers.core.errors import DomainError, invalid, not_found

MAX_IDS = 1000


@dataclasses.dataclass(slots=True)
class Outcome:
    """What became of one requested id: the order, and the error that refused it if any.

    The answer of every per-order operation: the bulk ones here and each order's money movement
    (`resolvers.payments.engine`), whose order is the one its last transaction read.
    """

    requested_id: str
    order: Order | None = None
    error: DomainError | None = None


def check_ids(order_ids: Sequence[str]) -> None:
    """Refuse an empty or oversized request as a whole."""
    if not order_ids:
        raise invalid("Give at least one order id.", ["orderIds"])
    if len(order_ids) > MAX_IDS:
        raise invalid(f"At most {MAX_IDS} order ids may be given at once.", ["orderIds"])


async def find_many(session: AsyncSession, public_ids: Sequence[str], *, for_update: bool) -> list[Outcome]:
    """Find every requested order (current or earlier id) in one statement; NOT_FOUND outcomes for the rest."""
    found = await _find(session, public_ids, Order, for_update=for_update)
    return [Outcome(public_id, order, error) for public_id, order, error in found]


async def find_rows(
    session: AsyncSession, public_ids: Sequence[str], columns: Sequence[Any], *, for_update: bool
) -> list[tuple[str, Any, DomainError | None]]:
    """`find_many` reading `columns` of each order: each requested id with its row (None when not found) and its
    NOT_FOUND error. Columns alone give plain rows (no ORM object, nothing in the session), for a bulk
    operation that judges many orders over a few of their columns; `(Order,)` gives the orders.
    """
    return await _find(session, public_ids, *columns, for_update=for_update)


async def _find(
    session: AsyncSession, public_ids: Sequence[str], *selected: Any, for_update: bool
) -> list[tuple[str, Any, DomainError | None]]:
    wanted = {public_id: orders.parse_public_id(public_id) for public_id in public_ids}
    numbers = {parsed[1] for parsed in wanted.values() if parsed is not None}
    found: dict[tuple[str, int], Any] = {}
    if numbers:
        statement = (
            sa.select(*selected, OrderNumber.prefix, OrderNumber.number)
            .join(OrderNumber, OrderNumber.order_id == Order.id)
            .where(OrderNumber.number.in_(numbers))
            .execution_options(populate_existing=True)
        )
        if for_update:
            # In id order, so two bulk requests sharing orders never deadlock.
            statement = lock_rows(statement.order_by(Order.id), of=Order)
        for row in (await session.execute(statement)).all():
            *columns, prefix, number = row
            found[(str(prefix), number)] = columns[0] if len(selected) == 1 else row
    answers: list[tuple[str, Any, DomainError | None]] = []
    for position, public_id in enumerate(public_ids):
        parsed = wanted[public_id]
        order = found.get((str(parsed[0]), parsed[1])) if parsed is not None else None
        error = None if order is not None else not_found("Order", public_id, ["orderIds", str(position)])
        answers.append((public_id, order, error))
    return answers


async def update_orders(
    session: AsyncSession, changed: Iterable[Order], *, values: dict[str, Any], now: datetime.datetime
) -> None:
    """Apply `values` to the orders in one UPDATE, bumping revision and modification time, and mirror it in memory."""
    by_id = {order.id: order for order in changed}
    await update_by_id(session, by_id, values=values, now=now)
    for order in by_id.values():
        for attribute, value in values.items():
            set_committed_value(order, attribute, value)
        set_committed_value(order, "revision", order.revision + 1)
        set_committed_value(order, "modified_at", now)


async def update_by_id(
    session: AsyncSession, order_ids: Collection[int], *, values: dict[str, Any], now: datetime.datetime
) -> None:
    """`update_orders` by key alone, for orders not loaded: nothing in memory is changed."""
    if not order_ids:
        return
    await session.execute(
        sa.update(Order)
        .where(Order.id.in_(order_ids))
        .values(**values, revision=Order.revision + 1, modified_at=now)
        .execution_options(synchronize_session=False)
    )


async def record_events(
    session: AsyncSession,
    messages: dict[int, str],
    *,
    source: str,
    actor: str | None,
    now: datetime.datetime,
    level: EventLevel = EventLevel.INFO,
) -> None:
    """Write one event per order id in one multi-row INSERT."""
    if not messages:
        return
    await session.execute(
        sa.insert(OrderEvent),
        [
            {"order_id": order_id, "at": now, "level": level, "source": source, "message": message, "actor": actor}
            for order_id, message in messages.items()
        ],
    )
