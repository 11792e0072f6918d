"""Stock: taken once when an order is placed, given back once (a declined payment, a cancellation).

A received return puts its returned quantities back (`restock`); the return's status makes that once.

`orders.is_stock_taken` records which side of that the order is on, so neither happens twice.
Products are locked in id order, so two orders sharing products never deadlock, and FOR NO KEY
UPDATE (`lock_rows`), so neither does a checkout with carts adding lines of those products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Product
from models.database import lock_rows
from models.enums import OrderLineType
from models.orders import Order, OrderLine
from models.returns import Return, ReturnLine
from resolvers.core.errors import DomainError, ErrorCode


async def take(session: AsyncSession, *, order: Order, lines: Sequence[OrderLine], field: Sequence[str] = ()) -> None:
    """Take every product line's quantity from stock.

    Raises OUT_OF_STOCK naming the first line (`[*field, "lines", index, "quantity"]`, its index in
    `lines`) that asks for more than is left, with nothing taken; ALREADY_DONE when the order's
    stock is taken already.
    """
    if order.is_stock_taken:
        raise DomainError(ErrorCode.ALREADY_DONE, f"The stock of {order.public_id} is taken already.")
    await take_lines(session, lines=lines, field=field)
    order.is_stock_taken = True


async def take_lines(session: AsyncSession, *, lines: Sequence[OrderLine], field: Sequence[str] = ()) -> None:
    """`take` without the order's flag, for a caller that sets it in the same transaction itself (OUT_OF_STOCK)."""
    products = await _locked_products(session, lines)
    asked: dict[int, Decimal] = {}
    for index, line in enumerate(lines):
        if line.type is not OrderLineType.PRODUCT or line.product_id is None:
            continue
        asked[line.product_id] = asked.get(line.product_id, Decimal(0)) + line.quantity
        product = products[line.product_id]
        if asked[line.product_id] > product.stock:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Line {line.id} ({product.number}) asks for {line.quantity}; {product.stock.normalize():f} in stock.",
                [*field, "lines", str(index), "quantity"],
            )
    for product_id, quantity in asked.items():
        products[product_id].stock -= quantity


async def take_even_if_short(session: AsyncSession, *, order: Order, lines: Sequence[OrderLine]) -> list[Product]:
    """Take every product line's quantity from stock even where it goes below zero: the sale happened already.

    For a subscription's occurrence, which a shortage cannot undo.
    Returns the products left below zero; raises ALREADY_DONE when the order's stock is taken already.
    """
    if order.is_stock_taken:
        raise DomainError(ErrorCode.ALREADY_DONE, f"The stock of {order.public_id} is taken already.")
    products = await _locked_products(session, lines)
    for line in lines:
        if line.type is OrderLineType.PRODUCT and line.product_id is not None:
            products[line.product_id].stock -= line.quantity
    order.is_stock_taken = True
    return [product for product in products.values() if product.stock < 0]


async def give_back(session: AsyncSession, *, order: Order, lines: Sequence[OrderLine]) -> None:
    """Return every product line's quantity to stock, less what received returns restocked already.

    Raises ALREADY_DONE when the order's stock is not taken.
    """
    if not order.is_stock_taken:
        raise DomainError(ErrorCode.ALREADY_DONE, f"The stock of {order.public_id} is not taken.")
    products = await _locked_products(session, lines)
    restocked = await _restocked_by_returns(session, order_id=order.id)
    for line in lines:
        if line.type is OrderLineType.PRODUCT and line.product_id is not None:
            products[line.product_id].stock += line.quantity - restocked.get(line.id, Decimal(0))
    order.is_stock_taken = False


async def restock(session: AsyncSession, *, quantities: Mapping[int, Decimal]) -> None:
    """Put quantities back in stock, by product id (the caller makes sure it happens once)."""
    products = await _locked_products_by_id(session, sorted(quantities))
    for product_id, quantity in quantities.items():
        products[product_id].stock += quantity


async def _restocked_by_returns(session: AsyncSession, *, order_id: int) -> dict[int, Decimal]:
    """Per order line, the quantity received returns put back in stock."""
    rows = await session.execute(
        sa.select(ReturnLine.order_line_id, sa.func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id, Return.received_at.is_not(None), ReturnLine.restock)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: quantity for line_id, quantity in rows.all()}


async def _locked_products(session: AsyncSession, lines: Sequence[OrderLine]) -> dict[int, Product]:
    ids = sorted({line.product_id for line in lines if line.type is OrderLineType.PRODUCT and line.product_id})
    return await _locked_products_by_id(session, ids)


async def _locked_products_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Product]:
    statement = lock_rows(sa.select(Product).where(Product.id.in_(ids)).order_by(Product.id))
    # Fresh values under the lock, even for products this session read before.
    statement = statement.execution_options(populate_existing=True)
    return {product.id: product for product in (await session.scalars(statement)).all()}
