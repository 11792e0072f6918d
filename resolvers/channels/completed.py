"""What imported and generated orders share: they arrive complete, in a state, with product lines priced
from the catalogue now; a generated one says which products its stock took below zero."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Product
from models.enums import EventLevel, OrderKind, OrderLineType
from models.flows import State
from models.orders import Order, OrderLine
from resolvers.core import events, orders
from resolvers.storefront import pricing


def add_product_line(
    session: AsyncSession,
    order: Order,
    *,
    product: Product,
    quantity: Decimal,
    unit_id: str | None,
    sort_order: int,
    now: datetime.datetime,
) -> OrderLine:
    """Add a product line priced from the catalogue now, in the order's currency at its rate."""
    line = OrderLine(
        order_id=order.id, type=OrderLineType.PRODUCT, sort_order=sort_order, unit_id=unit_id, quantity=quantity,
        created_at=now, modified_at=now,
    )  # fmt: skip
    pricing.copy_product(line, product=product, currency_rate=order.currency_rate, minor_unit=order.currency_minor_unit)
    session.add(line)
    return line


async def new_order(
    session: AsyncSession, *, state: State, created_at: datetime.datetime, now: datetime.datetime, **columns: Any
) -> Order:
    """Add a completed ORDER with the next number, in `state`, and flush it.

    The flush is where a second order for the same channel key or occurrence meets its unique
    constraint, before any line is written or any stock locked.
    """
    issued = await orders.new_number(session, kind=OrderKind.ORDER, now=now)
    order = Order(
        public_id=f"{OrderKind.ORDER.value}{issued.number}", number=issued.number, kind=OrderKind.ORDER,
        created_at=created_at, modified_at=now, completed_at=created_at, is_complete=True, flow_id=state.flow_id,
        state_id=state.id, **columns,
    )  # fmt: skip
    session.add(order)
    await session.flush()
    issued.order_id = order.id
    return order


def record_short_stock(
    session: AsyncSession,
    *,
    order: Order,
    short: Sequence[Product],
    after: str,
    source: str,
    actor: str | None,
    now: datetime.datetime,
) -> None:
    """A WARNING event naming the products the order took below zero (none when nothing is short)."""
    if not short:
        return
    listed = ", ".join(f"{product.number} ({money.plain_quantity(product.stock)})" for product in short)
    events.record(
        session, order_id=order.id, source=source, message=f"Stock below zero after {after}: {listed}.", actor=actor,
        now=now, level=EventLevel.WARNING,
    )  # fmt: skip
