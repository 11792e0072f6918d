"""Sales statistics: totals of completed orders in the shop's default currency.

Counted: ORDER rows that are complete, not cancelled and not deleted, completed in
[from, to), in no state excluded from statistics. Each order is converted at the
rate it kept; SQL sums per (key, rate), so the division happens once per rate,
exactly, and each row is rounded once to the default currency's minor unit.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Currency, Shop
from models.enums import OrderKind
from models.flows import State
from models.orders import Order
from resolvers.core.errors import invalid

_EXACT = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_UP)
_TOTALS = Order.__table__.c


class GroupBy(enum.StrEnum):
    DAY = "DAY"
    MONTH = "MONTH"
    STATE = "STATE"


@dataclasses.dataclass(frozen=True, slots=True)
class SummaryRow:
    key: str
    orders: int
    total: money.Price


async def sales_summary(
    session: AsyncSession, *, from_: datetime.datetime, to: datetime.datetime, group_by: str
) -> list[SummaryRow]:
    """Totals per day (YYYY-MM-DD, UTC), month (YYYY-MM) or state name. Raises INVALID for a bad groupBy or range."""
    if group_by not in GroupBy.__members__:
        raise invalid("groupBy is one of DAY, MONTH or STATE.", ["groupBy"])
    if from_ >= to:
        raise invalid("`from` must be before `to`.", ["to"])
    key = _key(GroupBy(group_by), session.get_bind().dialect.name)
    exact = money.ExactDecimal(money.MONEY_SCALE)
    statement = (
        sa.select(
            key.label("key"),
            Order.currency_rate,
            sa.func.count().label("orders"),
            *(
                sa.type_coerce(sa.func.sum(_TOTALS[f"total_{part}"]), exact).label(part)
                for part in ("with_vat", "without_vat")
            ),
        )
        .outerjoin(State, State.id == Order.state_id)
        .where(
            Order.kind == OrderKind.ORDER,
            Order.is_complete.is_(True),
            Order.is_cancelled.is_(False),
            Order.is_deleted.is_(False),
            Order.completed_at >= from_,
            Order.completed_at < to,
            sa.or_(State.id.is_(None), State.exclude_from_statistics.is_(False)),
        )
        .group_by(key, Order.currency_rate)
    )
    minor_unit = await _default_minor_unit(session)
    return _rows((await session.execute(statement)).all(), minor_unit=minor_unit)


def _key(group_by: GroupBy, dialect: str) -> Any:
    if group_by is GroupBy.STATE:
        return sa.func.coalesce(State.name, "")
    length = 10 if group_by is GroupBy.DAY else 7
    if dialect == "sqlite":
        # Stored as ISO text in UTC, so the prefix is the UTC day or month.
        return sa.func.substr(Order.completed_at, 1, length, type_=sa.String())
    pattern = "YYYY-MM-DD" if group_by is GroupBy.DAY else "YYYY-MM"
    return sa.func.to_char(sa.func.timezone("UTC", Order.completed_at), pattern, type_=sa.String())


def _rows(results: Any, *, minor_unit: int) -> list[SummaryRow]:
    counts: dict[str, int] = defaultdict(int)
    with_vat: dict[str, Decimal] = defaultdict(Decimal)
    without_vat: dict[str, Decimal] = defaultdict(Decimal)
    for row in results:
        counts[row.key] += row.orders
        with_vat[row.key] = _EXACT.add(with_vat[row.key], _EXACT.divide(row.with_vat, row.currency_rate))
        without_vat[row.key] = _EXACT.add(without_vat[row.key], _EXACT.divide(row.without_vat, row.currency_rate))
    summary = []
    for key in sorted(counts):
        gross = money.round_money(with_vat[key], minor_unit=minor_unit)
        net = money.round_money(without_vat[key], minor_unit=minor_unit)
        percent = money.round_money(_EXACT.divide((gross - net) * 100, net), minor_unit=2) if net else Decimal("0.00")
        summary.append(SummaryRow(key, counts[key], money.Price(gross, net, gross - net, percent)))
    return summary


async def _default_minor_unit(session: AsyncSession) -> int:
    minor_unit = await session.scalar(
        sa.select(Currency.minor_unit)
        .join(Shop, Shop.default_currency_code == Currency.code)
        .order_by(Shop.is_default.desc(), Shop.id)
        .limit(1)
    )
    return 2 if minor_unit is None else minor_unit
