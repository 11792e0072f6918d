"""Pricing an order from its lines: line prices, line and order discounts, subtotal, fees and total.

Conventions every caller (carts, checkout, editing) shares:

- A product line keeps what it is priced from: `unit_amount` in the order's currency,
  `vat_percent`, and the unit `weight`/`volume` (per unit, as DynamicWeb's
  OrderLineWeight), so a recalculation never needs the product again.
- A unit amount taken from the catalogue is in the shop's convention (with VAT when
  the shop's prices include VAT); an overridden one (`is_unit_price_overridden`) is
  without VAT, as the contract's `EditLineInput.unitPrice` says.
- Discounts are DISCOUNT lines with negative prices: under a product line
  (`parent_line_id`) they are line discounts, without a parent order discounts whose
  VAT is split over the order's rates pro rata. A discount is given as an amount in the
  order's currency (in the shop's convention) or a percent. `discount_total` (of a line
  and of the order) is the sum of those negative prices, so every total is a plain sum:

      subtotal          = Σ product line price + Σ line discounts
      priceBeforeFees   = subtotal + Σ order discounts (+ TAX lines)
      total             = priceBeforeFees + paymentFee + shippingFee
      discountTotal     = Σ every DISCOUNT line

- Each line is rounded to the currency's minor unit, then summed; a total below zero
  raises NEGATIVE_TOTAL.

Lines are priced in place; lines must be flushed (discount lines point at their parent by id).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import PaymentMethod, Product, ShippingFeeRule, ShippingMethod, Shop
from models.enums import OrderLineType
from models.orders import Order, OrderLine
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.storefront import shipping

QUANTITY_PLACES = money.QUANTITY_SCALE


@dataclasses.dataclass(frozen=True, slots=True)
class LineTotals:
    """What the lines of an order add up to, before fees."""

    subtotal: money.Price
    discount_total: money.Price
    price_before_fees: money.Price
    weight: Decimal
    volume: Decimal


def unit_amount_from_catalogue(catalogue_price: Decimal, *, currency_rate: Decimal, minor_unit: int) -> Decimal:
    """A catalogue price in the order's currency, rounded to its minor unit (the unit price the shopper sees)."""
    return money.round_money(money.convert(catalogue_price, rate=currency_rate), minor_unit=minor_unit)


def copy_product(line: OrderLine, *, product: Product, currency_rate: Decimal, minor_unit: int) -> None:
    """Describe and price a product line from the product, in the order's currency at its kept rate."""
    line.type = OrderLineType.PRODUCT
    line.product_id = product.id
    line.product_number = product.number
    line.product_name = product.name
    line.variant_id = product.variant_id
    line.variant_text = product.variant_text
    line.unit_amount = unit_amount_from_catalogue(product.price, currency_rate=currency_rate, minor_unit=minor_unit)
    line.is_unit_price_overridden = False
    line.vat_percent = product.vat_percent
    line.weight = product.weight
    line.volume = product.volume


def price_product_line(line: OrderLine, *, prices_include_vat: bool, minor_unit: int) -> None:
    """Set a product line's unit price and price from its stored unit amount, VAT percent and quantity."""
    includes_vat = prices_include_vat and not line.is_unit_price_overridden
    line.unit_price = money.unit_price(
        line.unit_amount, vat_percent=line.vat_percent, includes_vat=includes_vat, minor_unit=minor_unit
    )
    line.price = money.line_price(
        line.unit_amount, line.quantity, vat_percent=line.vat_percent, includes_vat=includes_vat, minor_unit=minor_unit
    )


def price_lines(lines: Sequence[OrderLine], *, prices_include_vat: bool, minor_unit: int) -> LineTotals:
    """Price every line in place and add them up; NEGATIVE_TOTAL when a discount goes beyond what it discounts."""
    products = [line for line in lines if line.type is OrderLineType.PRODUCT]
    discounts = [line for line in lines if line.type is OrderLineType.DISCOUNT]
    taxes = [line for line in lines if line.type is OrderLineType.TAX]
    line_discounts = [line for line in discounts if line.parent_line_id is not None]
    order_discounts = [line for line in discounts if line.parent_line_id is None]

    net_prices = [
        _price_with_line_discounts(
            line,
            [d for d in line_discounts if d.parent_line_id == line.id],
            prices_include_vat=prices_include_vat,
            minor_unit=minor_unit,
        )
        for line in products
    ]
    _refuse_orphans(line_discounts, products)
    subtotal = money.sum_prices(net_prices)
    _price_order_discounts(order_discounts, net_prices, prices_include_vat=prices_include_vat, minor_unit=minor_unit)
    price_before_fees = money.sum_prices([subtotal, *(d.price for d in order_discounts), *(t.price for t in taxes)])
    _refuse_negative(
        price_before_fees, "The discounts take the order below zero.", prices_include_vat=prices_include_vat
    )
    return LineTotals(
        subtotal=subtotal,
        discount_total=money.sum_prices(d.price for d in discounts),
        price_before_fees=price_before_fees,
        weight=_measure(products, "weight"),
        volume=_measure(products, "volume"),
    )


async def load_methods(session: AsyncSession, *, payment_method_id: int | None, shipping_method_id: int | None) -> None:
    """Read the payment and the shipping method chosen together, the latter's fee rules too, in one statement.

    Nothing when only one is chosen or the session holds both (a cart's lock reads its own). Either may
    not exist: `session.get` then asks again and finds nothing.
    """
    if payment_method_id is None or shipping_method_id is None:
        return
    held = [
        session.identity_key(PaymentMethod, payment_method_id),
        session.identity_key(ShippingMethod, shipping_method_id),
    ]
    if all(key in session.identity_map for key in held):
        return
    statement = (
        sa.select(PaymentMethod, ShippingMethod)
        .select_from(sa.select(sa.literal(1)).subquery())
        .outerjoin(PaymentMethod, PaymentMethod.id == payment_method_id)
        .outerjoin(ShippingMethod, ShippingMethod.id == shipping_method_id)
        .outerjoin(ShippingFeeRule, ShippingFeeRule.shipping_method_id == ShippingMethod.id)
        .options(orm.contains_eager(ShippingMethod.fee_rules))
    )
    (await session.execute(statement)).unique().all()


async def recalculate(
    session: AsyncSession,
    *,
    order: Order,
    lines: Sequence[OrderLine],
    recalculate_fees: bool,
    now: datetime.datetime,
) -> None:
    """Price the lines and set every total of the order; fees follow the chosen methods when `recalculate_fees`.

    Keeps the shop's standard VAT rate on the order, and the name of the shipping fee rule that set the fee.

    Raises NEGATIVE_TOTAL when a discount or the total would go below zero (the caller's savepoint undoes
    whatever was set).
    """
    # The setup rows read here need nothing unwritten: the order's changes go out together, in the next flush.
    with session.no_autoflush:
        shop = await session.get_one(Shop, order.shop_id)
    totals = price_lines(lines, prices_include_vat=shop.prices_include_vat, minor_unit=order.currency_minor_unit)
    order.subtotal = totals.subtotal
    order.discount_total = totals.discount_total
    order.price_before_fees = totals.price_before_fees
    order.weight = totals.weight
    order.volume = totals.volume
    order.standard_vat_percent = shop.default_vat_percent
    if recalculate_fees:
        # The shipping rules read the order's price before fees and weight, set just above.
        with session.no_autoflush:
            order.payment_fee = await _payment_fee(session, order=order, prices_include_vat=shop.prices_include_vat)
            await _set_shipping_fee(session, order=order)
    total = money.sum_prices([totals.price_before_fees, order.payment_fee, order.shipping_fee])
    _refuse_negative(total, "The order's total would be below zero.", prices_include_vat=shop.prices_include_vat)
    order.total = total
    order.price_calculated_at = now


def _price_with_line_discounts(
    line: OrderLine, discounts: Sequence[OrderLine], *, prices_include_vat: bool, minor_unit: int
) -> money.Price:
    """Price a product line and its line discounts; the line's price after them."""
    price_product_line(line, prices_include_vat=prices_include_vat, minor_unit=minor_unit)
    base = line.price.with_vat if prices_include_vat else line.price.without_vat
    for discount in discounts:
        amount = _discount_amount(discount, base=base, minor_unit=minor_unit)
        discount.vat_percent = line.vat_percent
        discount.unit_amount = -amount
        _set_discount_price(
            discount,
            money.negate(
                money.price_of(
                    amount, vat_percent=line.vat_percent, includes_vat=prices_include_vat, minor_unit=minor_unit
                )
            ),
        )
    line.discount_total = money.sum_prices(d.price for d in discounts) if discounts else _zero(line.vat_percent)
    net = money.sum_prices([line.price, line.discount_total])
    _refuse_negative(
        net,
        f"The discounts on line {line.id} ({line.product_name}) exceed its price.",
        prices_include_vat=prices_include_vat,
    )
    return net


def _price_order_discounts(
    discounts: Sequence[OrderLine], net_prices: Sequence[money.Price], *, prices_include_vat: bool, minor_unit: int
) -> None:
    """Price each order discount over the lines' VAT rates pro rata; together they may not exceed the lines."""
    base = sum((p.with_vat if prices_include_vat else p.without_vat for p in net_prices), money.ZERO)
    given = Decimal(0)
    for discount in discounts:
        amount = _discount_amount(discount, base=base, minor_unit=minor_unit)
        given += amount
        if given > base:
            # split_by_vat_rate would cap it silently; the rule is to refuse.
            raise DomainError(
                ErrorCode.NEGATIVE_TOTAL, f"The order discount {discount.product_name!r} exceeds the order."
            )
        parts = money.split_by_vat_rate(
            amount, lines=net_prices, includes_vat=prices_include_vat, minor_unit=minor_unit
        )
        price = money.sum_prices(parts) if parts else _zero(Decimal(0))
        discount.vat_percent = price.vat_percent
        discount.unit_amount = -amount
        _set_discount_price(discount, price)


def _discount_amount(discount: OrderLine, *, base: Decimal, minor_unit: int) -> Decimal:
    """The positive amount a discount line takes off `base`: its fixed amount or its percent of the base."""
    if discount.discount_percent is not None:
        if not Decimal(0) <= discount.discount_percent <= Decimal(100):
            raise DomainError(ErrorCode.INVALID, f"A discount percent is 0 to 100, got {discount.discount_percent}.")
        return money.percent_of(base, discount.discount_percent, minor_unit=minor_unit)
    if discount.discount_amount is None or discount.discount_amount < 0:
        raise DomainError(ErrorCode.INVALID, f"Discount line {discount.id} needs a non-negative amount or a percent.")
    return money.round_money(discount.discount_amount, minor_unit=minor_unit)


def _set_discount_price(discount: OrderLine, price: money.Price) -> None:
    discount.quantity = Decimal(1)
    discount.unit_price = price
    discount.price = price
    discount.discount_total = price


def _refuse_orphans(line_discounts: Sequence[OrderLine], products: Sequence[OrderLine]) -> None:
    product_ids = {line.id for line in products}
    for discount in line_discounts:
        if discount.parent_line_id not in product_ids:
            raise DomainError(
                ErrorCode.INVALID, f"Discount line {discount.id} discounts a line the order does not have."
            )


def _refuse_negative(price: money.Price, message: str, *, prices_include_vat: bool) -> None:
    # Judged in the shop's convention: the other part may be a cent off after per-line rounding.
    amount = price.with_vat if prices_include_vat else price.without_vat
    if amount < 0:
        raise DomainError(ErrorCode.NEGATIVE_TOTAL, message)


def _measure(products: Sequence[OrderLine], attribute: str) -> Decimal:
    """Total weight or volume: the unit measure times the quantity, over the lines that have one."""
    total = sum(
        (getattr(line, attribute) * line.quantity for line in products if getattr(line, attribute) is not None),
        Decimal(0),
    )
    return total.quantize(Decimal(1).scaleb(-QUANTITY_PLACES))


def _zero(vat_percent: Decimal) -> money.Price:
    return money.Price(money.ZERO, money.ZERO, money.ZERO, vat_percent)


async def _set_shipping_fee(session: AsyncSession, *, order: Order) -> None:
    """The chosen shipping method's fee and the name of the fee rule that set it (none for a flat fee)."""
    if order.shipping_method_id is None:
        order.shipping_fee, order.shipping_fee_rule_name = money.ZERO_PRICE, None
        return
    fee = await shipping.fee_for(session, method_id=order.shipping_method_id, order=order)
    order.shipping_fee, order.shipping_fee_rule_name = fee.price, fee.rule_name


async def _payment_fee(session: AsyncSession, *, order: Order, prices_include_vat: bool) -> money.Price:
    """The payment method's fee in the order's currency, or zero without a method."""
    if order.payment_method_id is None:
        return money.ZERO_PRICE
    method = await session.get_one(PaymentMethod, order.payment_method_id)
    return money.price_of(
        money.convert(method.fee, rate=order.currency_rate),
        vat_percent=method.fee_vat_percent,
        includes_vat=prices_include_vat,
        minor_unit=order.currency_minor_unit,
    )
