"""The JSON body of a delivery: `{"type", "timestamp", "data": {"order": …}}`, built when it is written.

`data.order` carries the order's public fields under the names of the GraphQL `Order` type, money as
exact strings; staff data (comment, events, ip, versions) never leaves. The bodies of one commit are
built with a fixed number of statements, however many orders it touched.
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import money
from models.catalog import PaymentMethod
from models.enums import WebhookEvent
from models.flows import State
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.payments import delta, ledger

_ADDRESS_FIELDS = ("company", "first_name", "surname", "name", "zip", "city", "country_code", "phone", "email")


def body(*, event: WebhookEvent, at: datetime.datetime, order: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event.value, "timestamp": at.isoformat(), "data": {"order": order, **data}}


def orders_by_id(session: Session, order_ids: Iterable[int], *, now: datetime.datetime) -> dict[int, dict[str, Any]]:
    """The public view of each order, by key, as the store has it now (flushed); its money as it stands at `now`."""
    keys = set(order_ids)
    rows = session.scalars(sa.select(Order).where(Order.id.in_(keys)).execution_options(populate_existing=True)).all()
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for line in session.scalars(sa.select(OrderLine).where(OrderLine.order_id.in_(keys)).order_by(OrderLine.id)):
        lines[line.order_id].append(line)
    transactions: dict[int, list[Transaction]] = defaultdict(list)
    for transaction in session.scalars(sa.select(Transaction).where(Transaction.order_id.in_(keys))):
        transactions[transaction.order_id].append(transaction)
    states = _by_id(session, State, {row.state_id for row in rows if row.state_id is not None})
    methods = _by_id(session, PaymentMethod, {row.payment_method_id for row in rows if row.payment_method_id})
    return {
        row.id: _order(
            row,
            lines=lines[row.id],
            transactions=transactions[row.id],
            state=states.get(row.state_id) if row.state_id is not None else None,
            provider=methods[row.payment_method_id].provider if row.payment_method_id in methods else None,
            now=now,
        )
        for row in rows
    }


def _order(
    order: Order,
    *,
    lines: Sequence[OrderLine],
    transactions: Sequence[Transaction],
    state: State | None,
    provider: str | None,
    now: datetime.datetime,
) -> dict[str, Any]:
    amounts = ledger.amounts(transactions, now=now)
    return {
        "id": order.public_id,
        "kind": order.kind.value,
        "complete": order.is_complete,
        "cancelled": order.is_cancelled,
        "deleted": order.is_deleted,
        "createdAt": _time(order.created_at),
        "modifiedAt": _time(order.modified_at),
        "completedAt": _time(order.completed_at),
        "revision": order.revision,
        "customerId": order.customer_id,
        "customer": {_camel(name): getattr(order, f"customer_{name}") for name in _ADDRESS_FIELDS},
        "state": {"id": str(state.id), "name": state.name} if state is not None else None,
        "quoteStatus": order.quote_status.value if order.quote_status is not None else None,
        "currency": {"code": order.currency_code},
        "subtotal": _price(order.subtotal),
        "discountTotal": _price(order.discount_total),
        "shippingFee": _price(order.shipping_fee),
        "paymentFee": _price(order.payment_fee),
        "total": _price(order.total),
        "captureState": delta.capture_state(delta.position(order, amounts), provider_name=provider).value,
        "authorizedAmount": _money(money.round_money(amounts.authorized, minor_unit=order.currency_minor_unit)),
        "capturedAmount": _money(money.round_money(amounts.captured, minor_unit=order.currency_minor_unit)),
        "refundedAmount": _money(money.round_money(amounts.refunded, minor_unit=order.currency_minor_unit)),
        "trackingNumber": order.tracking_number,
        "lines": [_line(line) for line in lines],
    }


def _line(line: OrderLine) -> dict[str, Any]:
    return {
        "id": str(line.id),
        "type": line.type.value,
        "productNumber": line.product_number,
        "productName": line.product_name,
        "quantity": _money(line.quantity),
        "unitPrice": _price(line.unit_price),
        "price": _price(line.price),
    }


def _by_id(session: Session, model: Any, keys: set[int]) -> dict[int, Any]:
    if not keys:
        return {}
    return {row.id: row for row in session.scalars(sa.select(model).where(model.id.in_(keys)))}


def _price(price: money.Price) -> dict[str, str]:
    return {
        "withVat": _money(price.with_vat),
        "withoutVat": _money(price.without_vat),
        "vat": _money(price.vat),
        "vatPercent": _money(price.vat_percent),
    }


def _money(value: decimal.Decimal) -> str:
    """The API's Decimal string: at least two places, no trailing zeros beyond them ("73.85", "0.125")."""
    value = abs(value) if value.is_zero() else value
    places = max(2, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
    return format(value.quantize(decimal.Decimal(1).scaleb(-places)), "f")


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
