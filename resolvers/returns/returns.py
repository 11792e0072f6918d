"""Returns (RMA) of completed orders: request one, receive it (restocking), reject it.

Refunding a received return is `return_refunds`; the statuses and states are `return_states`.

    CLOSED                   the order is cancelled or deleted (field orderId)
    INVALID                  the order is not a completed ORDER (field orderId); no lines
                             (field lines); a quantity `validation.positive_quantity` refuses: not above
                             0, above a million or finer than 4 decimals (field lines.<i>.quantity)
    NOT_FOUND                an unknown order (orderId) or return (returnId); a line id that is not a PRODUCT
                             line of the order (field lines.<i>.orderLineId)
    AMOUNT_EXCEEDS_AVAILABLE a line returned beyond what was ordered (field lines.<i>.quantity), counting its
                             earlier returns and the earlier lines of the same request
    ALREADY_DONE             receiving a received return, rejecting a rejected one, or rejecting a return
                             whose refund is pending at the provider
    TRANSITION_NOT_ALLOWED   receiving anything but a REQUESTED return, rejecting a REFUNDED one

A line's earlier returns are all of its returns but those rejected before they were received: a
received return's goods came back (and were restocked) even if it was rejected afterwards, so
they can never come back twice.

Every operation locks the order's row before it reads the order's returns, so two requests for
the same order run one after the other (on SQLite the write lock does the same): two concurrent
returns of one line can never add up to more than was ordered, and a return is received, so
restocked, once.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.database import lock_rows
from models.enums import FlowKind, OrderKind, OrderLineType, ReturnStatus, WebhookEvent
from models.orders import Order, OrderLine
from models.returns import Return, ReturnLine
from resolvers.core import lifecycle, notifications, orders, validation
from resolvers.core.errors import DomainError, DomainErrors, ErrorCode, invalid, not_found
from resolvers.fulfilment import flows
from resolvers.returns import return_states
from resolvers.setup import stock


@dataclasses.dataclass(frozen=True, slots=True)
class LineRequest:
    """One line of a return request, as the caller gave it."""

    order_line_id: str
    quantity: Decimal
    reason: str | None = None
    restock: bool = True


async def create(
    session: AsyncSession,
    *,
    order_id: str,
    lines: Sequence[LineRequest],
    comment: str | None,
    now: datetime.datetime,
    actor: str | None,
) -> Return:
    """Request a return of some of a completed order's product lines, in the default RETURN state."""
    order = await orders.find(session, order_id, for_update=True)
    if order is None:
        raise not_found("Order", order_id, ["orderId"])
    lifecycle.refuse_if_closed(order, field=["orderId"])
    if order.kind is not OrderKind.ORDER or not order.is_complete:
        raise invalid(f"{order.public_id} is not a completed order: nothing to return.", ["orderId"])
    if not lines:
        raise invalid("A return needs at least one line.", ["lines"])
    reasons = [(ReturnLine.reason, line.reason, ["lines", str(index), "reason"]) for index, line in enumerate(lines)]
    comment, *checked_reasons = validation.all_texts_fit([(Return.comment, comment, ["comment"]), *reasons])
    order_lines = await _check_lines(session, order=order, lines=lines)
    state = await flows.default_state(session, kind=FlowKind.RETURN)
    returned = Return(
        order_id=order.id, status=ReturnStatus.REQUESTED, state_id=state.id, comment=comment, created_at=now
    )
    session.add(returned)
    await session.flush()
    session.add_all(
        ReturnLine(
            return_id=returned.id,
            order_line_id=order_lines[index].id,
            quantity=line.quantity,
            reason=checked_reasons[index],
            restock=line.restock,
        )
        for index, line in enumerate(lines)
    )
    what = ", ".join(f"{money.plain_quantity(line.quantity)} x {_name(order_lines[i])}" for i, line in enumerate(lines))
    message = f"Return {returned.id} requested: {what}."
    return_states.record(session, order=order, message=message, state=state, actor=actor, now=now)
    notifications.notify_return(session, event=WebhookEvent.RETURN_CREATED, order=order, returned=returned, now=now)
    await session.flush()
    return returned


async def receive(session: AsyncSession, *, return_id: str, now: datetime.datetime, actor: str | None) -> Return:
    """Mark a REQUESTED return received and put its restocked lines back in stock, once."""
    returned, order = await locked(session, return_id)
    if returned.status is not ReturnStatus.REQUESTED:
        code = ErrorCode.ALREADY_DONE if returned.received_at is not None else ErrorCode.TRANSITION_NOT_ALLOWED
        raise DomainError(code, f"Return {returned.id} is {returned.status.lower()}: it cannot be received.")
    restocked = [
        (line, order_line)
        for line, order_line in await lines_with_order_lines(session, returned.id)
        if line.restock and order_line.product_id is not None
    ]
    # An order whose stock was given back (cancelled meanwhile) has nothing out of stock to put back.
    if not order.is_stock_taken:
        restocked = []
    quantities: defaultdict[int, Decimal] = defaultdict(Decimal)
    for line, order_line in restocked:
        quantities[order_line.product_id] += line.quantity  # type: ignore[index]
    await stock.restock(session, quantities=quantities)
    returned.status = ReturnStatus.RECEIVED
    returned.received_at = now
    state = await return_states.move(session, returned, to_last=False)
    what = ", ".join(f"{money.plain_quantity(line.quantity)} x {_name(order_line)}" for line, order_line in restocked)
    message = f"Return {returned.id} received; restocked {what or 'nothing'}."
    return_states.record(session, order=order, message=message, state=state, actor=actor, now=now)
    notifications.notify_return(session, event=WebhookEvent.RETURN_RECEIVED, order=order, returned=returned, now=now)
    await session.flush()
    return returned


async def reject(
    session: AsyncSession, *, return_id: str, reason: str | None, now: datetime.datetime, actor: str | None
) -> Return:
    """Reject a REQUESTED or RECEIVED return; nothing more can be done to it afterwards."""
    returned, order = await locked(session, return_id)
    if returned.status is ReturnStatus.REJECTED:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Return {returned.id} is rejected already.")
    if returned.status is ReturnStatus.REFUNDED:
        raise DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"Return {returned.id} is refunded: it cannot be rejected.")
    if returned.refund_transaction_id is not None:
        raise DomainError(ErrorCode.ALREADY_DONE, f"The refund of return {returned.id} is pending at the provider.")
    reason = validation.text_fits(Return.rejection_reason, reason, field=["reason"])
    returned.status = ReturnStatus.REJECTED
    returned.rejection_reason = reason
    state = await return_states.move(session, returned, to_last=True)
    message = f"Return {returned.id} rejected." + (f" Reason: {reason}" if reason else "")
    return_states.record(session, order=order, message=message, state=state, actor=actor, now=now)
    notifications.notify_return(session, event=WebhookEvent.RETURN_REJECTED, order=order, returned=returned, now=now)
    await session.flush()
    return returned


async def locked(session: AsyncSession, return_id: str) -> tuple[Return, Order]:
    """The return and its order, the order's row locked and both read fresh; NOT_FOUND (field returnId)."""
    key = parse_id(return_id)
    owner = await session.scalar(sa.select(Return.order_id).where(Return.id == key)) if key is not None else None
    order = None
    if owner is not None:
        order = await session.scalar(
            lock_rows(sa.select(Order).where(Order.id == owner)).execution_options(populate_existing=True)
        )
    returned = await session.get(Return, key, populate_existing=True) if key is not None else None
    if order is None or returned is None or returned.order_id != order.id:
        raise not_found("Return", return_id, ["returnId"])
    return returned, order


def parse_id(value: str) -> int | None:
    """Return ids are integers; anything else matches nothing."""
    return validation.integer_id(value)


async def _check_lines(session: AsyncSession, *, order: Order, lines: Sequence[LineRequest]) -> list[OrderLine]:
    """The order line of each requested line; every line at fault as one DomainErrors."""
    products = {
        line.id: line
        for line in await orders.lines_of(session, order_id=order.id)
        if line.type is OrderLineType.PRODUCT
    }
    returned = await _returned_so_far(session, order_id=order.id)
    found: list[OrderLine] = []
    errors: list[DomainError] = []
    for index, line in enumerate(lines):
        path = ["lines", str(index)]
        key = parse_id(line.order_line_id)
        order_line = products.get(key) if key is not None else None
        if order_line is None:
            errors.append(not_found("Product line", line.order_line_id, [*path, "orderLineId"]))
            continue
        found.append(order_line)
        error = _quantity_error(line.quantity, order_line, returned[order_line.id], [*path, "quantity"])
        if error is not None:
            errors.append(error)
        else:
            returned[order_line.id] += line.quantity
    if errors:
        raise DomainErrors(errors)
    return found


def _quantity_error(quantity: Decimal, order_line: OrderLine, returned: Decimal, path: list[str]) -> DomainError | None:
    try:
        validation.positive_quantity(quantity, field=path)
    except DomainError as error:
        return error
    if returned + quantity > order_line.quantity:
        ordered, before, more = (money.plain_quantity(value) for value in (order_line.quantity, returned, quantity))
        return DomainError(
            ErrorCode.AMOUNT_EXCEEDS_AVAILABLE,
            f"Line {order_line.id} ({_name(order_line)}) was ordered {ordered} times and "
            f"{before} are returned already: {more} more is too many.",
            path,
        )
    return None


async def _returned_so_far(session: AsyncSession, *, order_id: int) -> defaultdict[int, Decimal]:
    """Per order line, the quantity of its returns that count (see the module docstring)."""
    counted = sa.or_(Return.status != ReturnStatus.REJECTED, Return.received_at.is_not(None))
    rows = await session.execute(
        sa.select(ReturnLine.order_line_id, ReturnLine.quantity)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(Return.order_id == order_id, counted)
    )
    totals: defaultdict[int, Decimal] = defaultdict(Decimal)
    for order_line_id, quantity in rows.all():
        totals[order_line_id] += quantity
    return totals


async def lines_with_order_lines(session: AsyncSession, return_id: int) -> list[tuple[ReturnLine, OrderLine]]:
    """A return's lines, each with the order line it returns."""
    rows = await session.execute(
        sa.select(ReturnLine, OrderLine)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .where(ReturnLine.return_id == return_id)
        .order_by(ReturnLine.id)
    )
    return [(line, order_line) for line, order_line in rows.all()]


def _name(line: OrderLine) -> str:
    return line.product_number or line.product_name
