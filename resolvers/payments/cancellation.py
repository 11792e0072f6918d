"""Cancelling orders with nothing captured: void the authorization, return the stock, mark cancelled.

Cancel is for ORDER records (completed, or a checkout left unfinished with an authorization)
with nothing captured. Each order is judged alone:

    with an authorization, provider can cancel   a CANCEL row through the provider (three phases,
                                                 `engine`); the order changes only on success
    with an authorization, `manual` provider     the manual provider has nothing online to void (the
                                                 seeds' table: cancel is online only "if the payment
                                                 provider supports it"; here nothing was taken online),
                                                 so the CANCEL row is recorded SUCCEEDED without a call
    nothing authorized                           cancelled at once, no row
    a provider that captures but cannot cancel   PROVIDER_UNSUPPORTED (void it at the provider)

On success the order is marked cancelled, its products go back to stock once
(`stock.give_back`), its revision is bumped and an event written (`settlement.CANCEL`).
"Cancels taxes": ordergraph has no external tax provider to notify; the order keeps its
lines and totals as the record of what was ordered, and a cancelled order is left out
of what it counts as sales.

    TRANSITION_NOT_ALLOWED  a cart or quote (delete those), captured money (refund it instead), or a
                            payment operation in flight
    ALREADY_DONE            cancelled before
    PROVIDER_DECLINED       the provider refused to void (a FAILED row and an event; nothing else changes)
"""

from __future__ import annotations

import datetime

from models import money
from models.enums import OrderKind
from resolvers.core import bulk, validation
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import batches, engine, ledger, payment_providers, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions

MANUAL_VOID_MESSAGE = "Recorded only: the payment is handled outside ordergraph, so there is nothing to void online."


async def cancel(
    sessions: Sessions,
    *,
    providers: payment_providers.Providers,
    order_ids: list[str],
    reason: str | None,
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> list[Outcome]:
    """Cancel each order; one Outcome per id, in order. Raises INVALID for an empty or oversized id list."""
    bulk.check_ids(order_ids)
    try:
        validation.note_fits(reason, field=["reason"])
    except DomainError as error:
        return [Outcome(public_id, error=error) for public_id in order_ids]
    movement = Movement(
        purpose=settlement.CANCEL,
        plan=engine.pure(plan),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
        note=reason,
    )
    return await batches.run(sessions, providers=providers, requested_ids=order_ids, movement=movement)


def plan(facts: Facts) -> Plan:
    """What cancelling this order takes, or the coded reason it cannot be cancelled."""
    order = facts.order
    if order.kind is not OrderKind.ORDER:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"{order.public_id} is a {order.kind.lower()}: delete it instead."
        )
    if order.is_cancelled:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{order.public_id} is cancelled already.")
    amounts = ledger.amounts(facts.transactions)
    if amounts.pending_count:
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"A payment operation of {order.public_id} is in flight; retry later."
        )
    if amounts.captured > 0:
        captured = money.shown(
            amounts.captured, currency_code=order.currency_code, minor_unit=order.currency_minor_unit
        )
        raise DomainError(
            ErrorCode.TRANSITION_NOT_ALLOWED, f"{order.public_id} has {captured} captured: refund it instead."
        )
    if amounts.authorized <= 0:
        return Plan(None)
    capabilities = payment_providers.capabilities(facts.provider_name or "")
    if capabilities.cancel:
        return Plan(amounts.authorized)
    if not capabilities.capture:
        return Plan(amounts.authorized, offline_message=MANUAL_VOID_MESSAGE)
    raise DomainError(
        ErrorCode.PROVIDER_UNSUPPORTED,
        f"The payment provider of {order.public_id} cannot void online: void it at the provider, then cancel.",
    )
