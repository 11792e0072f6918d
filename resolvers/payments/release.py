"""Releasing what is authorized and not captured: the rest after a split capture, or what an edit made too much.

One CANCEL row for the whole uncaptured rest of every authorization of the order (lapsed ones too:
everything authorized and not captured), through the provider. It is tagged (`settlement.RELEASE`),
so settling it, at once or by reconciliation, voids the money and leaves the order as it is: not
cancelled, its stock kept. paymentDelta then shows whatever the total still needs. Captures in
flight keep what they reserved; `cancel` stays what it was, for orders with nothing captured.

    CLOSED                 cancelled or deleted (`lifecycle.refuse_if_closed`), or not a completed order
    PROVIDER_UNSUPPORTED   the provider cannot void online
    NOT_CAPTURABLE         nothing is authorized and not captured, or a void is in flight already
    PROVIDER_DECLINED      the provider said no (a FAILED row and an event; nothing else changes)
    IDEMPOTENCY_CONFLICT   the key was used for a different release request
"""

from __future__ import annotations

import datetime

from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import authorization, engine, idempotency, ledger, payment_providers, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions

SCOPE = "releaseAuthorization"


async def release(
    sessions: Sessions, *, providers: payment_providers.Providers, order_id: str, idempotency_key: str | None,
    actor: str | None, now: datetime.datetime, timeout_seconds: float,
) -> Outcome:  # fmt: skip
    """Void everything authorized and not captured of one order, as one CANCEL through its provider."""
    keyed = idempotency.keyed(SCOPE, idempotency_key, {"orderId": order_id})
    movement = Movement(
        purpose=settlement.RELEASE, plan=engine.pure(plan), actor=actor, now=now, timeout_seconds=timeout_seconds,
        keyed=keyed,
    )  # fmt: skip
    [outcome] = await engine.run(sessions, providers=providers, requested_ids=[order_id], movement=movement)
    return outcome


def plan(facts: Facts) -> Plan:
    """The uncaptured rest to void, or the coded reason nothing can be released."""
    order = facts.order
    authorization.refuse_closed(facts)
    if not payment_providers.capabilities(facts.provider_name or "").cancel:
        raise DomainError(
            ErrorCode.PROVIDER_UNSUPPORTED,
            f"The payment provider of {order.public_id} cannot void online: release it at the provider.",
        )
    amounts = ledger.amounts(facts.transactions)
    if amounts.pending_cancel > 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"The authorization of {order.public_id} is being voided already.")
    rest = amounts.authorized - amounts.captured - amounts.pending_capture
    if rest <= 0:
        raise DomainError(
            ErrorCode.NOT_CAPTURABLE, f"{order.public_id} has nothing authorized and not captured to release."
        )
    return Plan(rest, reserved=settlement.RELEASE.mark)
