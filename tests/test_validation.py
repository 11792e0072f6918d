"""Shared input checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.orders import Order
from resolvers.core import validation
from resolvers.core.errors import DomainError, DomainErrors, ErrorCode


def test_text_is_stripped_and_blank_is_none() -> None:
    assert validation.text_fits(Order.customer_city, "  Aarhus ", field=["city"]) == "Aarhus"
    assert validation.text_fits(Order.customer_city, "   ", field=["city"]) is None


def test_over_long_text_is_invalid_with_its_path() -> None:
    with pytest.raises(DomainError) as raised:
        validation.text_fits(Order.customer_zip, "9" * 51, field=["details", "customer", "zip"])

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["details", "customer", "zip"])


def test_every_over_long_field_is_reported() -> None:
    with pytest.raises(DomainErrors) as raised:
        validation.texts_fit(
            Order,
            {"zip": "1" * 51, "city": "ok", "country_code": "D" * 51},
            column_prefix="delivery_",
            field=["delivery"],
        )

    assert [error.field for error in raised.value.errors] == [["delivery", "zip"], ["delivery", "countryCode"]]


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-1), Decimal("0.00001")])
def test_quantities_must_be_positive_and_fit(quantity: Decimal) -> None:
    with pytest.raises(DomainError):
        validation.positive_quantity(quantity, field=["quantity"])
