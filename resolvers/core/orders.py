"""Finding orders by their public ids, issuing new ids, and who may see a cart, quote or order.

Public ids are a kind prefix and a number from one sequence (`CART17`, `ORDER19`).
Every id ever issued stays in `order_numbers`, so earlier ids keep resolving.
"""

from __future__ import annotations

import datetime
import re

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PaymentMethod, ShippingFeeRule, ShippingMethod, Shop
from models.database import lock_rows
from models.enums import OrderKind
from models.orders import Order, OrderLine, OrderNumber
from resolvers.core import access, validation
from resolvers.core.errors import not_found

# ASCII digits only: `\d` also matches Arabic-Indic digits, which int() reads as numbers.
PUBLIC_ID = re.compile(r"^(CART|QUOTE|ORDER)([0-9]{1,10})$")


def parse_public_id(public_id: str) -> tuple[OrderKind, int] | None:
    """The kind and number of `CART17`, `ORDER19`…; None for anything else, which matches nothing."""
    match = PUBLIC_ID.match(public_id.strip().upper())
    number = validation.integer_id(match.group(2)) if match else None
    if match is None or number is None:
        return None
    return OrderKind(match.group(1)), number


async def issue_id(session: AsyncSession, *, order: Order, kind: OrderKind, now: datetime.datetime) -> str:
    """Give the order a new public id of `kind`; its current id stays resolvable as an earlier id."""
    issued = OrderNumber(prefix=kind, order_id=order.id, created_at=now)
    session.add(issued)
    await session.flush()
    order.kind = kind
    order.number = issued.number
    order.public_id = f"{kind.value}{issued.number}"
    return order.public_id


async def new_number(session: AsyncSession, *, kind: OrderKind, now: datetime.datetime) -> OrderNumber:
    """Take the next number of the sequence for a record that does not exist yet."""
    issued = OrderNumber(prefix=kind, order_id=None, created_at=now)
    session.add(issued)
    await session.flush()
    return issued


async def find(
    session: AsyncSession, public_id: str, *, for_update: bool = False, with_pricing_rows: bool = False
) -> Order | None:
    """The order with this current or earlier id, or None.

    `with_pricing_rows`: its shop, payment and shipping methods and the shipping method's fee rules come
    in the same statement (not locked), so pricing and checkout find them in the session
    (`database.KEPT_FOR_THE_SESSION`); a method with several rules repeats the order's row once a rule.
    """
    parsed = parse_public_id(public_id)
    if parsed is None:
        return None
    kind, number = parsed
    statement = (
        sa.select(Order)
        .join(OrderNumber, OrderNumber.order_id == Order.id)
        .where(OrderNumber.number == number, OrderNumber.prefix == kind)
    )
    if with_pricing_rows:
        statement = (
            statement.add_columns(Shop, PaymentMethod, ShippingMethod)
            .join(Shop, Shop.id == Order.shop_id)
            .outerjoin(PaymentMethod, PaymentMethod.id == Order.payment_method_id)
            .outerjoin(ShippingMethod, ShippingMethod.id == Order.shipping_method_id)
            .outerjoin(ShippingFeeRule, ShippingFeeRule.shipping_method_id == ShippingMethod.id)
            .options(orm.contains_eager(ShippingMethod.fee_rules))
        )
    if for_update:
        # The rows the lock took before the setup rows joined it: never a shop or a method.
        statement = lock_rows(statement, of=[Order, OrderNumber])
    return (await session.execute(statement)).unique().scalar()


def is_own(order: Order, *, viewer: access.Viewer) -> bool:
    """Admins own every record, a customer their own; a secret is not asked of them."""
    return viewer.is_admin or viewer.is_customer(order.customer_id)


def may_see(order: Order, *, viewer: access.Viewer, secret: str | None, now: datetime.datetime) -> bool:
    """The record's owner (`is_own`), or the holder of its secret while the secret still opens it.

    A completed order's secret only reads it (design.md, Access): no storefront operation changes a
    completed record, and after `viewer.secret_read_window` from completion the secret opens nothing.
    """
    if is_own(order, viewer=viewer):
        return True
    if not access.secrets_match(secret, order.secret_hash):
        return False
    if not order.is_complete:
        return True
    return order.completed_at is not None and now - order.completed_at <= viewer.secret_read_window


async def get_visible(
    session: AsyncSession,
    public_id: str,
    *,
    viewer: access.Viewer,
    secret: str | None,
    now: datetime.datetime,
    for_update: bool = False,
    with_pricing_rows: bool = False,
    field: list[str] | None = None,
) -> Order:
    """The order if the caller may see it; a wrong secret and a missing id raise the same NOT_FOUND."""
    order = await find(session, public_id, for_update=for_update, with_pricing_rows=with_pricing_rows)
    if order is None or not may_see(order, viewer=viewer, secret=secret, now=now):
        raise not_found("Order", public_id, field)
    return order


async def get_for_admin(session: AsyncSession, public_id: str, *, for_update: bool = False) -> Order:
    order = await find(session, public_id, for_update=for_update)
    if order is None:
        raise not_found("Order", public_id)
    return order


def touch(order: Order, *, now: datetime.datetime) -> None:
    """Every change of an order bumps its revision and modification time."""
    order.revision += 1
    order.modified_at = now


async def lines_of(session: AsyncSession, *, order_id: int) -> list[OrderLine]:
    """An order's lines in display order (the order `Order.lines` serves them in)."""
    statement = sa.select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.sort_order, OrderLine.id)
    return list((await session.scalars(statement)).all())
