"""The order factory: carts, quotes and orders of demo products inserted directly, priced as checkout prices them.

For tests that need records without going through the storefront. Every argument after the session is
keyword-only and has a default but `now`: the default is a completed ORDER in Received for Ada Lovelace
with one T-shirt (19.95 with 25 % VAT), in EUR, without payment or shipping methods or transactions.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import database, money
from models.catalog import Currency, PaymentMethod, Product, ShippingMethod, Shop
from models.enums import (
    FlowKind,
    OrderKind,
    OrderLineType,
    QuoteStatus,
    ReturnStatus,
    TransactionKind,
    TransactionStatus,
)
from models.flows import Flow, State
from models.orders import Order, OrderLine
from models.payments import Transaction
from models.returns import Return, ReturnLine
from resolvers.core import orders
from resolvers.storefront import pricing

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
SUCCEEDED = TransactionStatus.SUCCEEDED
_references = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Line:
    """A line of a demo product; `unit_price` (with VAT, in the order's currency) replaces the catalogue's price."""

    number: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None


ONE_SHIRT = (Line("TSHIRT-BLK-M"),)
# 2 x 19.95 at 25 % and 1 x 29.00 at 0 %: 68.90 in all.
SHIRTS_AND_BOOK = (Line("TSHIRT-BLK-M", Decimal(2)), Line("BOOK-COOK"))

Movement = tuple[TransactionKind, TransactionStatus, Decimal]
Method = TypeVar("Method", PaymentMethod, ShippingMethod)


async def create_order(
    session: AsyncSession,
    *,
    now: datetime.datetime,
    kind: OrderKind = OrderKind.ORDER,
    state: str | None = "Received",
    lines: Sequence[Line] = ONE_SHIRT,
    customer_id: str | None = None,
    customer_name: str | None = "Ada Lovelace",
    customer_email: str | None = "ada@example.com",
    customer_company: str | None = None,
    delivery_name: str | None = "Ada Lovelace",
    delivery_city: str | None = "Aarhus",
    payment_method: str | None = None,
    shipping_method: str | None = None,
    transactions: Sequence[Movement] = (),
    currency: str = "EUR",
    shipping_fee: money.Price = money.ZERO_PRICE,
    is_complete: bool = True,
    is_cancelled: bool = False,
    is_deleted: bool = False,
    created_at: datetime.datetime | None = None,
    completed_at: datetime.datetime | None = None,
    state_kind: FlowKind | None = None,
    quote_status: QuoteStatus | None = None,
    tracking_number: str | None = None,
) -> Order:
    """A cart, quote or order with `lines`; a completed, live order has taken their stock.

    `state` names a state of the default flow of `state_kind` (by default the record's kind; None: no flow),
    as an unfinished checkout stays in its cart's CART state; a quote is OPEN unless `quote_status` says;
    the methods are demo methods by name; each of `transactions` is stored as given, against the payment
    method's provider.
    """
    order = await _new_order(
        session, kind=kind, state=state, state_kind=state_kind, currency=currency, now=created_at or now
    )
    if quote_status is not None:
        order.quote_status = quote_status
    order.tracking_number = tracking_number
    payment = await _method_named(session, PaymentMethod, payment_method)
    shipping = await _method_named(session, ShippingMethod, shipping_method)
    order.payment_method_id = payment.id if payment else None
    order.shipping_method_id = shipping.id if shipping else None
    order.customer_id, order.customer_name, order.customer_email = customer_id, customer_name, customer_email
    order.customer_company, order.delivery_name, order.delivery_city = customer_company, delivery_name, delivery_city
    order.is_complete, order.is_cancelled, order.is_deleted = is_complete, is_cancelled, is_deleted
    order.completed_at = (completed_at or now) if is_complete else None
    order.shipping_fee = shipping_fee
    order.is_stock_taken = kind is OrderKind.ORDER and is_complete and not is_cancelled
    await session.flush()
    rows = [await _new_line(session, order, line, position=position, now=now) for position, line in enumerate(lines)]
    await session.flush()
    await pricing.recalculate(session, order=order, lines=rows, recalculate_fees=False, now=now)
    for movement in transactions:
        session.add(_transaction(order, movement, provider=payment.provider if payment else "manual", now=now))
    await session.flush()
    return order


async def committed_orders(
    db: database.Database, count: int, *, now: datetime.datetime = NOW, **kwargs: Any
) -> list[str]:
    """Create `count` orders (`create_order`'s arguments) in their own committed transaction; their public ids."""
    async with db.write_sessions() as session, session.begin():
        created = [await create_order(session, now=now, **kwargs) for _ in range(count)]
        return [order.public_id for order in created]


async def committed_order(db: database.Database, **kwargs: Any) -> str:
    """One order of `committed_orders`; its public id."""
    [public_id] = await committed_orders(db, 1, **kwargs)
    return public_id


async def state_named(session: AsyncSession, name: str, *, kind: FlowKind = FlowKind.ORDER) -> State:
    """A demo state by name within the default flow of a kind."""
    return (
        await session.scalars(
            sa.select(State)
            .join(Flow, Flow.id == State.flow_id)
            .where(Flow.kind == kind, Flow.is_default, State.name == name)
        )
    ).one()


async def add_return(
    session: AsyncSession,
    order: Order,
    *,
    quantity: Decimal = Decimal(1),
    status: ReturnStatus = ReturnStatus.REQUESTED,
    now: datetime.datetime = NOW,
) -> Return:
    """A return of `quantity` of the order's first product line, in the default RETURN state, with `status`
    (received when RECEIVED or REFUNDED; a REJECTED one was rejected before it was received)."""
    line = (
        await session.scalars(
            sa.select(OrderLine)
            .where(OrderLine.order_id == order.id, OrderLine.type == OrderLineType.PRODUCT)
            .order_by(OrderLine.sort_order, OrderLine.id)
        )
    ).first()
    assert line is not None, f"{order.public_id} has a product line"
    state = await state_named(session, "Requested", kind=FlowKind.RETURN)
    returned = Return(order_id=order.id, status=status, state_id=state.id, created_at=now)
    if status in (ReturnStatus.RECEIVED, ReturnStatus.REFUNDED):
        returned.received_at = now
    session.add(returned)
    await session.flush()
    session.add(ReturnLine(return_id=returned.id, order_line_id=line.id, quantity=quantity))
    await session.flush()
    return returned


async def product_numbered(session: AsyncSession, number: str) -> Product:
    return (await session.scalars(sa.select(Product).where(Product.number == number))).one()


async def _new_order(
    session: AsyncSession,
    *,
    kind: OrderKind,
    state: str | None,
    state_kind: FlowKind | None,
    currency: str,
    now: datetime.datetime,
) -> Order:
    """The order row with its number, shop, flow and currency, created and last modified at `now`."""
    shop = (await session.scalars(sa.select(Shop).where(Shop.is_default))).one()
    in_currency = await session.get_one(Currency, currency)
    flow_kind = state_kind or FlowKind(kind.value)
    in_state = await state_named(session, state, kind=flow_kind) if state is not None else None
    issued = await orders.new_number(session, kind=kind, now=now)
    order = Order(
        public_id=f"{kind.value}{issued.number}",
        number=issued.number,
        kind=kind,
        shop_id=shop.id,
        created_at=now,
        modified_at=now,
        quote_status=QuoteStatus.OPEN if kind is OrderKind.QUOTE else None,
        flow_id=in_state.flow_id if in_state else None,
        state_id=in_state.id if in_state else None,
        currency_code=in_currency.code,
        currency_name=in_currency.name,
        currency_rate=in_currency.rate,
        currency_minor_unit=in_currency.minor_unit,
        payment_fee=money.ZERO_PRICE,
    )
    session.add(order)
    await session.flush()
    issued.order_id = order.id
    return order


async def _new_line(
    session: AsyncSession, order: Order, line: Line, *, position: int, now: datetime.datetime
) -> OrderLine:
    """A product line described from the catalogue, its stock taken when the order has taken stock."""
    product = await product_numbered(session, line.number)
    row = OrderLine(order_id=order.id, sort_order=position, quantity=line.quantity, created_at=now, modified_at=now)
    pricing.copy_product(row, product=product, currency_rate=order.currency_rate, minor_unit=order.currency_minor_unit)
    if line.unit_price is not None:
        row.unit_amount = line.unit_price
    if order.is_stock_taken:
        product.stock -= line.quantity
    session.add(row)
    return row


async def _method_named(session: AsyncSession, model: type[Method], name: str | None) -> Method | None:
    if name is None:
        return None
    return (await session.scalars(sa.select(model).where(model.name == name))).one()


def _transaction(order: Order, movement: Movement, *, provider: str, now: datetime.datetime) -> Transaction:
    kind, status, amount = movement
    return Transaction(
        order_id=order.id,
        kind=kind,
        status=status,
        amount=amount,
        currency=order.currency_code,
        provider=provider,
        reference=f"ref-{next(_references)}-{order.id}",
        created_at=now,
    )
