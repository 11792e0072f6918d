"""Refunding captured money, fully (the default: captured minus refunded) or partly, with a reason.

    NOT_CAPTURABLE           not a completed order (nothing can have been captured)
    PROVIDER_UNSUPPORTED     the provider cannot refund online (`manual`), or a partial refund with a
                             provider that only refunds in full
    AMOUNT_EXCEEDS_AVAILABLE more than captured and not yet refunded (refunds in flight count)
    INVALID                  `amount` not positive or finer than the currency's minor unit
    PROVIDER_DECLINED        the provider said no (a FAILED row and an event; nothing else changes)
    IDEMPOTENCY_CONFLICT     the key was used for a different refund request

The reason goes into the order's event of the refund. A refund made while paymentDelta is negative
settles it first, up to its size (`settling`, written on the row); a return's refund never does.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.enums import OrderKind
from models.payments import Transaction
from resolvers.core import validation
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import capture, delta, engine, idempotency, ledger, payment_providers, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions

SCOPE = "refund"


async def refund(
    sessions: Sessions,
    *,
    providers: payment_providers.Providers,
    order_id: str,
    amount: Decimal | None,
    reason: str | None,
    idempotency_key: str | None,
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> Outcome:
    """Refund `amount` (default: all that is refundable) of one order through its provider."""
    try:
        validation.note_fits(reason, field=["reason"])
    except DomainError as error:
        return Outcome(order_id, error=error)
    request = {"orderId": order_id, "amount": None if amount is None else str(amount), "reason": reason}
    movement = Movement(
        purpose=settlement.REFUND,
        plan=engine.pure(lambda facts: settling(facts, plan(facts, amount=amount), now=now)),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
        note=reason,
        keyed=idempotency.keyed(SCOPE, idempotency_key, request),
    )
    [outcome] = await engine.run(sessions, providers=providers, requested_ids=[order_id], movement=movement)
    return outcome


def plan(facts: Facts, *, amount: Decimal | None) -> Plan:
    """How much to refund of this order, or the coded reason it cannot be refunded."""
    order = facts.order
    if order.kind is not OrderKind.ORDER or not order.is_complete:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{order.public_id} is not a completed order: nothing to refund.")
    capabilities = payment_providers.capabilities(facts.provider_name or "")
    if facts.provider_name is None or not capabilities.refund:
        raise DomainError(
            ErrorCode.PROVIDER_UNSUPPORTED,
            f"The payment provider of {order.public_id} cannot refund online: refund it at the provider.",
        )
    amounts = ledger.amounts(facts.transactions)
    if amount is None:
        if amounts.refundable <= 0:
            raise DomainError(ErrorCode.AMOUNT_EXCEEDS_AVAILABLE, f"{order.public_id} has nothing captured to refund.")
        return Plan(amounts.refundable)
    capture.check_amount(amount, minor_unit=order.currency_minor_unit)
    if amount > amounts.refundable:
        shown = functools.partial(money.shown, currency_code=order.currency_code, minor_unit=order.currency_minor_unit)
        raise DomainError(
            ErrorCode.AMOUNT_EXCEEDS_AVAILABLE,
            f"{shown(amount)} exceeds the {shown(amounts.refundable)} captured and not refunded.",
            ["amount"],
        )
    if amount != amounts.refundable and not capabilities.partial_refund:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, "The payment provider only refunds in full.", ["amount"])
    return Plan(amount)


def settling(facts: Facts, planned: Plan, *, now: datetime.datetime) -> Plan:
    """The refund `planned`, writing on its row the part that settles a negative paymentDelta (`delta`)."""
    assert planned.amount is not None, "a refund plan always moves money"
    settles = delta.position(facts.order, ledger.amounts(facts.transactions, now=now)).settles(planned.amount)
    if settles <= 0:
        return planned

    async def record(session: AsyncSession, transaction: Transaction) -> None:
        transaction.delta_settled = settles
        await session.flush()

    return dataclasses.replace(planned, reserved=record)
