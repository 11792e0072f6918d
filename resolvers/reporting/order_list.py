"""The order list: filters, sorts and opaque keyset cursors.

A cursor holds the sort field, the row's sort value and its key, so a page
starts strictly after (or before) a row whatever was inserted since: no
duplicates, no gaps. Rows are ordered by the sort value, then the key, both in
the requested direction; NULLs (an order not completed yet) count as larger
than every value. One statement reads the page with each order's state, flow
and payment method (and, when asked, the total count as a subquery).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import enum
import json
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import PaymentMethod
from models.enums import CaptureState, OrderKind, TransactionKind, TransactionStatus
from models.flows import Flow, State
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.core import validation
from resolvers.core.errors import invalid, not_found
from resolvers.fulfilment.flows import parse_id
from resolvers.payments import payment_filters, payment_providers

# The integer digits of a money column (NUMERIC(24, 4)).
_TOTAL_DIGITS = 20

DEFAULT_PAGE_SIZE = 50


class SortField(enum.StrEnum):
    CREATED_AT = "CREATED_AT"
    MODIFIED_AT = "MODIFIED_AT"
    COMPLETED_AT = "COMPLETED_AT"
    TOTAL = "TOTAL"
    ID = "ID"


_SORT_COLUMNS: dict[SortField, Any] = {
    SortField.CREATED_AT: Order.created_at,
    SortField.MODIFIED_AT: Order.modified_at,
    SortField.COMPLETED_AT: Order.completed_at,
    SortField.TOTAL: Order.__table__.c.total_with_vat,
    SortField.ID: Order.number,
}
_NULLABLE = {SortField.COMPLETED_AT}
# What every page reads of its orders whatever is asked: keys, the loaders' keys and the cache key of
# batches over orders (id, revision, state).
_ALWAYS_READ = ("id", "number", "public_id", "kind", "revision", "state_id", "flow_id", "payment_method_id")


@dataclasses.dataclass(frozen=True, slots=True)
class Filter:
    kind: OrderKind | None = None
    flow_id: str | None = None
    state_ids: Sequence[str] | None = None
    capture_state: CaptureState | None = None
    customer_id: str | None = None
    search: str | None = None
    created_from: datetime.datetime | None = None
    created_to: datetime.datetime | None = None
    completed: bool | None = None
    include_deleted: bool = False
    is_exported: bool | None = None
    authorization_expires_before: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    order: Order
    state: State | None
    flow: Flow | None
    payment_method: PaymentMethod | None
    cursor: str


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row]
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None


async def page(
    session: AsyncSession,
    *,
    filter: Filter,
    sort: SortField = SortField.CREATED_AT,
    descending: bool = True,
    first: int | None = DEFAULT_PAGE_SIZE,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    with_total: bool = False,
    columns: Collection[str] | None = None,
) -> Page:
    """One page of orders; `last` pages backwards from `before`. Raises INVALID for a malformed or foreign cursor.

    `columns` (model attribute names) loads only those of each order, with the keys and the sort value; any
    other attribute then raises when read instead of loading on its own. None loads whole rows.
    """
    conditions = await _conditions(session, filter)
    backwards = last is not None
    size = last if backwards else (DEFAULT_PAGE_SIZE if first is None else first)
    if size is None or size < 0:
        raise invalid("A page size may not be negative.", ["last" if backwards else "first"])
    keyset = list(conditions)
    if after is not None:
        keyset.append(_beyond(sort, _decode(after, sort, "after"), descending=descending))
    if before is not None:
        keyset.append(_beyond(sort, _decode(before, sort, "before"), descending=not descending))
    column = _SORT_COLUMNS[sort]
    walk_descending = descending != backwards
    statement = (
        sa.select(Order, State, Flow, PaymentMethod)
        .outerjoin(State, State.id == Order.state_id)
        .outerjoin(Flow, Flow.id == Order.flow_id)
        .outerjoin(PaymentMethod, PaymentMethod.id == Order.payment_method_id)
        .where(*keyset)
        .order_by(*_ordering(column, sort, descending=walk_descending))
        .limit(size + 1)
    )
    if columns is not None:
        statement = statement.options(_only(columns, sort))
    if with_total:
        statement = statement.add_columns(_count(conditions).scalar_subquery().label("total_count"))
    results = list((await session.execute(statement)).all())
    more = len(results) > size
    results = results[:size]
    total = int(results[0].total_count) if with_total and results else None
    if with_total and total is None:
        total = int(await session.scalar(_count(conditions)) or 0)
    if backwards:
        results.reverse()
    rows = [Row(r[0], r[1], r[2], r[3], encode_cursor(sort, r[0])) for r in results]
    if backwards:
        return Page(rows, has_next_page=before is not None, has_previous_page=more, total_count=total)
    return Page(rows, has_next_page=more, has_previous_page=after is not None, total_count=total)


def encode_cursor(sort: SortField, order: Order) -> str:
    value = order.total.with_vat if sort is SortField.TOTAL else getattr(order, _SORT_COLUMNS[sort].key)
    if isinstance(value, datetime.datetime):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    raw = json.dumps([sort.value, value, order.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def capture_state_of(state: CaptureState) -> sa.ColumnElement[bool]:
    """Orders whose capture state is `state`, derived in SQL as `payments.delta.capture_state` does.

    Over every authorization and the total: paymentDelta is positive when the total (zero once cancelled)
    and the refunds that settled a negative delta exceed what is authorized. Unlike the served field, the
    filter does not tell lapsed authorizations apart (that needs each authorization's draws).
    """
    capable = [name for name in payment_providers.names() if payment_providers.capabilities(name).capture]
    # correlate_except: the page statement joins payment_methods too, yet this must look the method up by itself.
    supported = (
        sa.select(PaymentMethod.id)
        .where(PaymentMethod.id == Order.payment_method_id, PaymentMethod.provider.in_(capable))
        .correlate_except(PaymentMethod)
        .exists()
    )
    captured = _ledger_sum(TransactionKind.CAPTURE)
    authorized = _ledger_sum(TransactionKind.AUTHORIZE) - _ledger_sum(TransactionKind.CANCEL)
    zero: sa.ColumnElement[int] = sa.literal_column("0")
    if state is CaptureState.NOT_SUPPORTED:
        return sa.not_(supported)
    if state is CaptureState.NOT_CAPTURED:
        return sa.and_(supported, captured <= zero)
    owed = sa.case((Order.is_cancelled, zero), else_=Order.__table__.c.total_with_vat)
    owes_more = owed + _ledger_sum(TransactionKind.REFUND, column=Transaction.delta_settled) > authorized
    if state is CaptureState.SPLIT_CAPTURED:
        return sa.and_(supported, captured > zero, sa.or_(captured < authorized, owes_more))
    return sa.and_(supported, captured > zero, captured >= authorized, sa.not_(owes_more))


# ---------------------------------------------------------------- helpers


def _only(columns: Collection[str], sort: SortField) -> Any:
    sort_attribute = "total" if sort is SortField.TOTAL else _SORT_COLUMNS[sort].key
    loaded = sorted({*columns, *_ALWAYS_READ, sort_attribute})
    return orm.load_only(*(getattr(Order, name) for name in loaded), raiseload=True)


async def _conditions(session: AsyncSession, filter: Filter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if not filter.include_deleted:
        conditions.append(Order.is_deleted.is_(False))
    if filter.kind is not None:
        conditions.append(Order.kind == filter.kind)
    if filter.flow_id is not None:
        [flow_id] = await _existing(session, Flow, [filter.flow_id], ["filter", "flowId"], indexed=False)
        conditions.append(Order.flow_id == flow_id)
    if filter.state_ids is not None:
        state_ids = await _existing(session, State, filter.state_ids, ["filter", "stateIds"], indexed=True)
        conditions.append(Order.state_id.in_(state_ids))
    if filter.capture_state is not None:
        conditions.append(capture_state_of(filter.capture_state))
    if filter.customer_id is not None:
        conditions.append(Order.customer_id == filter.customer_id)
    if filter.search and filter.search.strip():
        conditions.append(_search(filter.search.strip()))
    if filter.created_from is not None:
        conditions.append(Order.created_at >= filter.created_from)
    if filter.created_to is not None:
        conditions.append(Order.created_at < filter.created_to)
    if filter.completed is not None:
        conditions.append(Order.is_complete.is_(filter.completed))
    if filter.is_exported is not None:
        conditions.append(Order.is_exported.is_(filter.is_exported))
    if filter.authorization_expires_before is not None:
        conditions.append(payment_filters.authorization_expires_before(filter.authorization_expires_before))
    return conditions


async def _existing(
    session: AsyncSession, model: type[Flow] | type[State], ids: Sequence[str], field: list[str], *, indexed: bool
) -> list[int]:
    """The keys of setup rows named in a filter; an unknown one is an error, not an empty list."""
    keys = [parse_id(raw) for raw in ids]
    known = set(
        (await session.scalars(sa.select(model.id).where(model.id.in_([k for k in keys if k is not None])))).all()
    )
    for position, (raw, key) in enumerate(zip(ids, keys, strict=True)):
        if key not in known:
            raise not_found(model.__name__, raw, [*field, str(position)] if indexed else field)
    return [key for key in keys if key is not None]


def _search(text: str) -> sa.ColumnElement[bool]:
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = (
        Order.public_id,
        Order.customer_name,
        Order.customer_first_name,
        Order.customer_surname,
        Order.customer_email,
        Order.customer_company,
        Order.delivery_name,
        Order.delivery_first_name,
        Order.delivery_surname,
    )
    product_numbers = (
        sa.select(OrderLine.id)
        .where(OrderLine.order_id == Order.id, sa.func.lower(OrderLine.product_number).like(pattern, escape="\\"))
        .correlate_except(OrderLine)
        .exists()
    )
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns), product_numbers)


def _ledger_sum(kind: TransactionKind, *, column: Any = Transaction.amount) -> Any:
    return (
        sa.select(sa.func.coalesce(sa.func.sum(column), sa.literal_column("0")))
        .where(
            Transaction.order_id == Order.id,
            Transaction.kind == kind,
            Transaction.status == TransactionStatus.SUCCEEDED,
        )
        .correlate_except(Transaction)
        .scalar_subquery()
    )


def _count(conditions: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    # correlate(None): inside the page statement it must count on its own, not per outer row.
    return sa.select(sa.func.count()).select_from(Order).where(*conditions).correlate(None)


def _ordering(column: Any, sort: SortField, *, descending: bool) -> list[Any]:
    if descending:
        return [column.desc().nulls_first() if sort in _NULLABLE else column.desc(), Order.id.desc()]
    return [column.asc().nulls_last() if sort in _NULLABLE else column.asc(), Order.id.asc()]


def _beyond(sort: SortField, position: tuple[Any, int], *, descending: bool) -> sa.ColumnElement[bool]:
    """Rows strictly after `position` in the given direction (NULL sort values are the largest)."""
    column = _SORT_COLUMNS[sort]
    value, key = position
    if value is None:
        if descending:
            return sa.or_(sa.and_(column.is_(None), Order.id < key), column.is_not(None))
        return sa.and_(column.is_(None), Order.id > key)
    bound = sa.tuple_(sa.bindparam(None, value, type_=column.type), sa.bindparam(None, key, type_=sa.Integer()))
    beyond = sa.tuple_(column, Order.id) < bound if descending else sa.tuple_(column, Order.id) > bound
    if sort in _NULLABLE and not descending:
        return sa.or_(beyond, column.is_(None))
    return beyond


def _decode(cursor: str, sort: SortField, field: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, key = json.loads(raw)
        if name != sort.value or _key(key) is None:
            raise ValueError(name)
        return _typed(sort, value), key
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, ArithmeticError) as error:
        raise invalid(f"`{field}` is not a cursor of this list and sort.", [field]) from error


def _key(value: Any) -> int | None:
    """An order key from a cursor: an int an INTEGER column holds (JSON would give any size), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= validation.MAX_KEY else None


def _typed(sort: SortField, value: Any) -> Any:
    if value is None:
        if sort not in _NULLABLE:
            raise ValueError("null")
        return None
    if sort is SortField.TOTAL:
        amount = money.parse_decimal(str(value))
        # What a money column holds, no more: a forged total must not reach the store as a parameter.
        if amount.adjusted() >= _TOTAL_DIGITS or amount != amount.quantize(Decimal(1).scaleb(-money.MONEY_SCALE)):
            raise ValueError(value)
        return amount
    if sort is SortField.ID:
        if _key(value) is None:
            raise ValueError(value)
        return value
    parsed = datetime.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(value)
    return parsed
