"""Exact money: the one place where amounts are stored, priced and rounded.

Amounts are `Decimal` end to end. PostgreSQL keeps them as NUMERIC; SQLite has
no exact NUMERIC, so there they are stored as integers scaled by 10**scale,
which keeps SQL sums exact on both stores.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

MONEY_SCALE = 4
QUANTITY_SCALE = 4
RATE_SCALE = 8


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal column with a fixed scale, exact on every store."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE) -> None:
        super().__init__()
        self.scale = scale

    def __repr__(self) -> str:
        return f"ExactDecimal(scale={self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(precision=20 + self.scale, scale=self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = _to_scale(Decimal(value), self.scale)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


def _to_scale(value: Decimal, scale: int) -> Decimal:
    """Fit a value to a column's scale, refusing to lose digits silently."""
    quantum = Decimal(1).scaleb(-scale)
    try:
        fitted = value.quantize(quantum, context=decimal.Context(traps=[decimal.Inexact, decimal.InvalidOperation]))
    except (decimal.Inexact, decimal.InvalidOperation) as error:
        raise ValueError(f"{value} does not fit {scale} decimal places") from error
    return fitted


@dataclasses.dataclass(frozen=True, slots=True)
class Price:
    """A price in DynamicWeb's four parts."""

    with_vat: Decimal
    without_vat: Decimal
    vat: Decimal
    vat_percent: Decimal

    def __composite_values__(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        return (self.with_vat, self.without_vat, self.vat, self.vat_percent)


ZERO = Decimal(0)
ZERO_PRICE = Price(ZERO, ZERO, ZERO, ZERO)


# Arithmetic runs in a local copy of this context: exact up to 50 digits whatever
# context the calling thread has set, and no shared flags are touched.
_CONTEXT = decimal.Context(
    prec=50,
    rounding=decimal.ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_HUNDRED = Decimal(100)
_PERCENT_PLACES = 2
_MAX_PARSED_EXPONENT = 30
_MAX_PARSED_DIGITS = 28
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@functools.cache
def _unit(minor_unit: int) -> Decimal:
    """The smallest amount of a currency with `minor_unit` decimals: 0.01 for 2."""
    return Decimal(1).scaleb(-minor_unit)


def round_money(amount: Decimal, *, minor_unit: int) -> Decimal:
    """Round half up to `minor_unit` decimal places (2 for EUR, 0 for JPY)."""
    if minor_unit < 0:
        raise ValueError(f"minor_unit must not be negative, got {minor_unit}")
    # The context passed in, not a local copy of it: a report rounds thousands of amounts, and entering a
    # local context costs more than the rounding. Only _CONTEXT's own flags are set, which nothing reads.
    rounded = amount.quantize(_unit(minor_unit), rounding=decimal.ROUND_HALF_UP, context=_CONTEXT)
    # -0.004 rounds to -0.00; serve it as 0.00.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def shown(amount: Decimal, *, currency_code: str, minor_unit: int) -> str:
    """An amount as messages and events show it: at the currency's minor unit, then its code ("1.00 EUR")."""
    return f"{round_money(amount, minor_unit=minor_unit)} {currency_code}"


def price_of(amount: Decimal, *, vat_percent: Decimal, includes_vat: bool, minor_unit: int) -> Price:
    """Split a line total or fee into its four parts, each rounded to the minor unit."""
    if vat_percent < 0:
        raise ValueError(f"a VAT percent must not be negative, got {vat_percent}")
    with decimal.localcontext(_CONTEXT):
        if includes_vat:
            with_vat = round_money(amount, minor_unit=minor_unit)
            without_vat = round_money(with_vat * _HUNDRED / (_HUNDRED + vat_percent), minor_unit=minor_unit)
            return Price(with_vat, without_vat, with_vat - without_vat, vat_percent)
        without_vat = round_money(amount, minor_unit=minor_unit)
        vat = round_money(without_vat * vat_percent / _HUNDRED, minor_unit=minor_unit)
        return Price(without_vat + vat, without_vat, vat, vat_percent)


def unit_price(amount: Decimal, *, vat_percent: Decimal, includes_vat: bool, minor_unit: int) -> Price:
    """Price one unit of a product."""
    return price_of(amount, vat_percent=vat_percent, includes_vat=includes_vat, minor_unit=minor_unit)


def line_price(
    unit_amount: Decimal, quantity: Decimal, *, vat_percent: Decimal, includes_vat: bool, minor_unit: int
) -> Price:
    """Price a line of `quantity` units, rounded once per line."""
    with decimal.localcontext(_CONTEXT):
        amount = unit_amount * quantity
    return price_of(amount, vat_percent=vat_percent, includes_vat=includes_vat, minor_unit=minor_unit)


def convert(amount: Decimal, *, rate: Decimal) -> Decimal:
    """Convert an amount from the shop's default currency, unrounded (lines round later)."""
    if rate <= 0:
        raise ValueError(f"a currency rate must be positive, got {rate}")
    with decimal.localcontext(_CONTEXT):
        return amount * rate


def sum_prices(prices: Iterable[Price]) -> Price:
    """Sum prices exactly; the percent is their common rate, else the effective one."""
    lines = list(prices)
    with decimal.localcontext(_CONTEXT):
        with_vat = sum((line.with_vat for line in lines), ZERO)
        without_vat = sum((line.without_vat for line in lines), ZERO)
        vat = sum((line.vat for line in lines), ZERO)
        priced = [line for line in lines if not _is_zero(line)] or lines
        rates = {line.vat_percent for line in priced}
        if len(rates) == 1:
            vat_percent = rates.pop()
        elif without_vat.is_zero():
            vat_percent = ZERO
        else:
            vat_percent = round_money(vat / without_vat * _HUNDRED, minor_unit=_PERCENT_PLACES)
    return Price(with_vat, without_vat, vat, vat_percent)


def negate(price: Price) -> Price:
    """Negate the amounts of a price, keeping its VAT percent."""
    return Price(_negated(price.with_vat), _negated(price.without_vat), _negated(price.vat), price.vat_percent)


def split_by_vat_rate(discount: Decimal, *, lines: Sequence[Price], includes_vat: bool, minor_unit: int) -> list[Price]:
    """Split an order discount over the lines' VAT rates pro rata, as negative prices.

    The discount is given with VAT if `includes_vat`, else without, and is capped at
    the lines' total so it never takes the order below zero. The parts sum exactly
    to the rounded, capped discount; one price per VAT rate that gets a non-zero
    part, highest rate first.
    """
    if discount < 0:
        raise ValueError(f"a discount must not be negative, got {discount}")
    weights: dict[Decimal, Decimal] = {}
    with decimal.localcontext(_CONTEXT):
        for line in lines:
            weight = line.with_vat if includes_vat else line.without_vat
            weights[line.vat_percent] = weights.get(line.vat_percent, ZERO) + weight
        total_weight = sum(weights.values(), ZERO)
        target = min(round_money(discount, minor_unit=minor_unit), round_money(total_weight, minor_unit=minor_unit))
        if target <= 0:
            return []
        rates = sorted(weights, reverse=True)
        # Largest remainder: every part is its exact share rounded down, then the minor units
        # still missing go one each to the largest remainders (ties to the highest rate), so no
        # rate gets more than its own lines' total.
        unit = Decimal(1).scaleb(-minor_unit)
        shares = {rate: target * weights[rate] / total_weight for rate in rates}
        parts = {rate: shares[rate].quantize(unit, rounding=decimal.ROUND_DOWN) for rate in rates}
        missing_units = int((target - sum(parts.values(), ZERO)) / unit)
        by_remainder = sorted(rates, key=lambda rate: shares[rate] - parts[rate], reverse=True)
        for rate in by_remainder[:missing_units]:
            parts[rate] += unit
    return [
        negate(price_of(parts[rate], vat_percent=rate, includes_vat=includes_vat, minor_unit=minor_unit))
        for rate in rates
        if not parts[rate].is_zero()
    ]


def percent_of(amount: Decimal, percent: Decimal, *, minor_unit: int) -> Decimal:
    """Take `percent` of an amount, rounded to the minor unit."""
    with decimal.localcontext(_CONTEXT):
        return round_money(amount * percent / _HUNDRED, minor_unit=minor_unit)


def plain_quantity(quantity: Decimal) -> Decimal:
    """A quantity as messages and mails show it: 2.0000 as 2, 1.5000 as 1.5 (normalize alone writes 10 as 1E+1)."""
    return quantity.quantize(Decimal(1)) if quantity == quantity.to_integral_value() else quantity.normalize()


def parse_decimal(text: str) -> Decimal:
    """Parse a user-supplied decimal strictly: ASCII digits, no NaN, Infinity or absurd sizes."""
    if not _DECIMAL_TEXT.fullmatch(text):
        raise ValueError(f"{text!r} is not a decimal number")
    try:
        with decimal.localcontext(_CONTEXT):
            value = Decimal(text)
    except decimal.InvalidOperation as error:  # an exponent beyond what Decimal holds
        raise ValueError(f"{text!r} is out of range") from error
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or abs(exponent) > _MAX_PARSED_EXPONENT:
        raise ValueError(f"{text!r} has an exponent beyond {_MAX_PARSED_EXPONENT}")
    if len(digits) > _MAX_PARSED_DIGITS:
        raise ValueError(f"{text!r} has more than {_MAX_PARSED_DIGITS} significant digits")
    return value.copy_abs() if value.is_zero() else value


def _is_zero(price: Price) -> bool:
    return price.with_vat.is_zero() and price.without_vat.is_zero() and price.vat.is_zero()


def _negated(amount: Decimal) -> Decimal:
    # 0 - 0.00 is 0.00, where the sign of -0.00 would depend on the context's rounding.
    with decimal.localcontext(_CONTEXT):
        return ZERO - amount
