"""Quotes: a cart submitted for a quote, edited and offered by admins, accepted or rejected by its customer.

    CART ──submit──▶ QUOTE (OPEN, default QUOTE state) ──changeState (admins)──▶ a state with allowOrder
                                        │                                              │
                                        └──reject──▶ REJECTED (final)          accept ─┴─▶ ORDER (ACCEPTED)

Accepting is checkout's authorization (`checkout.complete`, a movement of the money engine) with
a `prepare` step that turns the quote into a started checkout on the locked order, in the plan's
savepoint: a refusal there (out of stock, no payment method) leaves the quote as it was. A
declined payment leaves an accepted, uncompleted ORDER, as a declined checkout does; accepting
again (by either id) or `completeCheckout` retries the payment.

Codes: a quote whose state does not allow ordering is TRANSITION_NOT_ALLOWED; a quote without a
payment method is INVALID at `paymentMethodId`, naming the quote (the customer sets it with
`setCartDetails`, an admin with `edit`); a rejected quote is NOT_EDITABLE for everything but a
second rejection, which is ALREADY_DONE, as is accepting a completed one. Who may act: the quote's
customer (CUSTOMER token), whoever holds its secret, and admins; anyone else gets NOT_FOUND, as
for a missing quote.
"""

from __future__ import annotations

import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import FlowKind, OrderKind, OrderLineType, QuoteStatus, WebhookEvent
from models.flows import State
from models.orders import Order
from resolvers.core import access, events, notifications, orders, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid
from resolvers.fulfilment import flows, state_changes
from resolvers.payments import payment_providers
from resolvers.storefront import checkout, pricing

EVENT_SOURCE = "quote"


async def submit(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    comment: str | None,
    viewer: access.Viewer,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Turn a cart into an OPEN quote with a new QUOTE id in the default state of the default QUOTE flow.

    Raises NOT_FOUND, NOT_EDITABLE (not a cart, or its checkout is under way), INVALID (no products).
    """
    order = await orders.get_visible(
        session, cart_id, viewer=viewer, secret=secret, now=now, for_update=True, with_pricing_rows=True,
        field=["cartId"],
    )  # fmt: skip
    if order.kind is not OrderKind.CART or order.is_complete or order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not a cart.", ["cartId"])
    lines = await orders.lines_of(session, order_id=order.id)
    if not any(line.type is OrderLineType.PRODUCT for line in lines):
        raise invalid("The cart has no products to quote.", ["cartId"])
    customer_comment = validation.text_fits(Order.customer_comment, comment, field=["comment"])
    state = await flows.default_state(session, kind=FlowKind.QUOTE)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    cart_public_id = order.public_id
    await orders.issue_id(session, order=order, kind=OrderKind.QUOTE, now=now)
    order.quote_status = QuoteStatus.OPEN
    order.flow_id, order.state_id = state.flow_id, state.id
    if customer_comment is not None:
        order.customer_comment = customer_comment
    orders.touch(order, now=now)
    message = f"Quote requested: cart {cart_public_id} became {order.public_id}."
    notifications.notify(session, event=WebhookEvent.QUOTE_SUBMITTED, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await state_changes.on_state_changed(session, state=state, orders=[order], now=now)
    await session.flush()
    return order


async def accept(
    sessions: async_sessionmaker[AsyncSession],
    *,
    quote_id: str,
    secret: str | None,
    viewer: access.Viewer,
    providers: payment_providers.Providers,
    timeout_seconds: float,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Accept a quote: it becomes a complete ORDER with a new id, its stock taken and its payment authorized.

    Commits its own transactions, as `checkout.complete` does. Raises NOT_FOUND,
    TRANSITION_NOT_ALLOWED, NOT_EDITABLE, ALREADY_DONE and whatever checkout's completion raises.
    """

    async def to_checkout(session: AsyncSession, order: Order, at: datetime.datetime) -> None:
        await _start_checkout(session, order=order, now=at, actor=actor)

    try:
        return await checkout.complete(
            sessions, order_id=quote_id, secret=secret, viewer=viewer, idempotency_key=None, providers=providers,
            timeout_seconds=timeout_seconds, now=now, actor=actor, prepare=to_checkout,
        )  # fmt: skip
    except DomainError as error:
        if error.field == ["orderId"]:
            error.field = ["quoteId"]
        raise


async def reject(
    session: AsyncSession,
    *,
    quote_id: str,
    secret: str | None,
    reason: str | None,
    viewer: access.Viewer,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Mark an open quote REJECTED with the customer's reason; nothing more can be done to it.

    Raises NOT_FOUND, ALREADY_DONE (rejected before), NOT_EDITABLE (not an open quote), INVALID.
    """
    order = await orders.get_visible(
        session, quote_id, viewer=viewer, secret=secret, now=now, for_update=True, field=["quoteId"]
    )
    if order.quote_status is QuoteStatus.REJECTED:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is rejected already.", ["quoteId"])
    _refuse_unless_open_quote(order)
    reason = validation.text_fits(Order.quote_rejection_reason, reason, field=["reason"])
    order.quote_status = QuoteStatus.REJECTED
    order.quote_rejection_reason = reason
    orders.touch(order, now=now)
    message = f"Quote rejected: {reason}" if reason else "Quote rejected."
    notifications.notify(session, event=WebhookEvent.QUOTE_REJECTED, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await session.flush()
    return order


async def _start_checkout(session: AsyncSession, *, order: Order, now: datetime.datetime, actor: str | None) -> None:
    """Turn an open quote in a state that allows ordering into a started checkout with a new ORDER id.

    An accepted quote whose payment did not go through is a started checkout already: it is left as it is.
    """
    if order.kind is OrderKind.ORDER and order.quote_status is QuoteStatus.ACCEPTED:
        return
    if order.quote_status is QuoteStatus.REJECTED:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} was rejected.", ["quoteId"])
    _refuse_unless_open_quote(order)
    state = await session.get(State, order.state_id) if order.state_id is not None else None
    if state is None or not state.allow_order:
        where = f"state {state.name}" if state is not None else "no state"
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED,
            f"{order.public_id} is in {where}, which does not allow ordering yet.",
            ["quoteId"],
        )
    if order.payment_method_id is None:
        # Refused before the quote gets its ORDER id, so the error names the record by the id it keeps.
        raise invalid(f"Choose a payment method for {order.public_id} before accepting it.", ["paymentMethodId"])
    quote_public_id = order.public_id
    await orders.issue_id(session, order=order, kind=OrderKind.ORDER, now=now)
    order.quote_status = QuoteStatus.ACCEPTED
    order.checkout_started_at = now
    orders.touch(order, now=now)
    message = f"Quote accepted: {quote_public_id} became {order.public_id}."
    notifications.notify(session, event=WebhookEvent.QUOTE_ACCEPTED, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await session.flush()


def _refuse_unless_open_quote(order: Order) -> None:
    if order.kind is not OrderKind.QUOTE or order.quote_status is not QuoteStatus.OPEN:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not an open quote.", ["quoteId"])
    if order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is cancelled or deleted.", ["quoteId"])
