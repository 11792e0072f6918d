"""Checkout: start it (a cart becomes an ORDER), downgrade a changed checkout, and complete it.

Completing a checkout moves money, so it is a movement of the one money engine (`engine`),
which owns its short transactions (design.md, Payments: no provider call under a lock):

    plan (order locked)          check everything and take the stock; the engine then reserves a
                                 PENDING AUTHORIZE for the total and commits
    provider call                no transaction, with a timeout
    settle (order locked)        `AUTHORIZATION`: approved → complete, in the default state of the
                                 default ORDER flow, its state mails queued; declined → FAILED, the
                                 stock given back; commit

`complete` takes the session factory (`Database.write_sessions`). The request's session is not
used: on SQLite it would hold the write lock (BEGIN IMMEDIATE) the steps need, so the GraphQL
layer opens it only afterwards, to read the payload. A crash between the steps leaves the
PENDING row and the taken stock; reconciliation settles the row with the same purpose. A
completion that failed (refused or declined) does not bind its idempotency key: the shopper fixes
the cause and pays again with the same key. Every other operation here flushes and leaves the
commit to the request.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import money
from models.enums import (
    EventLevel,
    FlowKind,
    OrderKind,
    OrderLineType,
    TransactionKind,
    TransactionStatus,
    WebhookEvent,
)
from models.orders import Order, OrderLine
from models.payments import Transaction
from resolvers.core import access, events, notifications, orders
from resolvers.core.errors import DomainError, ErrorCode, invalid
from resolvers.fulfilment import flows, state_changes
from resolvers.payments import engine, idempotency, payment_providers, purposes
from resolvers.payments.purposes import Settlement
from resolvers.setup import custom_fields, stock
from resolvers.storefront import pricing

IDEMPOTENCY_SCOPE = "completeCheckout"
EVENT_SOURCE = "checkout"

# A step run on the locked order before the checks (see `complete`).
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
    order = await orders.get_visible(
        session, cart_id, viewer=viewer, secret=secret, now=now, for_update=True, with_pricing_rows=True,
        field=["cartId"],
    )  # fmt: skip
    if order.is_complete:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is completed already.")
    if order.kind is OrderKind.ORDER and order.checkout_started_at is not None:
        return order  # a retried start: the checkout it started
    if order.kind is not OrderKind.CART or order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not a cart that can be checked out.")
    lines = await orders.lines_of(session, order_id=order.id)
    if not any(line.type is OrderLineType.PRODUCT for line in lines):
        raise invalid("The cart has no products.", ["cartId"])
    cart_public_id = order.public_id
    # The new id first: its number is written before anything of the order, which then changes in one UPDATE.
    await orders.issue_id(session, order=order, kind=OrderKind.ORDER, now=now)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    order.checkout_started_at = now
    orders.touch(order, now=now)
    message = (
        f"Checkout started: cart {cart_public_id} became {order.public_id} ({_shown(order.total.with_vat, order)})."
    )
    events.record(session, order_id=order.id, source="checkout", message=message, actor=actor, now=now)
    await session.flush()
    return order


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    *,
    order_id: str,
    secret: str | None,
    viewer: access.Viewer,
    idempotency_key: str | None,
    providers: payment_providers.Providers,
    timeout_seconds: float,
    now: datetime.datetime,
    actor: str | None,
    prepare: Prepare | None = None,
) -> Order:
    """Authorize the total, take the stock, complete the order in the default ORDER state (see the module docstring).

    `prepare` runs on the locked order before any check, in the plan's savepoint: accepting a quote
    turns the quote into a started checkout there, so a refusal leaves the quote as it was.

    Raises PROVIDER_DECLINED (a FAILED transaction and events are kept, nothing else changes),
    OUT_OF_STOCK naming the line, ALREADY_DONE (completed, under way, or the provider's answer
    is not known yet), IDEMPOTENCY_CONFLICT, INVALID without a started checkout or payment method.
    """

    async def find(session: AsyncSession, requested_id: str) -> Order:
        return await orders.get_visible(
            session, requested_id, viewer=viewer, secret=secret, now=now, for_update=True, with_pricing_rows=True,
            field=["orderId"],
        )  # fmt: skip

    async def prepare_and_plan(session: AsyncSession, facts: engine.Facts) -> engine.Plan:
        if prepare is not None:
            await prepare(session, facts.order, now)
        return await plan(session, facts, providers=providers, now=now, actor=actor)

    movement = engine.Movement(
        purpose=AUTHORIZATION, plan=prepare_and_plan, actor=actor, now=now, timeout_seconds=timeout_seconds,
        keyed=_keyed(order_id=order_id, secret=secret, viewer=viewer, key=idempotency_key, now=now),
        find=find, replays_failures=False, unanswered=_unanswered,
    )  # fmt: skip
    [outcome] = await engine.run(sessions, providers=providers, requested_ids=[order_id], movement=movement)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.order is not None, "a completion without an error has its order"
    return outcome.order


async def plan(
    session: AsyncSession,
    facts: engine.Facts,
    *,
    providers: payment_providers.Providers,
    now: datetime.datetime,
    actor: str | None,
) -> engine.Plan:
    """Check that the locked order can be completed and take its stock: the total is then authorized."""
    order = facts.order
    _refuse_unless_completable(order, facts.transactions)
    if facts.provider_name is None:
        raise invalid(f"Choose a payment method for {order.public_id} first.", ["orderId"])
    _require_installed(providers, facts.provider_name)
    # Refused here, before anything is taken, when no default ORDER state is set up to complete into.
    await flows.default_state(session, kind=FlowKind.ORDER)
    await custom_fields.require_order_fields(session, order_id=order.id)
    lines = await orders.lines_of(session, order_id=order.id)
    amount = order.total.with_vat
    order.is_stock_taken = True  # written with the rest; `take_stock` takes it, or refuses and all is undone
    orders.touch(order, now=now)
    message = f"Completing checkout: stock taken; authorizing {_shown(amount, order)} with {facts.provider_name}."
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await session.flush()

    async def take_stock(session: AsyncSession) -> None:
        # Every checkout of a product waits for its stock row: locked last, held to the commit only.
        await stock.take_lines(session, lines=lines)

    return engine.Plan(amount, last=take_stock)


class _Authorization:
    """A checkout's authorization (`purposes.Purpose`): approved, the order is complete; failed, its stock goes back."""

    kind = TransactionKind.AUTHORIZE

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        order = settled.order
        return order.kind is OrderKind.ORDER and not order.is_complete and not order.is_cancelled

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        order, now = settled.order, settled.now
        assert settled.transaction is not None, "an authorization has a row"
        state = await flows.default_state(session, kind=FlowKind.ORDER)
        order.is_complete = True
        order.completed_at = now
        order.flow_id, order.state_id = state.flow_id, state.id
        orders.touch(order, now=now)
        message = f"Checkout completed: {_shown(settled.transaction.amount, order)} authorized."
        events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=settled.actor, now=now)
        # Entering the default state is a state change like any other: its mails go out too.
        notifications.notify(session, event=WebhookEvent.ORDER_CREATED, order=order, now=now)
        await state_changes.on_state_changed(session, state=state, orders=[order], now=now)
        await session.flush()

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        order, now = settled.order, settled.now
        if order.is_stock_taken:
            await stock.give_back(session, order=order, lines=await orders.lines_of(session, order_id=order.id))
        orders.touch(order, now=now)
        why = "the authorization failed (settled by reconciliation)"
        if not settled.by_reconciliation:
            why = "the payment was declined"
        message = f"Checkout not completed: {why}; the stock is given back."
        events.record(
            session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=settled.actor, now=now,
            level=EventLevel.WARNING,
        )  # fmt: skip
        await session.flush()


AUTHORIZATION = purposes.register(_Authorization())


def _keyed(
    *, order_id: str, secret: str | None, viewer: access.Viewer, key: str | None, now: datetime.datetime
) -> idempotency.KeyedRequest | None:
    """The completion's key, its request the order's internal id: any of the order's ids replays it.

    The order is looked up in the claim's transaction (NOT_FOUND there, before the key is judged).
    """
    if key is None:
        return None

    async def request(session: AsyncSession) -> dict[str, object]:
        order = await orders.get_visible(session, order_id, viewer=viewer, secret=secret, now=now, field=["orderId"])
        return {"order": order.id}

    return idempotency.KeyedRequest(IDEMPOTENCY_SCOPE, key, request)


async def _unanswered(session: AsyncSession, settled: Settlement) -> DomainError:
    message = "The payment provider did not answer in time; the authorization stays PENDING until reconciled."
    events.record(
        session, order_id=settled.order.id, source=EVENT_SOURCE, message=message, actor=settled.actor,
        now=settled.now, level=EventLevel.WARNING,
    )  # fmt: skip
    return DomainError(
        ErrorCode.ALREADY_DONE,
        "The payment provider did not answer in time. The payment is being confirmed: do not pay again; "
        "look at the order shortly.",
    )


def _refuse_unless_completable(order: Order, transactions: list[Transaction]) -> None:
    if order.is_complete:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is completed already.")
    if order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is cancelled or deleted.")
    if order.kind is not OrderKind.ORDER or order.checkout_started_at is None:
        raise invalid(f"{order.public_id} is not a started checkout: start checkout first.", ["orderId"])
    # A PENDING authorization, or one that succeeded for an order not marked complete yet.
    under_way = any(
        t.kind is TransactionKind.AUTHORIZE and t.status in (TransactionStatus.PENDING, TransactionStatus.SUCCEEDED)
        for t in transactions
    )
    if order.is_stock_taken or under_way:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Checkout {order.public_id} is being completed; retry shortly.")


def _require_installed(providers: payment_providers.Providers, provider_name: str) -> None:
    try:
        providers.get(provider_name)
    except payment_providers.UnsupportedOperation as error:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, str(error)) from error


def _shown(amount: Decimal, order: Order) -> str:
    """An amount as a person reads it: in the order's currency, to its minor unit."""
    return money.shown(amount, currency_code=order.currency_code, minor_unit=order.currency_minor_unit)
