"""Pricing an order from its lines: exact values for lines, discounts, fees and totals."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import OrderKind, OrderLineType
from models.money import Price
from models.orders import Order, OrderLine
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.storefront import pricing
from tests import factories

D = Decimal


def product_line(
    line_id: int,
    unit_amount: str,
    quantity: str,
    vat: str = "25",
    *,
    weight: str | None = None,
    overridden: bool = False,
) -> OrderLine:
    return OrderLine(
        id=line_id,
        type=OrderLineType.PRODUCT,
        product_name=f"product {line_id}",
        unit_amount=D(unit_amount),
        quantity=D(quantity),
        vat_percent=D(vat),
        is_unit_price_overridden=overridden,
        weight=D(weight) if weight is not None else None,
        volume=None,
    )


def discount_line(
    line_id: int, *, parent: int | None = None, amount: str | None = None, percent: str | None = None
) -> OrderLine:
    return OrderLine(
        id=line_id,
        type=OrderLineType.DISCOUNT,
        parent_line_id=parent,
        product_name=f"discount {line_id}",
        quantity=D(1),
        discount_amount=D(amount) if amount is not None else None,
        discount_percent=D(percent) if percent is not None else None,
    )


def price(with_vat: str, without_vat: str, vat: str, percent: str) -> Price:
    return Price(D(with_vat), D(without_vat), D(vat), D(percent))


def test_catalogue_price_is_converted_at_the_kept_rate_and_rounded_per_unit() -> None:
    assert pricing.unit_amount_from_catalogue(D("19.95"), currency_rate=D("7.46"), minor_unit=2) == D("148.83")
    assert pricing.unit_amount_from_catalogue(D("19.95"), currency_rate=D("1"), minor_unit=2) == D("19.95")
    assert pricing.unit_amount_from_catalogue(D("19.95"), currency_rate=D("1.085"), minor_unit=2) == D("21.65")


def test_a_product_line_including_vat() -> None:
    line = product_line(1, "19.95", "3", weight="0.2")

    totals = pricing.price_lines([line], prices_include_vat=True, minor_unit=2)

    assert line.unit_price == price("19.95", "15.96", "3.99", "25")
    assert line.price == price("59.85", "47.88", "11.97", "25")
    assert line.discount_total == price("0", "0", "0", "25")
    assert totals.subtotal == price("59.85", "47.88", "11.97", "25")
    assert totals.price_before_fees == totals.subtotal
    assert totals.weight == D("0.6000")


def test_a_danish_line_is_priced_from_the_converted_unit() -> None:
    line = product_line(1, "148.83", "2")

    pricing.price_lines([line], prices_include_vat=True, minor_unit=2)

    assert line.price == price("297.66", "238.13", "59.53", "25")


def test_a_shop_without_vat_in_its_prices_adds_it() -> None:
    line = product_line(1, "10.00", "3")

    pricing.price_lines([line], prices_include_vat=False, minor_unit=2)

    assert line.unit_price == price("12.50", "10.00", "2.50", "25")
    assert line.price == price("37.50", "30.00", "7.50", "25")


def test_an_overridden_unit_price_is_without_vat_even_where_prices_include_it() -> None:
    line = product_line(1, "10.00", "3", overridden=True)

    pricing.price_lines([line], prices_include_vat=True, minor_unit=2)

    assert line.price == price("37.50", "30.00", "7.50", "25")


def test_a_line_discount_in_percent_reduces_the_line_and_the_subtotal() -> None:
    line = product_line(1, "19.95", "3")
    discount = discount_line(2, parent=1, percent="10")

    totals = pricing.price_lines([line, discount], prices_include_vat=True, minor_unit=2)

    # 10 % of 59.85 is 5.985, rounded half up.
    assert discount.price == price("-5.99", "-4.79", "-1.20", "25")
    assert line.discount_total == price("-5.99", "-4.79", "-1.20", "25")
    assert totals.subtotal == price("53.86", "43.09", "10.77", "25")
    assert totals.discount_total == price("-5.99", "-4.79", "-1.20", "25")
    assert totals.price_before_fees == totals.subtotal


def test_an_order_discount_splits_its_vat_over_the_rates_pro_rata() -> None:
    shirt = product_line(1, "100.00", "1", "25")
    book = product_line(2, "29.00", "1", "0")
    discount = discount_line(3, amount="10.00")

    totals = pricing.price_lines([shirt, book, discount], prices_include_vat=True, minor_unit=2)

    # 7.75 at 25 % (-6.20 - 1.55) and 2.25 at 0 %.
    assert discount.price == price("-10.00", "-8.45", "-1.55", "18.34")
    assert totals.subtotal == price("129.00", "109.00", "20.00", "18.35")
    assert totals.discount_total == discount.price
    assert totals.price_before_fees == price("119.00", "100.55", "18.45", "18.35")


def test_line_and_order_discounts_add_up_in_the_discount_total() -> None:
    shirt = product_line(1, "100.00", "1")
    line_discount = discount_line(2, parent=1, amount="20")
    order_discount = discount_line(3, percent="50")

    totals = pricing.price_lines([shirt, line_discount, order_discount], prices_include_vat=True, minor_unit=2)

    assert totals.subtotal == price("80.00", "64.00", "16.00", "25")
    assert order_discount.price == price("-40.00", "-32.00", "-8.00", "25")
    assert totals.discount_total == price("-60.00", "-48.00", "-12.00", "25")
    assert totals.price_before_fees == price("40.00", "32.00", "8.00", "25")


def test_each_line_is_rounded_before_summing() -> None:
    lines = [product_line(1, "0.01", "1"), product_line(2, "0.01", "1"), product_line(3, "0.01", "1")]

    totals = pricing.price_lines(lines, prices_include_vat=True, minor_unit=2)

    # Each 0.01 line is 0.01 without VAT and 0.00 VAT; the sum keeps that.
    assert totals.subtotal == price("0.03", "0.03", "0.00", "25")


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        pytest.param(
            [product_line(1, "19.95", "1"), discount_line(2, parent=1, amount="20.00")],
            ErrorCode.NEGATIVE_TOTAL,
            id="a line discount beyond its line",
        ),
        pytest.param(
            [product_line(1, "50.00", "1"), discount_line(2, amount="30"), discount_line(3, amount="30")],
            ErrorCode.NEGATIVE_TOTAL,
            id="order discounts beyond the order",
        ),
        pytest.param(
            [product_line(1, "10", "1"), discount_line(2, parent=1, percent="101")],
            ErrorCode.INVALID,
            id="a discount percent beyond 100",
        ),
    ],
)
def test_discounts_that_cannot_be_priced_are_refused(lines: list[OrderLine], code: ErrorCode) -> None:
    with pytest.raises(DomainError) as raised:
        pricing.price_lines(lines, prices_include_vat=True, minor_unit=2)

    assert raised.value.code is code


def test_a_discount_of_the_whole_order_leaves_zero() -> None:
    lines = [product_line(1, "9.99", "1"), product_line(2, "9.99", "1"), discount_line(3, amount="19.98")]

    totals = pricing.price_lines(lines, prices_include_vat=True, minor_unit=2)

    assert totals.price_before_fees.with_vat == D("0.00")


def test_weight_and_volume_sum_unit_measures_times_quantities() -> None:
    lines = [
        product_line(1, "1", "3", weight="0.2"),
        product_line(2, "1", "1.5", weight="0.8"),
        product_line(3, "1", "1"),
    ]

    totals = pricing.price_lines(lines, prices_include_vat=True, minor_unit=2)

    assert totals.weight == D("1.8000")
    assert totals.volume == D("0.0000")


async def _cart(session: AsyncSession, now: datetime.datetime, **kwargs: Any) -> Order:
    """An empty cart of the demo shop (`factories.create_order`'s arguments), priced an hour before `now`."""
    created_at = now - datetime.timedelta(hours=1)
    return await factories.create_order(
        session, now=created_at, kind=OrderKind.CART, state=None, lines=(), is_complete=False, **kwargs
    )


async def test_recalculate_adds_the_payment_and_shipping_fees(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await _cart(seeded, now, payment_method="Invoice", shipping_method="Flat rate")

    await pricing.recalculate(
        seeded, order=order, lines=[product_line(1, "19.95", "2")], recalculate_fees=True, now=now
    )

    assert order.subtotal == price("39.90", "31.92", "7.98", "25")
    assert order.payment_fee == price("2.50", "2.00", "0.50", "25")
    assert order.shipping_fee == price("4.95", "3.96", "0.99", "25")
    assert order.total == price("47.35", "37.88", "9.47", "25")
    assert order.price_calculated_at == now


async def test_recalculate_converts_fees_and_follows_the_shipping_rules(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await _cart(seeded, now, currency="DKK", payment_method="Invoice", shipping_method="Parcel")
    order.delivery_country_code = "DK"

    # 148.83 DKK is about 19.95 EUR: the Danish rule under 100 EUR, 4.95 EUR = 36.93 DKK.
    await pricing.recalculate(
        seeded, order=order, lines=[product_line(1, "148.83", "1")], recalculate_fees=True, now=now
    )
    assert order.payment_fee == price("18.65", "14.92", "3.73", "25")
    assert order.shipping_fee == price("36.93", "29.54", "7.39", "25")
    assert order.total == price("204.41", "163.52", "40.89", "25")

    # 1041.81 DKK is over 100 EUR: free in Denmark.
    await pricing.recalculate(
        seeded, order=order, lines=[product_line(1, "148.83", "7")], recalculate_fees=True, now=now
    )
    assert order.shipping_fee == price("0.00", "0.00", "0.00", "25")


async def test_recalculate_keeps_the_fees_when_told_to(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await _cart(seeded, now, payment_method="Invoice")
    order.payment_fee = price("1.00", "0.80", "0.20", "25")

    await pricing.recalculate(
        seeded, order=order, lines=[product_line(1, "10.00", "1")], recalculate_fees=False, now=now
    )

    assert order.payment_fee == price("1.00", "0.80", "0.20", "25")
    assert order.total == price("11.00", "8.80", "2.20", "25")


async def test_recalculate_refuses_a_total_below_zero(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await _cart(seeded, now)
    order.payment_fee = price("-20.00", "-16.00", "-4.00", "25")

    with pytest.raises(DomainError) as raised:
        await pricing.recalculate(
            seeded, order=order, lines=[product_line(1, "10.00", "1")], recalculate_fees=False, now=now
        )
    assert raised.value.code is ErrorCode.NEGATIVE_TOTAL
