"""The amount a return refunds by default (`return_refunds.share`): pure, over order lines in memory."""

from __future__ import annotations

from decimal import Decimal

from models.enums import OrderLineType
from models.money import Price
from models.orders import OrderLine
from resolvers.returns import return_refunds

D = Decimal


def product(line_id: int, quantity: str, with_vat: str) -> OrderLine:
    return OrderLine(
        id=line_id, type=OrderLineType.PRODUCT, quantity=D(quantity), price=Price(D(with_vat), D(0), D(0), D(25))
    )


def discount(line_id: int, with_vat: str, parent: int | None = None) -> OrderLine:
    return OrderLine(
        id=line_id,
        type=OrderLineType.DISCOUNT,
        parent_line_id=parent,
        quantity=D(1),
        price=Price(D(with_vat), D(0), D(0), D(25)),
    )


def share(lines: list[OrderLine], returned: dict[int, str], minor_unit: int = 2) -> Decimal:
    quantities = {line_id: D(quantity) for line_id, quantity in returned.items()}
    return return_refunds.share(order_lines=lines, returned=quantities, minor_unit=minor_unit)


def test_without_discounts_it_is_the_quantity_times_the_unit_price() -> None:
    lines = [product(1, "3", "59.85"), product(2, "2", "58.00")]

    assert share(lines, {1: "1"}) == D("19.95")
    assert share(lines, {1: "3", 2: "1"}) == D("88.85")


def test_each_line_is_rounded_then_summed() -> None:
    lines = [product(1, "3", "10.00"), product(2, "3", "10.00")]

    # 3.333… and 6.666…: rounded per line to 3.33 and 6.67.
    assert share(lines, {1: "1", 2: "2"}) == D("10.00")
    assert share(lines, {1: "1"}) == D("3.33")
    assert share(lines, {1: "1"}, minor_unit=0) == D("3")


def test_line_discounts_come_off_their_own_line() -> None:
    lines = [product(1, "3", "30.00"), discount(2, "-3.00", parent=1), product(3, "1", "70.00")]

    assert share(lines, {1: "1"}) == D("9.00")
    assert share(lines, {3: "1"}) == D("70.00")


def test_order_discounts_are_shared_pro_rata() -> None:
    # Lines net 27.00 and 73.00 (subtotal 100.00); a 10.00 order discount takes a tenth off each.
    lines = [product(1, "3", "30.00"), discount(2, "-3.00", parent=1), product(3, "1", "73.00"), discount(4, "-10.00")]

    assert share(lines, {1: "1"}) == D("8.10")
    assert share(lines, {1: "3", 3: "1"}) == D("90.00")


def test_a_free_order_refunds_nothing() -> None:
    lines = [product(1, "1", "10.00"), discount(2, "-10.00")]

    assert share(lines, {1: "1"}) == D("0.00")
