"""Plain async factories that insert rows directly, for tests that need orders without the storefront."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import database, money
from models.catalog import PaymentMethod, Shop
from models.enums import FlowKind, OrderKind, OrderLineType, TransactionKind, TransactionStatus
from models.flows import Flow, State
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.core import orders

_references = itertools.count(1)


async def state_named(session: AsyncSession, name: str, *, kind: FlowKind = FlowKind.ORDER) -> State:
    """A demo state by name within the default flow of a kind."""
    return (
        await session.scalars(
            sa.select(State)
            .join(Flow, Flow.id == State.flow_id)
            .where(Flow.kind == kind, Flow.is_default, State.name == name)
        )
    ).one()


async def payment_method_named(session: AsyncSession, name: str) -> PaymentMethod:
    return (await session.scalars(sa.select(PaymentMethod).where(PaymentMethod.name == name))).one()


async def create_order(
    session: AsyncSession,
    *,
    now: datetime.datetime,
    kind: OrderKind = OrderKind.ORDER,
    state: State | None = None,
    customer_name: str | None = "Ada Lovelace",
    customer_email: str | None = "ada@example.com",
    customer_company: str | None = None,
    customer_id: str | None = None,
    delivery_name: str | None = None,
    lines: Sequence[tuple[str, Decimal]] = (("TSHIRT-BLK-M", Decimal("19.95")),),
    payment_method: PaymentMethod | None = None,
    transactions: Sequence[tuple[TransactionKind, TransactionStatus, Decimal]] = (),
    is_complete: bool = True,
    completed_at: datetime.datetime | None = None,
    created_at: datetime.datetime | None = None,
    currency: tuple[str, Decimal] = ("EUR", Decimal(1)),
    is_cancelled: bool = False,
    is_deleted: bool = False,
) -> Order:
    """An order with one PRODUCT line per (number, price with VAT at 25 %) and the given transactions."""
    shop = (await session.scalars(sa.select(Shop).order_by(Shop.id).limit(1))).one()
    issued = await orders.new_number(session, kind=kind, now=now)
    prices = [money.price_of(price, vat_percent=Decimal(25), includes_vat=True, minor_unit=2) for _, price in lines]
    total = money.sum_prices(prices) if prices else money.ZERO_PRICE
    order = Order(
        public_id=f"{kind.value}{issued.number}",
        number=issued.number,
        kind=kind,
        shop_id=shop.id,
        customer_id=customer_id,
        customer_name=customer_name,
        customer_email=customer_email,
        customer_company=customer_company,
        delivery_name=delivery_name,
        created_at=created_at or now,
        modified_at=created_at or now,
        completed_at=(completed_at or now) if is_complete else None,
        is_complete=is_complete,
        is_cancelled=is_cancelled,
        is_deleted=is_deleted,
        flow_id=state.flow_id if state else None,
        state_id=state.id if state else None,
        currency_code=currency[0],
        currency_name=currency[0],
        currency_rate=currency[1],
        payment_method_id=payment_method.id if payment_method else None,
        payment_fee=money.ZERO_PRICE,
        shipping_fee=money.ZERO_PRICE,
        subtotal=total,
        discount_total=money.ZERO_PRICE,
        price_before_fees=total,
        total=total,
    )
    session.add(order)
    await session.flush()
    issued.order_id = order.id
    for position, ((number, _), price) in enumerate(zip(lines, prices, strict=True)):
        session.add(
            OrderLine(
                order_id=order.id,
                type=OrderLineType.PRODUCT,
                sort_order=position,
                product_number=number,
                product_name=number.title(),
                quantity=Decimal(1),
                unit_amount=price.with_vat,
                vat_percent=Decimal(25),
                unit_price=price,
                price=price,
                discount_total=money.ZERO_PRICE,
                created_at=now,
                modified_at=now,
            )
        )
    for kind_, status, amount in transactions:
        session.add(
            Transaction(
                order_id=order.id,
                kind=kind_,
                status=status,
                amount=amount,
                currency=currency[0],
                provider=payment_method.provider if payment_method else "manual",
                reference=f"ref-{next(_references)}-{order.id}",
                created_at=now,
            )
        )
    await session.flush()
    return order


async def committed_orders(
    db: database.Database, count: int = 1, *, state_name: str | None = "Received", **kwargs: Any
) -> list[str]:
    """Create `count` orders in their own committed transaction (for HTTP tests); their public ids."""
    now = kwargs.pop("now", datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC))
    async with db.write_sessions() as session, session.begin():
        state = await state_named(session, state_name) if state_name else None
        created = [await create_order(session, now=now, state=state, **kwargs) for _ in range(count)]
        return [order.public_id for order in created]
