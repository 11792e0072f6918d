"""Importing orders from external channels (point of sale, marketplaces): `importOrders`.

Each input is judged alone, in its own savepoint, and answers one outcome in request order:

- a new `(channel, externalId)` becomes a completed ORDER: a new id from the sequence, its lines
  priced from the catalogue in the given currency at that currency's rate (as carts price them),
  fees from the chosen methods, and the given state (an ORDER state that is not deleted) or the
  default state of the default ORDER flow;
- a `(channel, externalId)` imported before answers that order and changes nothing. Two imports
  of one key racing each other meet at the unique constraint on the pair: the loser's savepoint
  is rolled back and it answers the winner's order.

Decisions a caller should know:

- Stock is taken as checkout takes it: an input with a line asking for more than is in stock
  is refused OUT_OF_STOCK at that line's quantity and nothing of that order is written, so an
  import can never take stock below zero (a channel selling beyond it re-imports after restocking).
- `paid` records a SUCCEEDED AUTHORIZE and CAPTURE of the total with provider "external" and no
  provider call, so capturedAmount is the total. The capture state follows the payment method,
  as for every order: CAPTURED with a capturing provider, NOT_SUPPORTED with `manual` or none.
  Money paid outside is refunded outside: the provider never saw it.
- Inactive products and methods are accepted (the channel sold them); unknown ones are NOT_FOUND.
- No state mail is queued for an imported order: the channel's customer has their receipt.
- The channel's id is the order's `externalId` and also its `integrationOrderId` (DynamicWeb's name).

Field paths name the mutation argument: `["orders", "0", "lines", "1", "productId"]`.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import PaymentMethod, Product, ShippingMethod
from models.enums import FlowKind, TransactionKind, TransactionStatus, WebhookEvent
from models.flows import Flow, State
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.channels import completed
from resolvers.core import bulk, events, notifications, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.fulfilment import flows
from resolvers.setup import catalog, custom_fields, stock
from resolvers.storefront import carts, pricing

EVENT_SOURCE = "import"
EXTERNAL_PROVIDER = "external"
PAID_OUTSIDE = "paid outside ordergraph"
MAX_ORDERS = bulk.MAX_IDS
MAX_LINES = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class ImportInput:
    """One order as the channel knows it; addresses are snake_case ADDRESS_FIELDS names."""

    channel: str
    external_id: str
    lines: Sequence[carts.LineInput]
    created_at: datetime.datetime | None = None
    customer: Mapping[str, str | None] | None = None
    delivery: Mapping[str, str | None] | None = None
    currency_code: str | None = None
    payment_method_id: str | None = None
    shipping_method_id: str | None = None
    is_paid: bool = False
    state_id: str | None = None


async def import_orders(
    session: AsyncSession, *, inputs: Sequence[ImportInput], now: datetime.datetime, actor: str | None
) -> list[bulk.Outcome]:
    """Import each order, one outcome per input in request order (see the module docstring).

    Raises INVALID for an empty or oversized list (the whole request). Per input: INVALID (a bad
    quantity, an over-long text, a custom field, no lines), NOT_FOUND (a product, currency, method
    or state), TRANSITION_NOT_ALLOWED (a state of another kind, or deleted), OUT_OF_STOCK (a line
    asking for more than is in stock).
    """
    if not inputs:
        raise invalid("Give at least one order to import.", ["orders"])
    if len(inputs) > MAX_ORDERS:
        raise invalid(f"At most {MAX_ORDERS} orders may be imported at once.", ["orders"])
    return [
        await _import_one(session, given=given, field=["orders", str(position)], now=now, actor=actor)
        for position, given in enumerate(inputs)
    ]


async def find_imported(session: AsyncSession, *, channel: str, external_id: str) -> Order | None:
    """The order imported from `channel` under `external_id`, or None."""
    return await session.scalar(
        sa.select(Order).where(Order.import_channel == channel, Order.external_id == external_id)
    )


async def _import_one(
    session: AsyncSession, *, given: ImportInput, field: list[str], now: datetime.datetime, actor: str | None
) -> bulk.Outcome:
    try:
        channel, external_id = _key(given, field)
        existing = await find_imported(session, channel=channel, external_id=external_id)
        if existing is not None:
            return bulk.Outcome(existing.public_id, existing)
        try:
            async with session.begin_nested():
                order = await _create(session, given=given, key=(channel, external_id), field=field, now=now)
                _record_events(session, order=order, given=given, actor=actor, now=now)
                await session.flush()
        except sa.exc.IntegrityError:
            # A concurrent import of the same key committed first; its order is the answer.
            winner = await find_imported(session, channel=channel, external_id=external_id)
            if winner is None:
                raise
            return bulk.Outcome(winner.public_id, winner)
    except DomainError as error:
        return bulk.Outcome(f"{given.channel}:{given.external_id}", error=error)
    return bulk.Outcome(order.public_id, order)


def _key(given: ImportInput, field: list[str]) -> tuple[str, str]:
    channel = validation.text_fits(Order.import_channel, given.channel, field=[*field, "channel"])
    external_id = validation.text_fits(Order.external_id, given.external_id, field=[*field, "externalId"])
    if channel is None:
        raise invalid("The channel may not be blank.", [*field, "channel"])
    if external_id is None:
        raise invalid("The external id may not be blank.", [*field, "externalId"])
    return channel, external_id


async def _create(
    session: AsyncSession, *, given: ImportInput, key: tuple[str, str], field: list[str], now: datetime.datetime
) -> Order:
    """Check the input, then write the completed order with its lines, stock and payment."""
    shop = await catalog.default_shop(session)
    code = given.currency_code or shop.default_currency_code
    currency = await catalog.currency(session, code, field=[*field, "currencyCode"])
    state = await _state(session, given.state_id, [*field, "stateId"])
    products = await _line_products(session, given.lines, field)
    await _require_method(session, PaymentMethod, given.payment_method_id, [*field, "paymentMethodId"])
    await _require_method(session, ShippingMethod, given.shipping_method_id, [*field, "shippingMethodId"])
    # A racing import of the same key stops in new_order, before any stock is locked.
    order = await completed.new_order(
        session,
        state=state,
        created_at=given.created_at or now,
        now=now,
        shop_id=shop.id,
        import_channel=key[0],
        external_id=key[1],
        # DynamicWeb's OrderIntegrationOrderId: the id the order has in the system it came from.
        integration_order_id=key[1],
        payment_method_id=flows.parse_id(given.payment_method_id) if given.payment_method_id else None,
        shipping_method_id=flows.parse_id(given.shipping_method_id) if given.shipping_method_id else None,
        **_addresses(given, field),
        **catalog.currency_values(currency),
    )
    lines = await _add_lines(session, order=order, given=given.lines, products=products, field=field, now=now)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    await stock.take(session, order=order, lines=lines, field=field)
    if given.is_paid and order.total.with_vat > 0:
        _record_payment_outside(session, order=order, now=now)
    return order


async def _line_products(
    session: AsyncSession, lines: Sequence[carts.LineInput], field: list[str]
) -> dict[str, Product]:
    """Every line's product by its id as given, with quantities and units checked."""
    if not lines:
        raise invalid("An imported order has at least one line.", [*field, "lines"])
    if len(lines) > MAX_LINES:
        raise invalid(f"An imported order has at most {MAX_LINES} lines.", [*field, "lines"])
    products = await catalog.products_by_id(session, {line.product_id.strip() for line in lines}, only_active=False)
    for position, line in enumerate(lines):
        path = [*field, "lines", str(position)]
        if line.product_id.strip() not in products:
            raise not_found("Product", line.product_id, [*path, "productId"])
        validation.positive_quantity(line.quantity, field=[*path, "quantity"])
        validation.text_fits(OrderLine.unit_id, line.unit_id, field=[*path, "unitId"])
    return products


async def _add_lines(
    session: AsyncSession,
    *,
    order: Order,
    given: Sequence[carts.LineInput],
    products: Mapping[str, Product],
    field: list[str],
    now: datetime.datetime,
) -> list[OrderLine]:
    """One product line per input line, in input order, with its custom fields."""
    lines = [
        completed.add_product_line(
            session,
            order,
            product=products[line_input.product_id.strip()],
            quantity=line_input.quantity,
            unit_id=validation.text_fits(OrderLine.unit_id, line_input.unit_id, field=[]),
            sort_order=position + 1,
            now=now,
        )
        for position, line_input in enumerate(given)
    ]
    await session.flush()
    for position, (line, line_input) in enumerate(zip(lines, given, strict=True)):
        if line_input.custom_fields:
            await custom_fields.write_values(
                session, order_id=order.id, line_id=line.id, values=line_input.custom_fields,
                field=[*field, "lines", str(position), "customFields"],
            )  # fmt: skip
    return lines


async def _state(session: AsyncSession, state_id: str | None, field: list[str]) -> State:
    """The given state, which must be a state of an ORDER flow that takes orders; else the default ORDER state."""
    if state_id is None:
        return await flows.default_state(session, kind=FlowKind.ORDER)
    key = flows.parse_id(state_id)
    row = (
        await session.execute(sa.select(State, Flow.kind).join(Flow, Flow.id == State.flow_id).where(State.id == key))
    ).first()
    if key is None or row is None:
        raise not_found("State", state_id, field)
    state, kind = row
    if kind is not FlowKind.ORDER:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"State {state.name} belongs to a {kind.value} flow, not ORDER.", field
        )
    if state.is_deleted:
        raise DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"State {state.name} is deleted.", field)
    return state


async def _require_method(
    session: AsyncSession, model: type[PaymentMethod] | type[ShippingMethod], method_id: str | None, field: list[str]
) -> None:
    if method_id is None:
        return
    key = flows.parse_id(method_id)
    if key is None or await session.get(model, key) is None:
        raise not_found(model.__name__, method_id, field)


def _addresses(given: ImportInput, field: list[str]) -> dict[str, str | None]:
    """The customer and delivery columns, every text checked against its column (all faults at once)."""
    values: dict[str, str | None] = {}
    for prefix, address in (("customer", given.customer), ("delivery", given.delivery)):
        checked = validation.texts_fit(Order, dict(address or {}), column_prefix=f"{prefix}_", field=[*field, prefix])
        values.update({f"{prefix}_{name}": value for name, value in checked.items()})
    return values


def _record_payment_outside(session: AsyncSession, *, order: Order, now: datetime.datetime) -> None:
    """An AUTHORIZE and a CAPTURE of the total, settled: the channel took the money, no provider is called."""
    for kind in (TransactionKind.AUTHORIZE, TransactionKind.CAPTURE):
        session.add(
            Transaction(
                order_id=order.id,
                kind=kind,
                status=TransactionStatus.SUCCEEDED,
                amount=order.total.with_vat,
                currency=order.currency_code,
                provider=EXTERNAL_PROVIDER,
                reference=f"og-import-{uuid.uuid4().hex}",
                message=PAID_OUTSIDE,
                created_at=order.created_at,
                settled_at=now,
            )
        )


def _record_events(
    session: AsyncSession,
    *,
    order: Order,
    given: ImportInput,
    actor: str | None,
    now: datetime.datetime,
) -> None:
    """What was imported and what was paid outside."""
    total = _shown(order.total.with_vat, order)
    lines = f"{len(given.lines)} line{'s' if len(given.lines) != 1 else ''}"
    message = f"Imported from {order.import_channel} as {order.external_id}: {lines}, total {total}."
    notifications.notify(session, event=WebhookEvent.ORDER_CREATED, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    if given.is_paid and order.total.with_vat > 0:
        message = f"Paid outside ordergraph: {total} captured."
        events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)


def _shown(amount: Decimal, order: Order) -> str:
    return money.shown(amount, currency_code=order.currency_code, minor_unit=order.currency_minor_unit)
