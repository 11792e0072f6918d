"""salesSummary in the domain, and markExported."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Currency, Shop
from models.enums import OrderKind
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.fulfilment import flow_setup
from resolvers.reporting import exports, statistics
from tests import factories

DAY_ONE = datetime.datetime(2026, 11, 24, 23, 30, tzinfo=datetime.UTC)
DAY_TWO = datetime.datetime(2026, 11, 25, 0, 30, tzinfo=datetime.UTC)


async def _order(session: AsyncSession, gross: str, *, at: datetime.datetime, **kwargs: Any) -> None:
    """An order placed at `at` of one mug at `gross` (with 25 % VAT) in its currency, in Received by default."""
    line = factories.Line("MUG-CER", unit_price=Decimal(gross))
    await factories.create_order(session, now=at, lines=[line], **kwargs)


async def test_summary_converts_each_order_at_its_rate_and_leaves_out_what_does_not_count(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    await flow_setup.update_state(seeded, state_id=str(shipped.id), changes={"exclude_from_statistics": True})
    await _order(seeded, "125.00", at=DAY_ONE)
    await _order(seeded, "932.50", at=DAY_ONE, currency="DKK")  # 125.00 EUR
    await _order(seeded, "10.00", at=DAY_TWO, currency="DKK")  # 1.3404825... EUR
    await _order(seeded, "10.00", at=DAY_TWO, currency="DKK")
    await _order(seeded, "99.00", at=DAY_TWO, is_cancelled=True)
    await _order(seeded, "99.00", at=DAY_TWO, is_deleted=True)
    await _order(seeded, "99.00", at=DAY_TWO, is_complete=False)
    await _order(seeded, "99.00", at=DAY_TWO, kind=OrderKind.QUOTE, state=None)
    await _order(seeded, "99.00", at=DAY_TWO, state="Shipped")
    await _order(seeded, "99.00", at=DAY_TWO + datetime.timedelta(days=1))

    by_day = await statistics.sales_summary(
        seeded, from_=DAY_ONE - datetime.timedelta(hours=1), to=DAY_TWO + datetime.timedelta(hours=1), group_by="DAY"
    )
    by_month = await statistics.sales_summary(
        seeded, from_=DAY_ONE, to=DAY_TWO + datetime.timedelta(days=2), group_by="MONTH"
    )
    by_state = await statistics.sales_summary(
        seeded, from_=DAY_ONE, to=DAY_TWO + datetime.timedelta(days=2), group_by="STATE"
    )

    assert by_day == [
        statistics.SummaryRow(
            "2026-11-24", 2, money.Price(Decimal("250.00"), Decimal("200.00"), Decimal("50.00"), Decimal("25.00"))
        ),
        # 20.00 DKK / 7.46 = 2.6809651... and 16.00 / 7.46 = 2.1447721..., rounded once per row.
        statistics.SummaryRow(
            "2026-11-25", 2, money.Price(Decimal("2.68"), Decimal("2.14"), Decimal("0.54"), Decimal("25.23"))
        ),
    ]
    assert [(row.key, row.orders, row.total.with_vat) for row in by_month] == [("2026-11", 5, Decimal("351.68"))]
    assert [(row.key, row.orders, row.total.with_vat) for row in by_state] == [("Received", 5, Decimal("351.68"))]


async def test_summary_rounds_to_the_minor_unit_of_the_default_currency(seeded: AsyncSession) -> None:
    await _order(seeded, "125.40", at=DAY_ONE)  # 100.32 without VAT
    await _order(seeded, "10.00", at=DAY_TWO, currency="DKK")  # 1.3404825... EUR, 1.0723860... without VAT
    default = await seeded.scalar(
        sa.select(Currency).join(Shop, Shop.default_currency_code == Currency.code).order_by(Shop.is_default.desc())
    )
    assert default is not None
    default.minor_unit = 0
    await seeded.flush()
    whole_days = (DAY_ONE - datetime.timedelta(days=1), DAY_TWO + datetime.timedelta(days=1))
    both_cut = (DAY_ONE - datetime.timedelta(hours=1), DAY_TWO + datetime.timedelta(hours=1))

    for start, stop in (whole_days, both_cut):
        rows = await statistics.sales_summary(seeded, from_=start, to=stop, group_by="DAY")
        assert rows == await statistics.sales_summary_from_orders(seeded, from_=start, to=stop, group_by="DAY")
        assert [(row.key, row.total.with_vat, row.total.without_vat, row.total.vat_percent) for row in rows] == [
            ("2026-11-24", Decimal("125"), Decimal("100"), Decimal("25.00")),
            ("2026-11-25", Decimal("1"), Decimal("1"), Decimal("0.00")),
        ]


@pytest.mark.parametrize(("group_by", "to_offset", "field"), [("WEEK", 1, ["groupBy"]), ("DAY", 0, ["to"])])
async def test_bad_summary_arguments(seeded: AsyncSession, group_by: str, to_offset: int, field: list[str]) -> None:
    with pytest.raises(DomainError) as raised:
        await statistics.sales_summary(
            seeded, from_=DAY_ONE, to=DAY_ONE + datetime.timedelta(days=to_offset), group_by=group_by
        )

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, field)


async def test_mark_exported(seeded: AsyncSession, now: datetime.datetime) -> None:
    first = await factories.create_order(seeded, now=now)
    second = await factories.create_order(seeded, now=now)
    second.is_exported = True
    await seeded.flush()

    outcomes = await exports.mark_exported(
        seeded, order_ids=[first.public_id, second.public_id, "CART1"], exported=True, now=now, actor="admin:x"
    )

    assert [(o.requested_id, o.error.code if o.error else None) for o in outcomes] == [
        (first.public_id, None),
        (second.public_id, ErrorCode.ALREADY_DONE),
        ("CART1", ErrorCode.NOT_FOUND),
    ]
    assert (first.is_exported, first.revision, second.revision) == (True, 2, 1)
