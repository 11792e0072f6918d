"""Authorizing more money on a completed order: an incremental authorization through its provider.

An edit that raises the total of a paid order leaves a positive paymentDelta (`delta`); `authorize`
asks the provider for it as a new AUTHORIZE row, after which `capture` can take it. The provider
increments the order's own authorization (the call carries its number), so captures, refunds and
voids then act on all of it. Without an amount it asks for what paymentDelta says is missing,
counting movements in flight, so two concurrent requests never secure the same money twice.

    CLOSED                 cancelled or deleted (`lifecycle.refuse_if_closed`), or not a completed order
    PROVIDER_UNSUPPORTED   the provider cannot capture online (`manual`): nothing is secured there
    ALREADY_DONE           without an amount: paymentDelta is not positive, nothing is missing
    INVALID                `amount` not positive or finer than the currency's minor unit
    PROVIDER_DECLINED      the provider said no (a FAILED row and an event; nothing else changes)
    IDEMPOTENCY_CONFLICT   the key was used for a different authorize request

A recurring order's charge (`channels.recurring`) is this plan with a saved payment instead: a new
authorization charged to the template's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from models import money
from models.enums import OrderKind
from resolvers.core import lifecycle
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import capture, delta, engine, idempotency, ledger, payment_providers, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions

SCOPE = "authorize"


async def authorize(
    sessions: Sessions,
    *,
    providers: payment_providers.Providers,
    order_id: str,
    amount: Decimal | None,
    idempotency_key: str | None,
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> Outcome:
    """Authorize `amount` (default: the positive paymentDelta) more of one completed order through its provider."""
    request = {"orderId": order_id, "amount": None if amount is None else str(amount)}
    movement = Movement(
        purpose=settlement.AUTHORIZE, plan=engine.pure(lambda facts: plan(facts, amount=amount, now=now)),
        actor=actor, now=now, timeout_seconds=timeout_seconds, keyed=idempotency.keyed(SCOPE, idempotency_key, request),
    )  # fmt: skip
    [outcome] = await engine.run(sessions, providers=providers, requested_ids=[order_id], movement=movement)
    return outcome


def plan(facts: Facts, *, amount: Decimal | None, now: datetime.datetime) -> Plan:
    """How much more to authorize of this order, or the coded reason it cannot be authorized."""
    order = facts.order
    refuse_closed(facts)
    if facts.provider_name is None or not payment_providers.capabilities(facts.provider_name).capture:
        raise DomainError(
            ErrorCode.PROVIDER_UNSUPPORTED,
            f"The payment provider of {order.public_id} takes no money online: there is nothing to authorize.",
        )
    if amount is None:
        missing = delta.position(order, ledger.amounts(facts.transactions, now=now)).planned_delta
        if missing <= 0:
            shown = money.shown(missing, currency_code=order.currency_code, minor_unit=order.currency_minor_unit)
            raise DomainError(
                ErrorCode.ALREADY_DONE, f"{order.public_id} needs nothing more authorized (paymentDelta {shown})."
            )
        amount = missing
    else:
        capture.check_amount(amount, minor_unit=order.currency_minor_unit)
    return Plan(amount, reserved=settlement.AUTHORIZE.mark)


def refuse_closed(facts: Facts) -> None:
    """CLOSED for a closed record (`lifecycle`), and for one that is not a completed ORDER (not complete yet)."""
    order = facts.order
    lifecycle.refuse_if_closed(order)
    if order.kind is not OrderKind.ORDER or not order.is_complete:
        raise DomainError(ErrorCode.CLOSED, f"{order.public_id} is not a completed order.")
