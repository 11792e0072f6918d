"""Refunding a received return through the order's provider, with the refund's three-phase machinery.

`engine.run` does the work, as for `refunds.refund`, with the return as the movement's
`Subject`: phase 1 reads the return under the order's lock and ties it to the PENDING REFUND row;
settling that row (`return_states.conclude_refund`) makes the return REFUNDED, or leaves it as it
was when the provider declined.

The default amount is what the returned lines were paid (`share`), capped at what is refundable;
an explicit amount may be anything up to what is captured and not refunded (a return may also
refund the shipping, say). Only RECEIVED returns are refunded: Shopify lets a refund precede
receipt, but a refunded return would then still have to be received and restocked, a status the
contract does not have; receive first, then refund.

    NOT_FOUND                an unknown return (field returnId)
    TRANSITION_NOT_ALLOWED   the return is REQUESTED (receive it first) or REJECTED
    ALREADY_DONE             the return is refunded already, or its refund is pending at the provider
    and every code of `refunds.plan`: AMOUNT_EXCEEDS_AVAILABLE, PROVIDER_UNSUPPORTED, INVALID; then
    PROVIDER_DECLINED, and IDEMPOTENCY_CONFLICT for a key used with another request (scope refundReturn)
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.enums import OrderLineType, ReturnStatus, TransactionKind
from models.orders import Order, OrderLine
from models.payments import Transaction
from models.returns import Return
from resolvers.core import orders
from resolvers.core.errors import DomainError, ErrorCode, not_found
from resolvers.payments import engine, payment_providers, refunds
from resolvers.payments.engine import Facts, Movement, Plan, Sessions
from resolvers.returns import returns

SCOPE = "refundReturn"


@dataclasses.dataclass(frozen=True, slots=True)
class Refunded:
    """The answer: the return's internal id when it was found, and an error if any."""

    return_id: int | None
    error: DomainError | None = None


async def refund(
    sessions: Sessions,
    *,
    providers: payment_providers.Providers,
    return_id: str,
    amount: Decimal | None,
    idempotency_key: str | None,
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> Refunded:
    """Refund a received return (`amount` or, by default, what its lines were paid) through the provider."""
    key = returns.parse_id(return_id)
    async with sessions() as session:
        found = await session.get(Return, key) if key is not None else None
        order = await session.get(Order, found.order_id) if found is not None else None
    if found is None or order is None:
        return Refunded(None, not_found("Return", return_id, ["returnId"]))
    keyed = None
    if idempotency_key is not None:
        request = {"returnId": return_id, "amount": None if amount is None else str(amount)}
        try:
            keyed = await engine.claim_key(sessions, scope=SCOPE, key=idempotency_key, request=request, now=now)
        except DomainError as error:
            return Refunded(found.id, error)
    movement = Movement(
        kind=TransactionKind.REFUND,
        validate=lambda facts: plan(facts, amount=amount),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
        note=f"return {found.id}",
        keyed=keyed,
        subject=_ReturnToRefund(found.id),
    )
    outcome = await engine.run(sessions, providers=providers, public_id=order.public_id, movement=movement)
    return Refunded(found.id, outcome.error)


def plan(facts: Facts, *, amount: Decimal | None) -> Plan:
    """How much to refund for the return (`facts.subject`), or the coded reason it cannot be refunded."""
    loaded: _Loaded = facts.subject
    if amount is None:
        refundable = refunds.plan(facts, amount=None).amount
        assert refundable is not None, "a refund plan always moves money"
        amount = min(loaded.share, refundable)
    return refunds.plan(facts, amount=amount)


def share(*, order_lines: Sequence[OrderLine], returned: Mapping[int, Decimal], minor_unit: int) -> Decimal:
    """What the returned quantities (by order line id) were paid, with VAT, in the order's currency.

    Per returned line: its part of the line's price after the line's discounts and its pro-rata part
    of the order discounts, rounded to the minor unit; then summed. Without discounts that is the
    returned quantity times the unit price with VAT. Fees (payment, shipping) are not part of it.
    """
    products = {line.id: line for line in order_lines if line.type is OrderLineType.PRODUCT}
    net: defaultdict[int, Decimal] = defaultdict(Decimal)
    order_discount = Decimal(0)
    for line in order_lines:
        if line.type is OrderLineType.PRODUCT:
            net[line.id] += line.price.with_vat
        elif line.type is OrderLineType.DISCOUNT and line.parent_line_id is not None:
            net[line.parent_line_id] += line.price.with_vat
        elif line.type is OrderLineType.DISCOUNT:
            order_discount += line.price.with_vat
    subtotal = sum(net.values(), Decimal(0))
    total = Decimal(0)
    for line_id, quantity in returned.items():
        line = products[line_id]
        if subtotal <= 0 or line.quantity <= 0:
            continue
        # One division, so the only rounding is the per-line one.
        paid = net[line_id] * quantity * (subtotal + order_discount) / (line.quantity * subtotal)
        total += money.round_money(paid, minor_unit=minor_unit)
    return total


@dataclasses.dataclass(frozen=True, slots=True)
class _Loaded:
    returned: Return
    share: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class _ReturnToRefund:
    """The return as the refund movement's `Subject`."""

    return_id: int

    async def load(self, session: AsyncSession, order: Order) -> _Loaded:
        returned = await session.get(Return, self.return_id, populate_existing=True)
        if returned is None or returned.order_id != order.id:
            raise not_found("Return", self.return_id, ["returnId"])
        _check_refundable(returned)
        quantities: defaultdict[int, Decimal] = defaultdict(Decimal)
        for line, order_line in await returns.lines_with_order_lines(session, returned.id):
            quantities[order_line.id] += line.quantity
        order_lines = await orders.lines_of(session, order_id=order.id)
        return _Loaded(
            returned, share(order_lines=order_lines, returned=quantities, minor_unit=order.currency_minor_unit)
        )

    async def reserved(self, session: AsyncSession, loaded: _Loaded, transaction: Transaction) -> None:
        loaded.returned.refund_transaction_id = transaction.id
        await session.flush()


def _check_refundable(returned: Return) -> None:
    if returned.status is ReturnStatus.REFUNDED:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Return {returned.id} is refunded already.")
    if returned.refund_transaction_id is not None:
        raise DomainError(ErrorCode.ALREADY_DONE, f"The refund of return {returned.id} is pending at the provider.")
    if returned.status is ReturnStatus.REQUESTED:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"Return {returned.id} is not received yet: receive it, then refund it."
        )
    if returned.status is ReturnStatus.REJECTED:
        raise DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"Return {returned.id} is rejected: it cannot be refunded.")
