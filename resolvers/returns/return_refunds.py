"""Refunding a received return through the order's provider: a movement of the one engine (`engine`).

The movement's plan reads the return under the order's lock and ties it to the PENDING REFUND
row (`Plan.reserved`); its purpose, `RETURN_REFUND`, is a refund's (the order bumped, an event)
and concludes the return when the row is settled, at once or by reconciliation: SUCCEEDED makes
it REFUNDED, FAILED leaves it as it was (`return_states.conclude_refund`).

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
from resolvers.payments import engine, idempotency, payment_providers, purposes, refunds, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions
from resolvers.payments.purposes import Settlement
from resolvers.returns import return_states, returns

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
    request = {"returnId": return_id, "amount": None if amount is None else str(amount)}
    movement = Movement(
        purpose=RETURN_REFUND,
        plan=lambda session, facts: _plan(session, facts, return_id=found.id, amount=amount),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
        note=f"return {found.id}",
        keyed=idempotency.keyed(SCOPE, idempotency_key, request),
    )
    [outcome] = await engine.run(sessions, providers=providers, requested_ids=[order.public_id], movement=movement)
    return Refunded(found.id, outcome.error)


def plan(facts: Facts, *, paid: Decimal, amount: Decimal | None) -> Plan:
    """How much to refund for a return whose lines were `paid` (`share`), or the coded reason it cannot be refunded."""
    if amount is None:
        refundable = refunds.plan(facts, amount=None).amount
        assert refundable is not None, "a refund plan always moves money"
        amount = min(paid, refundable)
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


class _ReturnRefund:
    """A refund reserved for a return: a refund's effects, then the return concluded (`purposes.Purpose`)."""

    kind = TransactionKind.REFUND

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        assert settled.transaction is not None, "a refund has a row"
        return await return_states.refunded_by(session, settled.transaction) is not None

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        await settlement.REFUND.succeeded(session, settled)
        await self._conclude(session, settled)

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        await settlement.REFUND.failed(session, settled)
        await self._conclude(session, settled)

    async def _conclude(self, session: AsyncSession, settled: Settlement) -> None:
        assert settled.transaction is not None, "a refund has a row"
        await return_states.conclude_refund(
            session,
            order=settled.order,
            transaction=settled.transaction,
            actor=settled.actor,
            now=settled.now,
        )


RETURN_REFUND = purposes.register(_ReturnRefund())


async def _plan(session: AsyncSession, facts: Facts, *, return_id: int, amount: Decimal | None) -> Plan:
    """Read the return under the order's lock, plan its refund, and tie the return to the PENDING row."""
    order = facts.order
    returned = await session.get(Return, return_id, populate_existing=True)
    if returned is None or returned.order_id != order.id:
        raise not_found("Return", return_id, ["returnId"])
    _check_refundable(returned)
    quantities: defaultdict[int, Decimal] = defaultdict(Decimal)
    for line, order_line in await returns.lines_with_order_lines(session, returned.id):
        quantities[order_line.id] += line.quantity
    order_lines = await orders.lines_of(session, order_id=order.id)
    paid = share(order_lines=order_lines, returned=quantities, minor_unit=order.currency_minor_unit)

    async def tie(session: AsyncSession, transaction: Transaction) -> None:
        returned.refund_transaction_id = transaction.id
        await session.flush()

    return dataclasses.replace(plan(facts, paid=paid, amount=amount), reserved=tie)


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
