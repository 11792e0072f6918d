"""Money math: exact values, rounding edges and properties over random lines."""

import decimal
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import money
from models.money import Price

D = Decimal


def test_round_money_rounds_half_up_at_the_minor_unit() -> None:
    assert str(money.round_money(D("0.005"), minor_unit=2)) == "0.01"
    assert str(money.round_money(D("0.004999"), minor_unit=2)) == "0.00"
    assert str(money.round_money(D("0.125"), minor_unit=2)) == "0.13"
    assert str(money.round_money(D("2.675"), minor_unit=2)) == "2.68"  # 2.67 in binary floats


def test_round_money_keeps_the_scale() -> None:
    assert str(money.round_money(D("1.5"), minor_unit=2)) == "1.50"
    assert str(money.round_money(D("7"), minor_unit=2)) == "7.00"


def test_round_money_rounds_negative_amounts_away_from_zero() -> None:
    assert str(money.round_money(D("-0.125"), minor_unit=2)) == "-0.13"
    assert str(money.round_money(D("-0.005"), minor_unit=2)) == "-0.01"


def test_round_money_never_returns_negative_zero() -> None:
    assert str(money.round_money(D("-0.004"), minor_unit=2)) == "0.00"


def test_round_money_to_whole_yen() -> None:
    assert str(money.round_money(D("1234.5"), minor_unit=0)) == "1235"
    assert str(money.round_money(D("1234.4999"), minor_unit=0)) == "1234"


def test_round_money_refuses_a_negative_minor_unit() -> None:
    with pytest.raises(ValueError, match="minor_unit"):
        money.round_money(D("1"), minor_unit=-1)


def test_price_of_an_amount_including_25_percent_vat() -> None:
    assert money.price_of(D("100"), vat_percent=D("25"), includes_vat=True, minor_unit=2) == Price(
        D("100.00"), D("80.00"), D("20.00"), D("25")
    )
    price = money.price_of(D("9.99"), vat_percent=D("25"), includes_vat=True, minor_unit=2)
    assert price == Price(D("9.99"), D("7.99"), D("2.00"), D("25"))
    assert [str(part) for part in (price.with_vat, price.without_vat, price.vat)] == ["9.99", "7.99", "2.00"]


def test_price_of_an_amount_excluding_25_percent_vat() -> None:
    assert money.price_of(D("100"), vat_percent=D("25"), includes_vat=False, minor_unit=2) == Price(
        D("125.00"), D("100.00"), D("25.00"), D("25")
    )
    assert money.price_of(D("9.99"), vat_percent=D("25"), includes_vat=False, minor_unit=2) == Price(
        D("12.49"), D("9.99"), D("2.50"), D("25")
    )


def test_price_of_an_amount_at_zero_vat() -> None:
    for includes_vat in (True, False):
        price = money.price_of(D("10"), vat_percent=D("0"), includes_vat=includes_vat, minor_unit=2)
        assert price == Price(D("10.00"), D("10.00"), D("0.00"), D("0"))
        assert str(price.vat) == "0.00"


def test_price_of_at_a_fractional_rate() -> None:
    assert money.price_of(D("10"), vat_percent=D("12.5"), includes_vat=False, minor_unit=2) == Price(
        D("11.25"), D("10.00"), D("1.25"), D("12.5")
    )


def test_price_of_in_yen() -> None:
    assert money.price_of(D("1000"), vat_percent=D("10"), includes_vat=True, minor_unit=0) == Price(
        D("1000"), D("909"), D("91"), D("10")
    )
    assert money.price_of(D("999"), vat_percent=D("8"), includes_vat=False, minor_unit=0) == Price(
        D("1079"), D("999"), D("80"), D("8")
    )


def test_price_of_refuses_a_negative_vat_percent() -> None:
    with pytest.raises(ValueError, match="VAT percent"):
        money.price_of(D("10"), vat_percent=D("-100"), includes_vat=True, minor_unit=2)


def test_price_of_ignores_the_callers_decimal_context() -> None:
    with decimal.localcontext(prec=3, rounding=decimal.ROUND_DOWN):
        price = money.price_of(D("123456.789"), vat_percent=D("25"), includes_vat=False, minor_unit=2)
    assert price == Price(D("154320.99"), D("123456.79"), D("30864.20"), D("25"))


def test_unit_price_is_price_of_one_unit() -> None:
    assert money.unit_price(D("33.333"), vat_percent=D("0"), includes_vat=False, minor_unit=2) == Price(
        D("33.33"), D("33.33"), D("0.00"), D("0")
    )


def test_line_price_rounds_the_line_not_the_unit() -> None:
    line = money.line_price(D("33.333"), D("3"), vat_percent=D("0"), includes_vat=False, minor_unit=2)
    assert line == Price(D("100.00"), D("100.00"), D("0.00"), D("0"))


def test_line_price_with_vat_on_a_fractional_quantity() -> None:
    line = money.line_price(D("12.50"), D("1.5"), vat_percent=D("25"), includes_vat=True, minor_unit=2)
    assert line == Price(D("18.75"), D("15.00"), D("3.75"), D("25"))


def test_convert_is_exact_and_unrounded() -> None:
    assert str(money.convert(D("10.00"), rate=D("1.23456789"))) == "12.3456789000"


def test_converted_unit_is_rounded_per_line() -> None:
    unit = money.convert(D("9.99"), rate=D("11.5"))
    line = money.line_price(unit, D("3"), vat_percent=D("0"), includes_vat=False, minor_unit=2)
    assert line.with_vat == D("344.66")


@pytest.mark.parametrize("rate", [D("0"), D("-1.5")])
def test_convert_refuses_a_rate_that_is_not_positive(rate: Decimal) -> None:
    with pytest.raises(ValueError, match="rate"):
        money.convert(D("10"), rate=rate)


def test_sum_prices_of_mixed_rates_gives_the_effective_rate() -> None:
    lines = [
        money.price_of(D("100"), vat_percent=D("25"), includes_vat=False, minor_unit=2),
        money.price_of(D("100"), vat_percent=D("12"), includes_vat=False, minor_unit=2),
    ]
    total = money.sum_prices(lines)
    assert total == Price(D("237.00"), D("200.00"), D("37.00"), D("18.50"))
    assert str(total.vat_percent) == "18.50"


def test_sum_prices_rounds_the_effective_rate_half_up() -> None:
    lines = [Price(D("11.00"), D("10.00"), D("1.00"), D("10")), Price(D("2.00"), D("2.00"), D("0.00"), D("0"))]
    assert money.sum_prices(lines).vat_percent == D("8.33")


def test_sum_prices_of_one_rate_keeps_that_rate() -> None:
    line = money.price_of(D("9.99"), vat_percent=D("25"), includes_vat=True, minor_unit=2)
    discount = money.negate(money.price_of(D("1.00"), vat_percent=D("25"), includes_vat=True, minor_unit=2))
    zero_at_other_rate = Price(D("0.00"), D("0.00"), D("0.00"), D("12"))
    total = money.sum_prices([line, line, discount, zero_at_other_rate])
    assert total == Price(D("18.98"), D("15.18"), D("3.80"), D("25"))


def test_sum_prices_of_nothing_is_zero() -> None:
    assert money.sum_prices([]) == money.ZERO_PRICE
    assert money.sum_prices(iter([])).vat_percent == D("0")


def test_negate_keeps_the_percent_and_never_gives_negative_zero() -> None:
    price = Price(D("12.50"), D("10.00"), D("2.50"), D("25"))
    assert money.negate(price) == Price(D("-12.50"), D("-10.00"), D("-2.50"), D("25"))
    assert str(money.negate(Price(D("0.00"), D("0.00"), D("0.00"), D("0"))).with_vat) == "0.00"


def _lines_including_vat(*amounts_by_rate: tuple[str, str]) -> list[Price]:
    return [
        money.price_of(D(amount), vat_percent=D(rate), includes_vat=True, minor_unit=2)
        for rate, amount in amounts_by_rate
    ]


def test_split_by_vat_rate_of_ten_over_three_equal_groups() -> None:
    lines = _lines_including_vat(("6", "10.00"), ("25", "10.00"), ("12", "10.00"))
    parts = money.split_by_vat_rate(D("10.00"), lines=lines, includes_vat=True, minor_unit=2)
    assert parts == [
        Price(D("-3.34"), D("-2.67"), D("-0.67"), D("25")),
        Price(D("-3.33"), D("-2.97"), D("-0.36"), D("12")),
        Price(D("-3.33"), D("-3.14"), D("-0.19"), D("6")),
    ]
    assert sum(part.with_vat for part in parts) == D("-10.00")


def test_split_by_vat_rate_gives_missing_units_to_the_largest_remainders() -> None:
    lines = _lines_including_vat(("25", "30.00"), ("12", "30.00"), ("6", "40.00"))
    parts = money.split_by_vat_rate(D("0.05"), lines=lines, includes_vat=True, minor_unit=2)
    # Shares 0.015, 0.015 and 0.02: the one missing cent goes to the tied remainder of the highest rate.
    assert [(part.vat_percent, part.with_vat) for part in parts] == [
        (D("25"), D("-0.02")),
        (D("12"), D("-0.01")),
        (D("6"), D("-0.02")),
    ]


def test_split_by_vat_rate_never_gives_a_rate_more_than_its_lines() -> None:
    lines = _lines_including_vat(("25", "0.01"), ("12", "0.01"), ("6", "0.01"), ("5", "0.01"), ("0", "0.01"))
    parts = money.split_by_vat_rate(D("0.02"), lines=lines, includes_vat=True, minor_unit=2)
    assert [part.with_vat for part in parts] == [D("-0.01"), D("-0.01")]


def test_split_by_vat_rate_groups_lines_of_one_rate() -> None:
    lines = _lines_including_vat(("25", "20.00"), ("0", "40.00"), ("25", "20.00"))
    parts = money.split_by_vat_rate(D("8"), lines=lines, includes_vat=True, minor_unit=2)
    assert parts == [
        Price(D("-4.00"), D("-3.20"), D("-0.80"), D("25")),
        Price(D("-4.00"), D("-4.00"), D("0.00"), D("0")),
    ]


def test_split_by_vat_rate_of_a_discount_without_vat() -> None:
    lines = [
        money.price_of(D("100"), vat_percent=D("25"), includes_vat=False, minor_unit=2),
        money.price_of(D("100"), vat_percent=D("0"), includes_vat=False, minor_unit=2),
    ]
    parts = money.split_by_vat_rate(D("50"), lines=lines, includes_vat=False, minor_unit=2)
    assert parts == [
        Price(D("-31.25"), D("-25.00"), D("-6.25"), D("25")),
        Price(D("-25.00"), D("-25.00"), D("0.00"), D("0")),
    ]


def test_split_by_vat_rate_caps_the_discount_at_the_total() -> None:
    lines = _lines_including_vat(("25", "30.00"), ("12", "20.00"))
    parts = money.split_by_vat_rate(D("80"), lines=lines, includes_vat=True, minor_unit=2)
    assert [part.with_vat for part in parts] == [D("-30.00"), D("-20.00")]


def test_split_by_vat_rate_rounds_the_discount() -> None:
    lines = _lines_including_vat(("25", "30.00"), ("12", "20.00"))
    parts = money.split_by_vat_rate(D("10.005"), lines=lines, includes_vat=True, minor_unit=2)
    assert sum(part.with_vat for part in parts) == D("-10.01")


def test_split_by_vat_rate_of_nothing_is_empty() -> None:
    lines = _lines_including_vat(("25", "30.00"))
    assert money.split_by_vat_rate(D("0"), lines=lines, includes_vat=True, minor_unit=2) == []
    assert money.split_by_vat_rate(D("5"), lines=[], includes_vat=True, minor_unit=2) == []


def test_split_by_vat_rate_refuses_a_negative_discount() -> None:
    with pytest.raises(ValueError, match="discount"):
        money.split_by_vat_rate(D("-1"), lines=_lines_including_vat(("25", "30.00")), includes_vat=True, minor_unit=2)


def test_percent_of() -> None:
    assert str(money.percent_of(D("19.99"), D("15"), minor_unit=2)) == "3.00"
    assert str(money.percent_of(D("-19.99"), D("15"), minor_unit=2)) == "-3.00"
    assert str(money.percent_of(D("1999"), D("12.5"), minor_unit=0)) == "250"


@pytest.mark.parametrize(("text", "expected"), [("12", "12"), ("-1.50", "-1.50"), ("0.0001", "0.0001"), ("-0", "0")])
def test_parse_decimal_accepts_plain_numbers(text: str, expected: str) -> None:
    assert str(money.parse_decimal(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "", "NaN", "nan", "Infinity", "-inf", "1e999", "1e99999999999999999999", "1e-31", " 1", "1_000", "١٢"],
)
def test_parse_decimal_rejects_malformed_and_absurd_input(text: str) -> None:
    with pytest.raises(ValueError, match=r"decimal number|exponent|out of range"):
        money.parse_decimal(text)


def test_parse_decimal_rejects_more_than_28_significant_digits() -> None:
    assert money.parse_decimal("9" * 28) == D("9" * 28)
    with pytest.raises(ValueError, match="significant digits"):
        money.parse_decimal("9" * 29)


amounts = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
positive_amounts = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
vat_percents = st.sampled_from([D(rate) for rate in ("0", "5", "6", "7.7", "8", "10", "12", "12.5", "21", "25", "27")])
minor_units = st.sampled_from([0, 2, 3])


def _is_consistent(price: Price, *, minor_unit: int) -> bool:
    parts = (price.with_vat, price.without_vat, price.vat)
    scaled = all(part.as_tuple().exponent == -minor_unit for part in parts)
    return scaled and price.with_vat == price.without_vat + price.vat


@given(
    lines=st.lists(st.tuples(amounts, quantities, vat_percents), max_size=8),
    includes_vat=st.booleans(),
    minor_unit=minor_units,
)
def test_every_line_and_total_adds_up(
    lines: list[tuple[Decimal, Decimal, Decimal]], includes_vat: bool, minor_unit: int
) -> None:
    prices = [
        money.line_price(unit, quantity, vat_percent=rate, includes_vat=includes_vat, minor_unit=minor_unit)
        for unit, quantity, rate in lines
    ]
    assert all(_is_consistent(price, minor_unit=minor_unit) for price in prices)
    total = money.sum_prices(prices)
    assert total.with_vat == total.without_vat + total.vat
    assert total.with_vat == sum(price.with_vat for price in prices)


@given(
    discount=positive_amounts,
    lines=st.lists(st.tuples(positive_amounts, vat_percents), max_size=8),
    includes_vat=st.booleans(),
    minor_unit=minor_units,
)
def test_split_parts_sum_exactly_to_the_capped_discount(
    discount: Decimal, lines: list[tuple[Decimal, Decimal]], includes_vat: bool, minor_unit: int
) -> None:
    prices = [
        money.price_of(amount, vat_percent=rate, includes_vat=includes_vat, minor_unit=minor_unit)
        for amount, rate in lines
    ]
    weight = sum((price.with_vat if includes_vat else price.without_vat for price in prices), D(0))
    parts = money.split_by_vat_rate(discount, lines=prices, includes_vat=includes_vat, minor_unit=minor_unit)
    split = sum((part.with_vat if includes_vat else part.without_vat for part in parts), D(0))
    assert split == -min(money.round_money(discount, minor_unit=minor_unit), weight)
    assert all(part.with_vat < 0 and _is_consistent(part, minor_unit=minor_unit) for part in parts)
    rates = [part.vat_percent for part in parts]
    assert rates == sorted(set(rates), reverse=True)


@given(
    discount=positive_amounts,
    lines=st.lists(
        st.tuples(positive_amounts, st.sampled_from([D("0"), D("5"), D("6"), D("8"), D("12"), D("21"), D("25")])),
        max_size=12,
    ),
    minor_unit=minor_units,
)
def test_split_part_never_exceeds_its_rate(
    discount: Decimal, lines: list[tuple[Decimal, Decimal]], minor_unit: int
) -> None:
    prices = [
        money.price_of(amount, vat_percent=rate, includes_vat=True, minor_unit=minor_unit) for amount, rate in lines
    ]
    weights: defaultdict[Decimal, Decimal] = defaultdict(Decimal)
    for price in prices:
        weights[price.vat_percent] += price.with_vat
    parts = money.split_by_vat_rate(discount, lines=prices, includes_vat=True, minor_unit=minor_unit)
    assert all(-part.with_vat <= weights[part.vat_percent] for part in parts)
