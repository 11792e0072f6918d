"""Sales statistics: totals of completed orders in the shop's default currency, read from the sales rollup.

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
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import Currency, Shop
from models.enums import OrderKind
from models.flows import State
from models.orders import Order
from models.statistics import SalesRollup, SalesRollupChange
from resolvers.core.errors import invalid

_EXACT = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_UP)
_TOTALS = Order.__table__.c
_PARTS = ("with_vat", "without_vat")
_ROLLUP_COLUMNS = ("day", "state_key", "currency_rate", "orders", "total_with_vat", "total_without_vat")


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
    """Totals per day (YYYY-MM-DD, UTC), month (YYYY-MM) or state name. Raises INVALID for a bad groupBy or range.

    Whole UTC days come from the sales rollup; the part of a day at either end of the range, if any,
    from the orders themselves, so any range is answered exactly as `sales_summary_from_orders` would.
    """
    group = _checked(from_=from_, to=to, group_by=group_by)
    first_day, end_day = _whole_days(from_, to)
    whole_days = first_day < end_day
    spans = {"head": (from_, first_day), "tail": (end_day, to)} if whole_days else {"head": (from_, to)}
    edges = {name: span for name, span in spans.items() if span[0] < span[1]}
    params: dict[str, Any] = {"first_day": first_day.date().isoformat(), "end_day": end_day.date().isoformat()}
    for name, (start, stop) in edges.items():
        params.update({f"{name}_from": start, f"{name}_to": stop})
    statement = _summary_statement(group, session.get_bind().dialect.name, whole_days, tuple(edges))
    results = (await session.execute(statement, params)).all()
    return _rows(results)


async def sales_summary_from_orders(
    session: AsyncSession, *, from_: datetime.datetime, to: datetime.datetime, group_by: str
) -> list[SummaryRow]:
    """The same totals computed from the orders alone (what the rollup must always agree with)."""
    group = _checked(from_=from_, to=to, group_by=group_by)
    statement = _summary_statement(group, session.get_bind().dialect.name, False, ("head",))
    results = (await session.execute(statement, {"head_from": from_, "head_to": to})).all()
    return _rows(results)


def _checked(*, from_: datetime.datetime, to: datetime.datetime, group_by: str) -> GroupBy:
    if group_by not in GroupBy.__members__:
        raise invalid("groupBy is one of DAY, MONTH or STATE.", ["groupBy"])
    if from_ >= to:
        raise invalid("`from` must be before `to`.", ["to"])
    return GroupBy(group_by)


def _whole_days(from_: datetime.datetime, to: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The first UTC midnight at or after `from_`, and the last at or before `to`."""
    start = from_.astimezone(datetime.UTC)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight if midnight == start else midnight + datetime.timedelta(days=1)
    end = to.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return first, end


@functools.cache
def _summary_statement(group: GroupBy, dialect: str, whole_days: bool, edges: tuple[str, ...]) -> Any:
    """One statement (one round trip) for the whole days (`first_day`, `end_day`) from the rollup and each
    named edge (`<edge>_from`, `<edge>_to`) from the orders; built once per shape, its values bound."""
    parts: list[sa.Select[Any]] = [_rollup_statement(group)] if whole_days else []
    parts += [_orders_statement(group, dialect, edge) for edge in edges]
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


def _rollup_statement(group: GroupBy) -> Any:
    parts = [
        sa.select(*(table.c[name] for name in _ROLLUP_COLUMNS)).where(
            table.c.day >= sa.bindparam("first_day"), table.c.day < sa.bindparam("end_day")
        )
        for table in (SalesRollup.__table__, SalesRollupChange.__table__)
    ]
    rollup = sa.union_all(*parts).subquery("rollup")
    if group is GroupBy.STATE:
        key: Any = sa.func.coalesce(State.name, "")
    elif group is GroupBy.DAY:
        key = rollup.c.day  # already the key: grouping the column itself spares an expression per row
    else:
        key = sa.func.substr(rollup.c.day, 1, 7, type_=sa.String())
    exact = money.ExactDecimal(money.MONEY_SCALE)
    return (
        sa.select(
            key.label("key"),
            sa.type_coerce(rollup.c.currency_rate, money.ExactDecimal(money.RATE_SCALE)).label("currency_rate"),
            sa.func.sum(rollup.c.orders).label("orders"),
            *(sa.type_coerce(sa.func.sum(rollup.c[f"total_{part}"]), exact).label(part) for part in _PARTS),
            _default_minor_unit(),
        )
        .outerjoin(State, State.id == rollup.c.state_key)
        .where(sa.or_(State.id.is_(None), State.exclude_from_statistics.is_(False)))
        .group_by(key, rollup.c.currency_rate)
        .having(sa.func.sum(rollup.c.orders) > 0)
    )


def _orders_statement(group: GroupBy, dialect: str, edge: str) -> Any:
    key = _key(group, dialect)
    exact = money.ExactDecimal(money.MONEY_SCALE)
    return (
        sa.select(
            key.label("key"),
            Order.currency_rate,
            sa.func.count().label("orders"),
            *(sa.type_coerce(sa.func.sum(_TOTALS[f"total_{part}"]), exact).label(part) for part in _PARTS),
            _default_minor_unit(),
        )
        .outerjoin(State, State.id == Order.state_id)
        .where(
            Order.kind == OrderKind.ORDER,
            Order.is_complete.is_(True),
            Order.is_cancelled.is_(False),
            Order.is_deleted.is_(False),
            Order.completed_at >= sa.bindparam(f"{edge}_from"),
            Order.completed_at < sa.bindparam(f"{edge}_to"),
            sa.or_(State.id.is_(None), State.exclude_from_statistics.is_(False)),
        )
        .group_by(key, Order.currency_rate)
    )


def _key(group_by: GroupBy, dialect: str) -> Any:
    if group_by is GroupBy.STATE:
        return sa.func.coalesce(State.name, "")
    length = 10 if group_by is GroupBy.DAY else 7
    if dialect == "sqlite":
        # Stored as ISO text in UTC, so the prefix is the UTC day or month.
        return sa.func.substr(Order.completed_at, 1, length, type_=sa.String())
    pattern = "YYYY-MM-DD" if group_by is GroupBy.DAY else "YYYY-MM"
    return sa.func.to_char(sa.func.timezone("UTC", Order.completed_at), pattern, type_=sa.String())


def _rows(results: Sequence[Any]) -> list[SummaryRow]:
    # Plain tuples and one list per key: a row's attributes by name cost more than the arithmetic here.
    groups: dict[str, list[Any]] = {}
    divide, add = _EXACT.divide, _EXACT.add
    minor_unit = results[0].minor_unit if results else 2  # the same on every row
    for key, rate, count, gross, net, _ in results:
        sums = groups.get(key)
        if sums is None:
            groups[key] = [count, divide(gross, rate), divide(net, rate)]
        else:
            sums[0] += count
            sums[1] = add(sums[1], divide(gross, rate))
            sums[2] = add(sums[2], divide(net, rate))
    summary = []
    for key in sorted(groups):
        count, with_vat, without_vat = groups[key]
        gross = money.round_money(with_vat, minor_unit=minor_unit)
        net = money.round_money(without_vat, minor_unit=minor_unit)
        percent = money.round_money(_EXACT.divide((gross - net) * 100, net), minor_unit=2) if net else Decimal("0.00")
        summary.append(SummaryRow(key, count, money.Price(gross, net, gross - net, percent)))
    return summary


def _default_minor_unit() -> Any:
    """The minor unit of the default shop's currency (2 without one), as a column every row carries: an
    uncorrelated subquery, evaluated once per statement, spares the request a round trip of its own."""
    minor_unit = (
        sa.select(Currency.minor_unit)
        .join(Shop, Shop.default_currency_code == Currency.code)
        .order_by(Shop.is_default.desc(), Shop.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(minor_unit, 2).label("minor_unit")
