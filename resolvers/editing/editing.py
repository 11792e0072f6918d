"""Editing quotes and placed orders (admins): one edit is one versioned, guarded, recalculated change.

An edit, in the caller's transaction (the order row locked):

1. refuses a closed record (CLOSED: cancelled, deleted, a rejected quote, `lifecycle`), one that may
   not be edited (NOT_EDITABLE) and an `expected_revision` that is not the order's revision (STALE_REVISION);
2. snapshots the order as it was into a new `OrderVersion` (number = previous + 1);
3. applies the changes (`resolvers.edit_lines` for lines and discounts);
4. recalculates lines and totals, keeping the payment and shipping fees as they were unless
   the edit gives a payment or shipping method (then both fees are computed again; the
   negotiated lines stay as they are), and refuses a total below zero (NEGATIVE_TOTAL);
5. bumps the revision and writes an `edit` event.

Any refusal raises, and the caller's savepoint (`schema.errors.attempt`) undoes everything.
`preview` runs the same edit in a savepoint of its own, keeps a detached copy of the result
and rolls the savepoint back: the order as it would be, with nothing written.

Address fields, the comment and the reference are patches: None keeps a value, a blank string
clears it. A completed order's payment method stays once money moved through it (INVALID).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PaymentMethod, ShippingMethod
from models.custom_fields import CustomFieldValue
from models.enums import OrderKind, OrderLineType, TransactionStatus, WebhookEvent
from models.flows import State
from models.orders import Order, OrderLine, OrderVersion
from models.payments import Transaction
from resolvers.core import events, lifecycle, notifications, orders, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.editing import edit_lines, versions
from resolvers.setup import custom_fields
from resolvers.storefront import pricing

EVENT_SOURCE = "edit"
Method = TypeVar("Method", PaymentMethod, ShippingMethod)


@dataclasses.dataclass(frozen=True, slots=True)
class Changes:
    """What one edit changes; every part is optional, but an edit must change something."""

    customer: Mapping[str, str | None] | None = None
    delivery: Mapping[str, str | None] | None = None
    comment: str | None = None
    custom_fields: Sequence[custom_fields.FieldValue] | None = None
    lines: Sequence[edit_lines.LineChange] = ()
    add_order_discounts: Sequence[edit_lines.OrderDiscount] = ()
    remove_discount_line_ids: Sequence[str] = ()
    payment_method_id: str | None = None
    shipping_method_id: str | None = None
    reference: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.customer
            or self.delivery
            or self.comment is not None
            or self.custom_fields
            or self.lines
            or self.add_order_discounts
            or self.remove_discount_line_ids
            or self.changes_methods
            or self.reference is not None
        )

    @property
    def changes_methods(self) -> bool:
        """A payment or shipping method is given: the fees are computed again."""
        return self.payment_method_id is not None or self.shipping_method_id is not None


@dataclasses.dataclass(frozen=True, slots=True)
class Edited:
    """The edited order with its lines (in line order), as the API serves them."""

    order: Order
    lines: Sequence[OrderLine]
    custom_fields: Sequence[CustomFieldValue]
    previous_revision: int
    previous_modified_at: datetime.datetime


async def edit(
    session: AsyncSession,
    *,
    order_id: str,
    expected_revision: int | None,
    changes: Changes,
    now: datetime.datetime,
    actor: str | None,
) -> Edited:
    """Edit a quote or an editable order; the version before it is kept.

    Raises NOT_FOUND, CLOSED, NOT_EDITABLE, STALE_REVISION, INVALID (a returned line removed or taken below
    its returned quantity too), NEGATIVE_TOTAL, OUT_OF_STOCK.
    """
    if changes.is_empty:
        raise invalid("The edit changes nothing.", ["input"])
    order = await orders.find(session, order_id, for_update=True)
    if order is None:
        raise not_found("Order", order_id, ["orderId"])
    await session.refresh(order)  # the revision as committed, not as this session last saw it
    await _refuse_not_editable(session, order)
    if expected_revision is not None and expected_revision != order.revision:
        raise DomainError(
            ErrorCode.STALE_REVISION,
            f"{order.public_id} is at revision {order.revision}, not {expected_revision}; reload it and edit again.",
            ["expectedRevision"],
        )
    previous_revision, previous_modified_at = order.revision, order.modified_at
    version = await _keep_version(session, order=order, now=now, actor=actor)
    before = await orders.lines_of(session, order_id=order.id)
    held_before = edit_lines.product_quantities(before)
    summary = [
        *_apply_details(order, changes),
        *await _apply_methods(
            session, order=order, payment_method_id=changes.payment_method_id,
            shipping_method_id=changes.shipping_method_id, field=["input"],
        ),
        *await _apply_custom_fields(session, order, changes),
        *await _apply_lines(session, order, before, changes, now=now),
    ]  # fmt: skip
    await session.flush()
    lines = await orders.lines_of(session, order_id=order.id)
    if not any(line.type is OrderLineType.PRODUCT for line in lines):
        raise invalid("An order keeps at least one product line.", ["input", "lines"])
    await edit_lines.follow_stock(session, order=order, before=held_before, after=lines)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=changes.changes_methods, now=now)
    version.summary = "; ".join(summary)
    orders.touch(order, now=now)
    events.record(
        session, order_id=order.id, source=EVENT_SOURCE, message=f"Edited: {version.summary}.", actor=actor, now=now
    )
    notifications.notify(session, event=WebhookEvent.ORDER_EDITED, order=order, now=now)
    await session.flush()
    values = (await session.scalars(sa.select(CustomFieldValue).where(CustomFieldValue.order_id == order.id))).all()
    return Edited(order, lines, sorted(values, key=lambda value: value.id), previous_revision, previous_modified_at)


async def preview(
    session: AsyncSession,
    *,
    changes: Changes,
    order_id: str,
    expected_revision: int | None,
    now: datetime.datetime,
    actor: str | None,
) -> Edited:
    """The order as `edit` would leave it, with the same checks, writing nothing (a dry run).

    The result is detached from the session; its revision and modification time are the
    current ones, so it can be passed back as `expectedRevision` for the real edit.
    """
    savepoint = await session.begin_nested()
    try:
        edited = await edit(
            session, order_id=order_id, expected_revision=expected_revision, changes=changes, now=now, actor=actor
        )
        for row in (edited.order, *edited.lines, *edited.custom_fields):
            session.expunge(row)
        edited.order.revision = edited.previous_revision
        edited.order.modified_at = edited.previous_modified_at
    finally:
        await savepoint.rollback()
    return edited


async def _refuse_not_editable(session: AsyncSession, order: Order) -> None:
    lifecycle.refuse_if_closed(order, field=["orderId"])
    if order.kind is OrderKind.CART:
        raise DomainError(ErrorCode.NOT_EDITABLE, "Carts are changed through the cart mutations.", ["orderId"])
    if order.kind is OrderKind.ORDER and not order.is_complete:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"The checkout of {order.public_id} is not complete.", ["orderId"])
    state = await session.get(State, order.state_id) if order.state_id is not None else None
    if state is None or not state.allow_edit:
        where = f"state {state.name}" if state is not None else "no state (its checkout is not complete)"
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is in {where}, which does not allow edits.")


async def _keep_version(
    session: AsyncSession, *, order: Order, now: datetime.datetime, actor: str | None
) -> OrderVersion:
    """Snapshot the order as it is now into the next version."""
    latest = await session.scalar(sa.select(sa.func.max(OrderVersion.number)).where(OrderVersion.order_id == order.id))
    version = OrderVersion(
        order_id=order.id,
        number=(latest or 0) + 1,
        created_at=now,
        actor=actor,
        snapshot=await versions.current_snapshot(session, order=order),
    )
    session.add(version)
    return version


def _apply_details(order: Order, changes: Changes) -> list[str]:
    """Set the addresses and the comment; a summary phrase per part changed."""
    summary = []
    for prefix, values in (("customer", changes.customer), ("delivery", changes.delivery)):
        if values:
            checked = validation.texts_fit(Order, values, column_prefix=f"{prefix}_", field=["input", prefix])
            for name, value in checked.items():
                setattr(order, f"{prefix}_{name}", value)
            summary.append(f"{prefix} details ({', '.join(validation.camel(name) for name in checked)})")
    if changes.comment is not None:
        order.comment = validation.text_fits(Order.comment, changes.comment, field=["input", "comment"])
        summary.append("comment")
    if changes.reference is not None:
        order.reference = validation.text_fits(Order.reference, changes.reference, field=["input", "reference"])
        summary.append("reference")
    return summary


async def _apply_custom_fields(session: AsyncSession, order: Order, changes: Changes) -> list[str]:
    if not changes.custom_fields:
        return []
    await custom_fields.write_values(
        session, order_id=order.id, line_id=None, values=changes.custom_fields, field=["input", "customFields"]
    )
    return [f"custom fields ({', '.join(value.system_name for value in changes.custom_fields)})"]


async def _apply_lines(
    session: AsyncSession, order: Order, lines: Sequence[OrderLine], changes: Changes, *, now: datetime.datetime
) -> list[str]:
    returned = await edit_lines.returned_by_line(session, order_id=order.id) if changes.lines else {}
    editor = edit_lines.LineEditor(session, order=order, lines=lines, returned=returned, now=now)
    for position, change in enumerate(changes.lines):
        await editor.change(change, field=["input", "lines", str(position)])
    for position, line_id in enumerate(changes.remove_discount_line_ids):
        await editor.remove_discount(line_id, field=["input", "removeDiscountLineIds", str(position)])
    for position, discount in enumerate(changes.add_order_discounts):
        await editor.add_order_discount(discount, field=["input", "addOrderDiscounts", str(position)])
    return editor.summary


async def _apply_methods(
    session: AsyncSession,
    *,
    order: Order,
    payment_method_id: str | None,
    shipping_method_id: str | None,
    field: Sequence[str],
) -> list[str]:
    """Set the given payment and shipping methods (the caller computes the fees again); a summary phrase each.

    NOT_FOUND for an unknown or inactive method; INVALID for a new payment method on an order whose
    money already moved through its provider (the ledger belongs to that provider).
    """
    summary = []
    if payment_method_id is not None:
        payment = await _active_method(session, PaymentMethod, payment_method_id, [*field, "paymentMethodId"])
        if payment.id != order.payment_method_id and await _has_moved_money(session, order):
            raise invalid(
                f"The payment of {order.public_id} went through its payment method already: it stays.",
                [*field, "paymentMethodId"],
            )
        order.payment_method_id = payment.id
        summary.append(f"payment method {payment.name}")
    if shipping_method_id is not None:
        shipping = await _active_method(session, ShippingMethod, shipping_method_id, [*field, "shippingMethodId"])
        order.shipping_method_id = shipping.id
        summary.append(f"shipping method {shipping.name}")
    return summary


async def _active_method(session: AsyncSession, model: type[Method], method_id: str, field: Sequence[str]) -> Method:
    method = await session.get(model, int(method_id)) if method_id.isdigit() and len(method_id) < 10 else None
    if method is None or not method.is_active:
        raise not_found(model.__name__, method_id, field)
    return method


async def _has_moved_money(session: AsyncSession, order: Order) -> bool:
    """Whether the order has a transaction that is not FAILED (money authorized, moved, or in flight)."""
    found = await session.scalar(
        sa.select(Transaction.id)
        .where(Transaction.order_id == order.id, Transaction.status != TransactionStatus.FAILED)
        .limit(1)
    )
    return found is not None
