"""The downgrade rule: which changes turn an unfinished checkout back into a cart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.enums import OrderLineType
from models.orders import Order, OrderLine
from resolvers.storefront import checkout


def _order(**values: object) -> Order:
    base: dict[str, object] = {
        "customer_id": "ann",
        "customer_country": "Denmark",
        "customer_country_code": "DK",
        "customer_region": "Hovedstaden",
        "delivery_country": "Denmark",
        "delivery_country_code": "DK",
        "delivery_region": "Hovedstaden",
        "delivery_address": "Vesterbrogade 1",
        "payment_method_id": 1,
        "shipping_method_id": 1,
        "voucher_code": None,
        "customer_comment": None,
        "display_name": None,
        "customer_email": "ann@example.com",
        "currency_code": "EUR",
    }
    return Order(**{**base, **values})


def _lines(*quantities: tuple[int, str]) -> list[OrderLine]:
    return [OrderLine(id=line_id, type=OrderLineType.PRODUCT, quantity=Decimal(q)) for line_id, q in quantities]


BEFORE_LINES = ((1, "2"), (2, "1"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"customer_country": "Sweden"}, "customer_country"),
        ({"customer_country_code": "SE"}, "customer_country_code"),
        ({"delivery_country": "Sweden"}, "delivery_country"),
        ({"delivery_country_code": "SE"}, "delivery_country_code"),
        ({"payment_method_id": 2}, "payment_method_id"),
        ({"shipping_method_id": 2}, "shipping_method_id"),
        ({"voucher_code": "WINTER"}, "voucher_code"),
        ({"customer_id": "bob"}, "customer_id"),
        ({"customer_region": "Sjælland"}, "customer_region"),
        ({"delivery_region": "Sjælland"}, "delivery_region"),
    ],
)
def test_each_listed_field_downgrades(change: dict[str, object], reason: str) -> None:
    before = checkout.snapshot(_order(), _lines(*BEFORE_LINES))
    after = checkout.snapshot(_order(**change), _lines(*BEFORE_LINES))

    assert checkout.downgrade_reasons(before, after) == [reason]


@pytest.mark.parametrize(
    "after_lines",
    [
        pytest.param(((1, "2"), (2, "1"), (3, "1")), id="a line added"),
        pytest.param(((1, "2"),), id="a line removed"),
        pytest.param(((1, "3"), (2, "1")), id="a quantity changed"),
    ],
)
def test_line_changes_downgrade(after_lines: tuple[tuple[int, str], ...]) -> None:
    before = checkout.snapshot(_order(), _lines(*BEFORE_LINES))
    after = checkout.snapshot(_order(), _lines(*after_lines))

    assert checkout.downgrade_reasons(before, after) == ["lines"]


@pytest.mark.parametrize(
    "change",
    [
        {"customer_comment": "Leave it at the door."},
        {"display_name": "Winter order"},
        {"delivery_address": "Nørrebrogade 2"},
        {"customer_email": "ann@example.org"},
        {"currency_code": "DKK"},
    ],
)
def test_other_changes_do_not_downgrade(change: dict[str, object]) -> None:
    before = checkout.snapshot(_order(), _lines(*BEFORE_LINES))
    after = checkout.snapshot(_order(**change), _lines(*BEFORE_LINES))

    assert checkout.downgrade_reasons(before, after) == []


def test_the_same_quantity_written_differently_is_no_change() -> None:
    before = checkout.snapshot(_order(), _lines((1, "2"), (2, "1")))
    after = checkout.snapshot(_order(), _lines((2, "1.0000"), (1, "2.00")))

    assert checkout.downgrade_reasons(before, after) == []


def test_discount_lines_are_not_product_lines() -> None:
    before = checkout.snapshot(_order(), _lines(*BEFORE_LINES))
    discount = OrderLine(id=9, type=OrderLineType.DISCOUNT, quantity=Decimal(1))
    after = checkout.snapshot(_order(), [*_lines(*BEFORE_LINES), discount])

    assert checkout.downgrade_reasons(before, after) == []


def test_several_changes_are_all_named() -> None:
    before = checkout.snapshot(_order(), _lines(*BEFORE_LINES))
    after = checkout.snapshot(_order(voucher_code="X", delivery_region="Fyn"), _lines((1, "2")))

    assert checkout.downgrade_reasons(before, after) == ["lines", "delivery_region", "voucher_code"]
