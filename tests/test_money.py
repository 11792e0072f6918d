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


@pytest.mark.parametrize(
    ("amount", "vat_percent", "includes_vat", "minor_unit", "expected"),
    [
        pytest.param("100", "25", True, 2, ("100.00", "80.00", "20.00"), id="25 % included"),
        pytest.param("9.99", "25", True, 2, ("9.99", "7.99", "2.00"), id="25 % included, rounded"),
        pytest.param("100", "25", False, 2, ("125.00", "100.00", "25.00"), id="25 % excluded"),
        pytest.param("9.99", "25", False, 2, ("12.49", "9.99", "2.50"), id="25 % excluded, rounded"),
        pytest.param("10", "0", True, 2, ("10.00", "10.00", "0.00"), id="zero VAT included"),
        pytest.param("10", "0", False, 2, ("10.00", "10.00", "0.00"), id="zero VAT excluded"),
        pytest.param("10", "12.5", False, 2, ("11.25", "10.00", "1.25"), id="a fractional rate"),
        pytest.param("1000", "10", True, 0, ("1000", "909", "91"), id="yen included"),
        pytest.param("999", "8", False, 0, ("1079", "999", "80"), id="yen excluded"),
    ],
)
def test_price_of(
    amount: str, vat_percent: str, includes_vat: bool, minor_unit: int, expected: tuple[str, str, str]
) -> None:
    price = money.price_of(D(amount), vat_percent=D(vat_percent), includes_vat=includes_vat, minor_unit=minor_unit)

    assert price == Price(*(D(part) for part in expected), D(vat_percent))
    # Exact to the minor unit: no more and no fewer decimal places.
    assert [str(part) for part in (price.with_vat, price.without_vat, price.vat)] == list(expected)


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


@pytest.mark.parametrize(
    ("amounts_by_rate", "includes_vat", "discount", "expected"),
    [
        pytest.param(
            [("6", "10.00"), ("25", "10.00"), ("12", "10.00")],
            True,
            "10.00",
            [("-3.34", "-2.67", "-0.67", "25"), ("-3.33", "-2.97", "-0.36", "12"), ("-3.33", "-3.14", "-0.19", "6")],
            id="ten over three equal groups",
        ),
        pytest.param(
            [("25", "20.00"), ("0", "40.00"), ("25", "20.00")],
            True,
            "8",
            [("-4.00", "-3.20", "-0.80", "25"), ("-4.00", "-4.00", "0.00", "0")],
            id="lines of one rate grouped",
        ),
        pytest.param(
            [("25", "100"), ("0", "100")],
            False,
            "50",
            [("-31.25", "-25.00", "-6.25", "25"), ("-25.00", "-25.00", "0.00", "0")],
            id="a discount without VAT",
        ),
    ],
)
def test_split_by_vat_rate(
    amounts_by_rate: list[tuple[str, str]],
    includes_vat: bool,
    discount: str,
    expected: list[tuple[str, str, str, str]],
) -> None:
    lines = [
        money.price_of(D(amount), vat_percent=D(rate), includes_vat=includes_vat, minor_unit=2)
        for rate, amount in amounts_by_rate
    ]

    parts = money.split_by_vat_rate(D(discount), lines=lines, includes_vat=includes_vat, minor_unit=2)

    assert parts == [Price(*(D(value) for value in part)) for part in expected]
    # The parts add up to the whole discount, in the kind of amount it was given in.
    given = [part.with_vat if includes_vat else part.without_vat for part in parts]
    assert sum(given) == -D(discount)


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
