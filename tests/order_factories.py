"""Orders and quotes priced from demo products, inserted directly (no storefront), for editing and quote tests."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import PaymentMethod, Product, Shop
from models.enums import FlowKind, OrderKind, OrderLineType, QuoteStatus, TransactionKind, TransactionStatus
from models.flows import Flow, State
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.core import orders
from resolvers.storefront import pricing
from tests.conftest import Store


async def state_named(session: AsyncSession, name: str, *, kind: FlowKind) -> State:
    return (
        await session.scalars(
            sa.select(State)
            .join(Flow, Flow.id == State.flow_id)
            .where(Flow.kind == kind, Flow.is_default, State.name == name)
        )
    ).one()


async def product_numbered(session: AsyncSession, number: str) -> Product:
    return (await session.scalars(sa.select(Product).where(Product.number == number))).one()


async def create_order(
    session: AsyncSession,
    *,
    now: datetime.datetime,
    kind: OrderKind = OrderKind.ORDER,
    state: str | None = "Received",
    products: Sequence[tuple[str, str]] = (("TSHIRT-BLK-M", "2"), ("BOOK-COOK", "1")),
    customer_id: str | None = None,
    delivery_city: str | None = "Aarhus",
    payment_method: str | None = None,
    authorized: Decimal | None = None,
    shipping_fee: money.Price = money.ZERO_PRICE,
) -> Order:
    """An order (or quote) with a product line per (number, quantity), priced as checkout would price it."""
    shop = (await session.scalars(sa.select(Shop).order_by(Shop.id).limit(1))).one()
    issued = await orders.new_number(session, kind=kind, now=now)
    flow_kind = FlowKind.QUOTE if kind is OrderKind.QUOTE else FlowKind.ORDER
    in_state = await state_named(session, state, kind=flow_kind) if state is not None else None
    method = (
        (await session.scalars(sa.select(PaymentMethod).where(PaymentMethod.provider == payment_method))).first()
        if payment_method
        else None
    )
    order = Order(
        public_id=f"{kind.value}{issued.number}",
        number=issued.number,
        kind=kind,
        shop_id=shop.id,
        customer_id=customer_id,
        customer_name="Ada Lovelace",
        customer_email="ada@example.com",
        delivery_name="Ada Lovelace",
        delivery_city=delivery_city,
        created_at=now,
        modified_at=now,
        completed_at=now if kind is OrderKind.ORDER else None,
        is_complete=kind is OrderKind.ORDER,
        is_stock_taken=kind is OrderKind.ORDER,
        quote_status=QuoteStatus.OPEN if kind is OrderKind.QUOTE else None,
        flow_id=in_state.flow_id if in_state else None,
        state_id=in_state.id if in_state else None,
        currency_code="EUR",
        currency_name="Euro",
        currency_rate=Decimal(1),
        payment_method_id=method.id if method else None,
        shipping_fee=shipping_fee,
    )
    session.add(order)
    await session.flush()
    issued.order_id = order.id
    for position, (number, quantity) in enumerate(products):
        line = OrderLine(
            order_id=order.id, sort_order=position, quantity=Decimal(quantity), created_at=now, modified_at=now
        )
        pricing.copy_product(
            line, product=await product_numbered(session, number), currency_rate=Decimal(1), minor_unit=2
        )
        session.add(line)
    await session.flush()
    lines = (await session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id))).all()
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=False, now=now)
    if authorized is not None:
        session.add(
            Transaction(
                order_id=order.id,
                kind=TransactionKind.AUTHORIZE,
                status=TransactionStatus.SUCCEEDED,
                amount=authorized,
                currency="EUR",
                provider=payment_method or "manual",
                reference=f"auth-{order.id}",
                created_at=now,
            )
        )
    await session.flush()
    return order


async def committed_order(store: Store, **kwargs: object) -> str:
    """Create an order in its own committed transaction; its public id."""
    async with store.db.write_sessions() as session, session.begin():
        order = await create_order(session, now=datetime.datetime.now(datetime.UTC), **kwargs)  # type: ignore[arg-type]
        return order.public_id


def product_line_ids(lines: Sequence[OrderLine]) -> list[int]:
    return [line.id for line in lines if line.type is OrderLineType.PRODUCT]
