"""Capturing authorized money: what each order still needs of its authorizations, or a split capture of one order.

Captures draw on every authorization of the order (checkout's and incremental ones, `ledger`).
Without an amount a capture takes what is capturable, but never more than the order still needs
(paymentDelta + capturable, `delta`): on an order edited down it takes only the new total, and
`releaseAuthorization` voids the rest. With an amount, that amount. Each order is judged alone
(`batches.run`):

    CLOSED                   cancelled or deleted (`lifecycle.refuse_if_closed`)
    NOT_CAPTURABLE           not a completed order, nothing authorized, fully captured, nothing more
                             needed, the rest already reserved by captures in flight, a void in
                             flight, or the authorizations left have lapsed
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
from models.orders import Order
from resolvers.core import bulk, lifecycle
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode, invalid
from resolvers.payments import batches, delta, engine, idempotency, ledger, payment_providers, settlement
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
    return await batches.run(sessions, providers=providers, requested_ids=order_ids, movement=movement)


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
    amounts = ledger.amounts(facts.transactions, now=now)
    _check_capture_state(order, amounts, facts, now)
    if amount is None:
        # What is capturable, but never more than the order still needs.
        needed = delta.position(order, amounts).still_needed
        if needed <= 0:
            raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{order.public_id} needs nothing more captured.")
        amount = min(amounts.capturable, needed)
    else:
        check_amount(amount, minor_unit=order.currency_minor_unit)
        if amount > amounts.capturable:
            raise DomainError(
                ErrorCode.AMOUNT_EXCEEDS_AVAILABLE,
                f"{_shown(amount, order)} exceeds the {_shown(amounts.capturable, order)} still available to capture.",
                ["amount"],
            )
    if amount != amounts.capturable and not capabilities.partial_capture:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, "The payment provider only captures in full.", ["amount"])
    return Plan(amount)


def _check_capture_state(order: Order, amounts: ledger.Amounts, facts: Facts, now: datetime.datetime) -> None:
    public_id = order.public_id
    if amounts.authorized <= 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{public_id} has no authorization to capture.")
    if amounts.pending_cancel > 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"The authorization of {public_id} is being voided.")
    if amounts.captured >= amounts.authorized:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"{public_id} is captured in full.")
    if amounts.open <= 0:
        lapsed_at = max(
            (entry.transaction.expires_at for entry in ledger.open_authorizations(facts.transactions)
             if entry.open > 0 and entry.transaction.expires_at is not None and not entry.is_live(now)),
            default=now,
        )  # fmt: skip
        raise DomainError(
            ErrorCode.NOT_CAPTURABLE,
            f"The authorization of {public_id} lapsed at {lapsed_at.isoformat()}: authorize again to capture.",
        )
    if amounts.capturable <= 0:
        raise DomainError(ErrorCode.NOT_CAPTURABLE, f"The rest of {public_id} is being captured already.")


def check_amount(amount: Decimal, *, minor_unit: int) -> None:
    if amount <= 0:
        raise invalid("The amount must be positive.", ["amount"])
    if money.round_money(amount, minor_unit=minor_unit) != amount:
        raise invalid(f"The amount has more than {minor_unit} decimals.", ["amount"])


def _shown(amount: Decimal, order: Order) -> str:
    return money.shown(amount, currency_code=order.currency_code, minor_unit=order.currency_minor_unit)
