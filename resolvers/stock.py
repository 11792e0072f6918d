"""Giving an order's products back to stock, exactly once.

Checkout takes the stock and sets `is_stock_taken`; cancelling (and a checkout whose
authorization failed) gives it back here. The flag, read under the order's lock, is
what makes it happen once however often the caller is retried.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Product
from models.enums import OrderLineType
from models.orders import Order, OrderLine


async def give_back(session: AsyncSession, *, order: Order) -> int:
    """Add each product line's quantity back to its product; returns the lines restocked (0 when none was taken).

    The caller holds the order's lock.
    """
    if not order.is_stock_taken:
        return 0
    lines = (
        await session.execute(
            sa.select(OrderLine.product_id, OrderLine.quantity).where(
                OrderLine.order_id == order.id,
                OrderLine.type == OrderLineType.PRODUCT,
                OrderLine.product_id.is_not(None),
            )
        )
    ).all()
    for product_id, quantity in lines:
        # One UPDATE with an expression: concurrent restocks of the same product add up, never overwrite.
        await session.execute(sa.update(Product).where(Product.id == product_id).values(stock=Product.stock + quantity))
    order.is_stock_taken = False
    await session.flush()
    return len(lines)
