"""Shipping fees: a method's flat fee, or the first of its fee rules that matches the order."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import ShippingFeeRule, ShippingMethod, Shop
from models.orders import Order
from resolvers.core import access, orders


def matching_fee(
    method: ShippingMethod,
    rules: Sequence[ShippingFeeRule],
    *,
    country_code: str | None,
    total_in_default_currency: Decimal,
    weight: Decimal,
) -> Decimal:
    """The fee (in the shop's default currency) of the first rule whose conditions all hold, else the flat fee."""
    for rule in sorted(rules, key=lambda rule: (rule.sort_order, rule.id)):
        if rule.country_code is not None and (country_code or "").upper() != rule.country_code.upper():
            continue
        if rule.min_total is not None and total_in_default_currency < rule.min_total:
            continue
        if rule.max_total is not None and total_in_default_currency >= rule.max_total:
            continue
        if rule.min_weight is not None and weight < rule.min_weight:
            continue
        if rule.max_weight is not None and weight >= rule.max_weight:
            continue
        return rule.fee
    return method.fee


async def fee_for(session: AsyncSession, *, method_id: int, order: Order) -> money.Price:
    """The method's fee for the order as it stands, in the order's currency."""
    method = await session.get_one(ShippingMethod, method_id)
    rules = (
        await session.scalars(sa.select(ShippingFeeRule).where(ShippingFeeRule.shipping_method_id == method_id))
    ).all()
    shop = await session.get_one(Shop, order.shop_id)
    total_in_default = order.price_before_fees.with_vat / order.currency_rate if order.currency_rate else Decimal(0)
    fee = matching_fee(
        method,
        rules,
        country_code=order.delivery_country_code or order.customer_country_code,
        total_in_default_currency=total_in_default,
        weight=order.weight,
    )
    return money.price_of(
        money.convert(fee, rate=order.currency_rate),
        vat_percent=method.fee_vat_percent,
        includes_vat=shop.prices_include_vat,
        minor_unit=order.currency_minor_unit,
    )


async def fee_for_order(
    session: AsyncSession, *, method_id: int, order_public_id: str, viewer: access.Viewer
) -> money.Price | None:
    """The fee for a cart the caller may see without a secret (an admin's, a customer's own), else None."""
    order = await orders.find(session, order_public_id)
    if order is None or not orders.is_own(order, viewer=viewer):
        return None
    return await fee_for(session, method_id=method_id, order=order)
