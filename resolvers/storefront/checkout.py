"""Checkout: start it (a cart becomes an ORDER), downgrade a changed checkout, and complete it.

Completing a checkout moves money, and a provider call never runs inside a held lock
(design.md, Payments), so `complete` runs in three steps:

    transaction 1 (order row locked)   claim the idempotency key, check everything, take the stock,
                                       reserve a PENDING AUTHORIZE for the total; commit
    no transaction                     call the provider with that row's reference, with a timeout
    transaction 2 (order row locked)   settle it: approved → complete, in the default ORDER state;
                                       declined → FAILED, stock given back, key released; commit

`complete` is therefore the one operation that owns its transactions: it takes the
session factory (`Database.write_sessions`) and opens one short transaction per step,
committed when the step ends, rolled back when it raises. The request's session is not
used: on SQLite it would hold the write lock (BEGIN IMMEDIATE) the steps need, so the
GraphQL layer opens it only afterwards, to read the payload. A crash between the steps
leaves the PENDING row and the taken stock for reconciliation. Every other operation here
flushes and leaves the commit to the request.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import money
from models.catalog import PaymentMethod
from models.enums import EventLevel, FlowKind, OrderKind, OrderLineType, TransactionKind, TransactionStatus
from models.flows import State
from models.orders import Order, OrderLine
from models.payments import IdempotencyRecord, Transaction
from resolvers.core import access, events, orders
from resolvers.core.errors import DomainError, ErrorCode, invalid
from resolvers.fulfilment import flows, state_changes
from resolvers.payments import idempotency, payment_providers, transaction_rows
from resolvers.setup import custom_fields, stock
from resolvers.storefront import pricing

IDEMPOTENCY_SCOPE = "completeCheckout"

# A step run on the locked order at the start of transaction 1 (see `complete`).
Prepare = Callable[[AsyncSession, Order, datetime.datetime], Awaitable[None]]

# The changes that turn an unfinished checkout back into a cart (DynamicWeb's list): payment
# country and region are the customer address's, delivery country and region the delivery
# address's; "customer" is the customer the record belongs to. Product lines are compared apart.
DOWNGRADING_FIELDS = (
    "customer_id",
    "customer_country",
    "customer_country_code",
    "customer_region",
    "delivery_country",
    "delivery_country_code",
    "delivery_region",
    "payment_method_id",
    "shipping_method_id",
    "voucher_code",
)
LINES = "lines"


def snapshot(order: Order, lines: Sequence[OrderLine]) -> dict[str, object]:
    """The values of an order the downgrade rule compares."""
    values: dict[str, object] = {name: getattr(order, name) for name in DOWNGRADING_FIELDS}
    values[LINES] = frozenset((line.id, line.quantity) for line in lines if line.type is OrderLineType.PRODUCT)
    return values


def downgrade_reasons(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """What changed that downgrades a checkout: a line added or removed, a quantity, or a listed field."""
    return [name for name in (LINES, *DOWNGRADING_FIELDS) if before.get(name) != after.get(name)]


async def downgrade_if_changed(
    session: AsyncSession,
    *,
    order: Order,
    before: Mapping[str, object],
    after: Mapping[str, object],
    now: datetime.datetime,
    actor: str | None,
) -> None:
    """Turn an unfinished checkout back into a cart, with a new CART id, when a listed change was made."""
    reasons = downgrade_reasons(before, after)
    if order.kind is not OrderKind.ORDER or order.is_complete or not reasons:
        return
    checkout_id = order.public_id
    await orders.issue_id(session, order=order, kind=OrderKind.CART, now=now)
    order.checkout_started_at = None
    message = f"Checkout {checkout_id} changed ({', '.join(reasons)}): downgraded to cart {order.public_id}."
    events.record(session, order_id=order.id, source="checkout", message=message, actor=actor, now=now)


async def start(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Turn a cart into an ORDER with a new id (the cart id keeps resolving); a started checkout is returned as it is.

    Raises NOT_EDITABLE for a quote or a cancelled or deleted record, ALREADY_DONE for a completed
    order and INVALID for a cart without products.
    """
    order = await orders.get_visible(session, cart_id, viewer=viewer, secret=secret, for_update=True, field=["cartId"])
    if order.is_complete:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is completed already.")
    if order.kind is OrderKind.ORDER and order.checkout_started_at is not None:
        return order  # a retried start: the checkout it started
    if order.kind is not OrderKind.CART or order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not a cart that can be checked out.")
    lines = await orders.lines_of(session, order_id=order.id)
    if not any(line.type is OrderLineType.PRODUCT for line in lines):
        raise invalid("The cart has no products.", ["cartId"])
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    cart_public_id = order.public_id
    await orders.issue_id(session, order=order, kind=OrderKind.ORDER, now=now)
    order.checkout_started_at = now
    orders.touch(order, now=now)
    message = (
        f"Checkout started: cart {cart_public_id} became {order.public_id} ({_shown(order.total.with_vat, order)})."
    )
    events.record(session, order_id=order.id, source="checkout", message=message, actor=actor, now=now)
    await session.flush()
    return order


@dataclasses.dataclass(frozen=True, slots=True)
class _Reservation:
    """What transaction 1 hands to the provider call and transaction 2."""

    order: Order
    transaction: Transaction
    provider: payment_providers.PaymentProvider
    claim_id: int | None
    flow_id: int
    state_id: int


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    *,
    order_id: str,
    secret: str | None,
    viewer: access.Viewer,
    idempotency_key: str | None,
    providers: payment_providers.Providers,
    timeout_seconds: float,
    clock: Callable[[], datetime.datetime],
    actor: str | None,
    prepare: Prepare | None = None,
) -> Order:
    """Authorize the total, take the stock, complete the order in the default ORDER state (see the module docstring).

    `prepare` runs in transaction 1 right after the order is locked and before any check: accepting a
    quote turns the quote into a started checkout there, so a refusal leaves the quote as it was.

    Raises PROVIDER_DECLINED (a FAILED transaction and events are kept, nothing else changes),
    OUT_OF_STOCK naming the line, ALREADY_DONE (completed, under way, or the provider's answer
    is not known yet), IDEMPOTENCY_CONFLICT, INVALID without a started checkout or payment method.
    """
    async with sessions.begin() as session:
        reserved = await _reserve(
            session, order_id=order_id, secret=secret, viewer=viewer, idempotency_key=idempotency_key,
            providers=providers, now=clock(), actor=actor, prepare=prepare,
        )  # fmt: skip
    if isinstance(reserved, Order):
        return reserved  # a replay: the first completion's order, nothing authorized again
    outcome: payment_providers.ProviderOutcome | None
    try:
        outcome = await transaction_rows.call_provider(
            reserved.provider, transaction=reserved.transaction, order=reserved.order,
            authorization_number=None, timeout_seconds=timeout_seconds, now=clock(),
        )  # fmt: skip
    except DomainError as unsupported:  # PROVIDER_UNSUPPORTED: settled as a failure, answered as itself
        outcome = payment_providers.ProviderOutcome(approved=False, message=unsupported.message)
        failure: DomainError | None = unsupported
    else:
        failure = None
    async with sessions.begin() as session:
        order, refusal = await _settle(session, reserved=reserved, outcome=outcome, now=clock(), actor=actor)
    if refusal is not None:
        raise failure or refusal
    return order


async def _reserve(
    session: AsyncSession,
    *,
    order_id: str,
    secret: str | None,
    viewer: access.Viewer,
    idempotency_key: str | None,
    providers: payment_providers.Providers,
    now: datetime.datetime,
    actor: str | None,
    prepare: Prepare | None = None,
) -> Order | _Reservation:
    """Transaction 1: check, take the stock and reserve a PENDING authorization; a replayed key's order instead."""
    order = await orders.get_visible(
        session, order_id, viewer=viewer, secret=secret, for_update=True, field=["orderId"]
    )
    if prepare is not None:
        await prepare(session, order, now)
    claim_id = None
    if idempotency_key is not None:
        claim = await idempotency.claim(
            session, scope=IDEMPOTENCY_SCOPE, key=idempotency_key, request={"order": order.id}, now=now
        )
        if claim.replay is not None:
            return order
        claim_id = claim.record_id
    await _refuse_unless_completable(session, order)
    method = await _payment_method(session, order)
    provider = _provider(providers, method)
    state = await flows.default_state(session, kind=FlowKind.ORDER)
    await _require_order_custom_fields(session, order=order)
    await stock.take(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
    amount = order.total.with_vat
    transaction = await transaction_rows.reserve(
        session, order=order, kind=TransactionKind.AUTHORIZE, amount=amount, provider_name=method.provider, now=now
    )
    orders.touch(order, now=now)
    message = f"Completing checkout: stock taken; authorizing {_shown(amount, order)} with {method.provider}."
    events.record(session, order_id=order.id, source="checkout", message=message, actor=actor, now=now)
    await session.flush()
    return _Reservation(order, transaction, provider, claim_id, state.flow_id, state.id)


async def _settle(
    session: AsyncSession,
    *,
    reserved: _Reservation,
    outcome: payment_providers.ProviderOutcome | None,
    now: datetime.datetime,
    actor: str | None,
) -> tuple[Order, DomainError | None]:
    """Transaction 2: record the provider's answer and complete the order, or undo the reservation's effects."""
    order = await session.get_one(Order, reserved.order.id, with_for_update=True, populate_existing=True)
    if outcome is None:
        message = "The payment provider did not answer in time; the authorization stays PENDING until reconciled."
        events.record(
            session,
            order_id=order.id,
            source="checkout",
            message=message,
            actor=actor,
            now=now,
            level=EventLevel.WARNING,
        )
        return order, DomainError(
            ErrorCode.ALREADY_DONE,
            "The payment provider did not answer in time. The payment is being confirmed: do not pay again; "
            "look at the order shortly.",
        )
    transaction = await transaction_rows.record_answer(
        session, transaction_id=reserved.transaction.id, outcome=outcome, actor=actor, now=now
    )
    if transaction.status is TransactionStatus.SUCCEEDED:
        await _mark_complete(session, order=order, reserved=reserved, now=now, actor=actor)
        return order, None
    await stock.give_back(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
    if reserved.claim_id is not None:
        await idempotency.release(session, record_id=reserved.claim_id)
    orders.touch(order, now=now)
    message = "Checkout not completed: the payment was declined; the stock is given back."
    events.record(
        session, order_id=order.id, source="checkout", message=message, actor=actor, now=now, level=EventLevel.WARNING
    )
    return order, transaction_rows.declined(outcome)


async def _mark_complete(
    session: AsyncSession, *, order: Order, reserved: _Reservation, now: datetime.datetime, actor: str | None
) -> None:
    if not order.is_complete:
        order.is_complete = True
        order.completed_at = now
        order.flow_id = reserved.flow_id
        order.state_id = reserved.state_id
        orders.touch(order, now=now)
        message = f"Checkout completed: {_shown(reserved.transaction.amount, order)} authorized."
        events.record(session, order_id=order.id, source="checkout", message=message, actor=actor, now=now)
        # Entering the default state is a state change like any other: its mails go out too.
        state = await session.get_one(State, reserved.state_id)
        await state_changes.on_state_changed(session, state=state, orders=[order], now=now)
    if reserved.claim_id is not None:
        await idempotency.finish(session, record_id=reserved.claim_id, result={"order": order.id})
    await session.flush()


async def conclude_reconciled_authorization(
    session: AsyncSession, *, order: Order, transaction: Transaction, now: datetime.datetime, actor: str | None
) -> None:
    """Finish a checkout whose authorization reconciliation settled (the order row is locked by the caller).

    Succeeded: the order is completed in the default ORDER state, as the on-line path does, and the
    completion's idempotency key replays it. Failed: the stock goes back and the key is released, so
    the shopper can pay again.
    """
    if order.is_complete or order.is_cancelled:
        return
    claim = await session.scalar(
        sa.select(IdempotencyRecord).where(
            IdempotencyRecord.scope == IDEMPOTENCY_SCOPE,
            IdempotencyRecord.request_hash == idempotency.request_hash({"order": order.id}),
            IdempotencyRecord.result.is_(None),
        )
    )
    if transaction.status is TransactionStatus.SUCCEEDED:
        state = await flows.default_state(session, kind=FlowKind.ORDER)
        reserved = _Reservation(order, transaction, None, claim.id if claim else None, state.flow_id, state.id)  # type: ignore[arg-type]
        await _mark_complete(session, order=order, reserved=reserved, now=now, actor=actor)
        return
    if order.is_stock_taken:
        await stock.give_back(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
    if claim is not None:
        await idempotency.release(session, record_id=claim.id)
    orders.touch(order, now=now)
    message = "Checkout not completed: the authorization failed (settled by reconciliation); the stock is given back."
    events.record(
        session, order_id=order.id, source="checkout", message=message, actor=actor, now=now, level=EventLevel.WARNING
    )
    await session.flush()


async def _refuse_unless_completable(session: AsyncSession, order: Order) -> None:
    if order.is_complete:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is completed already.")
    if order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is cancelled or deleted.")
    if order.kind is not OrderKind.ORDER or order.checkout_started_at is None:
        raise invalid(f"{order.public_id} is not a started checkout: start checkout first.", ["orderId"])
    if order.is_stock_taken or await _authorization_under_way(session, order.id):
        raise DomainError(ErrorCode.ALREADY_DONE, f"Checkout {order.public_id} is being completed; retry shortly.")


async def _authorization_under_way(session: AsyncSession, order_id: int) -> bool:
    """A PENDING authorization, or one that succeeded for an order not yet marked complete (reconciliation's)."""
    found = await session.scalar(
        sa.select(Transaction.id).where(
            Transaction.order_id == order_id,
            Transaction.kind == TransactionKind.AUTHORIZE,
            Transaction.status.in_([TransactionStatus.PENDING, TransactionStatus.SUCCEEDED]),
        )
    )
    return found is not None


async def _payment_method(session: AsyncSession, order: Order) -> PaymentMethod:
    method = await session.get(PaymentMethod, order.payment_method_id) if order.payment_method_id else None
    if method is None:
        raise invalid(f"Choose a payment method for {order.public_id} first.", ["orderId"])
    return method


def _provider(providers: payment_providers.Providers, method: PaymentMethod) -> payment_providers.PaymentProvider:
    try:
        return providers.get(method.provider)
    except payment_providers.UnsupportedOperation as error:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, str(error)) from error


def _shown(amount: Decimal, order: Order) -> str:
    """An amount as a person reads it: in the order's currency, to its minor unit."""
    return f"{money.round_money(amount, minor_unit=order.currency_minor_unit)} {order.currency_code}"


async def _require_order_custom_fields(session: AsyncSession, *, order: Order) -> None:
    """Required ORDER custom fields must have values before an order is placed."""
    await custom_fields.require_order_fields(session, order_id=order.id)
