"""Capturing authorized money: the rest of each order's authorization, or a split capture of one order.

Only capturable orders are captured: a completed ORDER, not cancelled, whose capture state
is NOT_CAPTURED or SPLIT_CAPTURED. Each order is judged alone (`engine.run`):

    CLOSED                   cancelled or deleted (`lifecycle.refuse_if_closed`)
    NOT_CAPTURABLE           not a completed order, nothing authorized, fully captured
                             (or the rest already reserved by captures in flight), a cancel in flight,
                             or the authorization has lapsed
    PROVIDER_UNSUPPORTED     the provider cannot capture online (`manual`), or a split capture with a
                             provider that only captures in full
    AMOUNT_EXCEEDS_AVAILABLE `amount` beyond what is authorized and not captured or reserved
    INVALID                  `amount` not positive, finer than the currency's minor unit, or with
                             more than one order
    PROVIDER_DECLINED        the provider said no (a FAILED row and an event; nothing else changes)
    IDEMPOTENCY_CONFLICT     the key was used for a different capture request
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from models import money
from models.enums import OrderKind
from resolvers.core import bulk, lifecycle
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode, invalid
from resolvers.payments import engine, idempotency, ledger, payment_providers, settlement
from resolvers.payments.engine import Facts, Movement, Plan, Sessions

SCOPE = "capture"


async def capture(
    sessions: Sessions,
    *,
    providers: payment_providers.Providers,
    order_ids: list[str],
    amount: Decimal | None,
    idempotency_key: str | None,
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> list[Outcome]:
    """Capture each order (the rest of its authorization, or `amount` of a single order); one Outcome per id.

    Raises INVALID for an empty or oversized id list (the whole request is refused).
    """
    bulk.check_ids(order_ids)
    if amount is not None and len(order_ids) != 1:
        error = invalid("A capture with an amount is for exactly one order.", ["amount"])
        return [Outcome(public_id, error=error) for public_id in order_ids]
    request = {"orderIds": order_ids, "amount": None if amount is None else str(amount)}
    movement = Movement(
        purpose=settlement.CAPTURE,
        plan=engine.pure(lambda facts: plan(facts, amount=amount, now=now)),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
        keyed=idempotency.keyed(SCOPE, idempotency_key, request),
    )
    return await engine.run(sessions, providers=providers, requested_ids=order_ids, movement=movement)


def plan(facts: Facts, *, amount: Decimal | None, now: datetime.datetime) -> Plan:
    """How much to capture of this order, or the coded reason it cannot be captured."""
    order = facts.order
    lifecycle.refuse_if_closed(order)
    if order.kind is not OrderKind.ORDER or not order.is_complete or order.is_cancelled or order.is_deleted:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{order.public_id} is not a completed, uncancelled order.")
    capabilities = payment_providers.capabilities(facts.provider_name or "")
    if facts.provider_name is None or not capabilities.capture:
        raise DomainError(
            ErrorCode.PROVIDER_UNSUPPORTED,
            f"The payment provider of {order.public_id} cannot capture online: capture it at the provider.",
        )
    amounts = ledger.amounts(facts.transactions)
    _check_capture_state(order.public_id, amounts, facts, now)
    if amount is None:
        return Plan(amounts.capturable)
    check_amount(amount, minor_unit=order.currency_minor_unit)
    if amount > amounts.capturable:
        raise DomainError(
            ErrorCode.AMOUNT_EXCEEDS_AVAILABLE,
            f"{amount} {order.currency_code} exceeds the {amounts.capturable} still available to capture.",
            ["amount"],
        )
    if amount != amounts.capturable and not capabilities.partial_capture:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, "The payment provider only captures in full.", ["amount"])
    return Plan(amount)


def _check_capture_state(public_id: str, amounts: ledger.Amounts, facts: Facts, now: datetime.datetime) -> None:
    if amounts.authorized <= 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{public_id} has no authorization to capture.")
    if amounts.pending_cancel > 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{public_id} is being cancelled.")
    if amounts.captured >= amounts.authorized:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{public_id} is captured in full.")
    if amounts.capturable <= 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"The rest of {public_id} is being captured already.")
    expires_at = ledger.authorization_expires_at(facts.transactions)
    if expires_at is not None and expires_at <= now:
        raise DomainError(
            ErrorCode.NOT_CAPTURABLE, f"The authorization of {public_id} lapsed at {expires_at.isoformat()}."
        )


def check_amount(amount: Decimal, *, minor_unit: int) -> None:
    if amount <= 0:
        raise invalid("The amount must be positive.", ["amount"])
    if money.round_money(amount, minor_unit=minor_unit) != amount:
        raise invalid(f"The amount has more than {minor_unit} decimals.", ["amount"])
