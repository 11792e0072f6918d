"""Shipping fees: a method's flat fee, or the first of its fee rules that matches the order."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import ShippingFeeRule, ShippingMethod, Shop
from models.orders import Order
from resolvers.core import access, orders


@dataclasses.dataclass(frozen=True, slots=True)
class Fee:
    """A shipping fee in the order's currency and the fee rule that set it (None: the method's flat fee)."""

    price: money.Price
    rule_name: str | None


def matching_rule(
    rules: Sequence[ShippingFeeRule],
    *,
    country_code: str | None,
    total_in_default_currency: Decimal,
    weight: Decimal,
) -> ShippingFeeRule | None:
    """The first rule in sort order whose conditions all hold, or None (the method's flat fee applies)."""
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
        return rule
    return None


async def fee_for(session: AsyncSession, *, method_id: int, order: Order) -> Fee:
    """The method's fee for the order as it stands, in the order's currency, with the rule that set it."""
    method = await session.get_one(ShippingMethod, method_id)
    rules = await _fee_rules(session, method)
    shop = await session.get_one(Shop, order.shop_id)
    total_in_default = order.price_before_fees.with_vat / order.currency_rate if order.currency_rate else Decimal(0)
    rule = matching_rule(
        rules,
        country_code=order.delivery_country_code or order.customer_country_code,
        total_in_default_currency=total_in_default,
        weight=order.weight,
    )
    price = money.price_of(
        money.convert(rule.fee if rule is not None else method.fee, rate=order.currency_rate),
        vat_percent=method.fee_vat_percent,
        includes_vat=shop.prices_include_vat,
        minor_unit=order.currency_minor_unit,
    )
    return Fee(price, rule.name if rule is not None else None)


async def fee_for_order(
    session: AsyncSession, *, method_id: int, order_public_id: str, viewer: access.Viewer
) -> money.Price | None:
    """The fee for a cart the caller may see without a secret (an admin's, a customer's own), else None."""
    order = await orders.find(session, order_public_id)
    if order is None or not orders.is_own(order, viewer=viewer):
        return None
    return (await fee_for(session, method_id=method_id, order=order)).price


async def _fee_rules(session: AsyncSession, method: ShippingMethod) -> Sequence[ShippingFeeRule]:
    """The method's rules: as loaded with it (`orders.find`, `pricing.load_methods`), else read now."""
    if "fee_rules" in sa.inspect(method).dict:
        return method.fee_rules
    statement = sa.select(ShippingFeeRule).where(ShippingFeeRule.shipping_method_id == method.id)
    return (await session.scalars(statement)).all()
