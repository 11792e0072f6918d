"""The payment ledger's rows: reserve a PENDING transaction, call the provider outside any lock, record its answer.

    under the order's lock (transaction 1)   reserve(): the caller checked the amount counting PENDING rows
    no lock held                             call_provider(): one call, with a timeout, carrying the row's reference;
                                             whatever the provider raises is mapped here (`payment_providers`)
    transaction 2                            record_answer(): SUCCEEDED or FAILED, with a payment event; an
                                             unknown outcome (a timeout, a provider fault) leaves it PENDING
                                             for reconciliation

The engine (`engine`) runs these steps, and `settlement.settle` records the answer and applies
what it means; these functions touch only the row.

Because PENDING amounts count against what is available (`ledger.Amounts`), no
interleaving of requests can capture beyond the authorization or refund beyond
the captures, on SQLite (one writer) and PostgreSQL (row lock) alike.
"""

from __future__ import annotations

import asyncio
import datetime
import uuid
from decimal import Decimal

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.enums import EventLevel, TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import Transaction
from resolvers.core import events
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import ledger
from resolvers.payments.payment_providers import (
    CallNotSent,
    PaymentProvider,
    ProviderCall,
    ProviderOutcome,
    Providers,
    UnsupportedOperation,
)

OPERATION_OF_KIND = {
    TransactionKind.AUTHORIZE: "authorize",
    TransactionKind.CAPTURE: "capture",
    TransactionKind.REFUND: "refund",
    TransactionKind.CANCEL: "cancel",
}
NOT_SENT_MESSAGE = "The payment provider could not be reached; nothing was sent to it, so trying again is safe."

log = structlog.get_logger("ordergraph.payments")


async def transactions_of(session: AsyncSession, *, order_id: int) -> list[Transaction]:
    return list(
        (
            await session.scalars(
                sa.select(Transaction)
                .where(Transaction.order_id == order_id)
                .order_by(Transaction.created_at, Transaction.id)
            )
        ).all()
    )


async def amounts_of(session: AsyncSession, *, order_id: int) -> ledger.Amounts:
    return ledger.amounts(await transactions_of(session, order_id=order_id))


async def reserve(
    session: AsyncSession,
    *,
    order: Order,
    kind: TransactionKind,
    amount: Decimal,
    provider_name: str,
    now: datetime.datetime,
    flush: bool = True,
) -> Transaction:
    """Add a PENDING transaction for `amount` (the caller holds the order's lock and has checked the amount).

    `flush` False leaves it to the next flush (its id is known only then), so many reservations insert together.
    """
    pending = Transaction(
        order_id=order.id,
        kind=kind,
        status=TransactionStatus.PENDING,
        amount=amount,
        currency=order.currency_code,
        provider=provider_name,
        reference=f"og-{uuid.uuid4().hex}",
        created_at=now,
    )
    session.add(pending)
    if flush:
        await session.flush()
    return pending


def provider_of(providers: Providers, name: str) -> PaymentProvider:
    """The installed provider of a row; PROVIDER_UNSUPPORTED when it is not installed (any more) or cannot start."""
    try:
        return providers.get(name)
    except UnsupportedOperation as error:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, str(error)) from error
    except Exception as error:
        log.exception("payment provider could not be started", provider=name)
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, f"The payment provider {name!r} is not available.") from error


async def call_provider(
    provider: PaymentProvider,
    *,
    transaction: Transaction,
    order: Order,
    authorization_number: str | None,
    timeout_seconds: float,
    now: datetime.datetime,
    saved_payment: str | None = None,
) -> ProviderOutcome | None:
    """Call the provider for a reserved transaction; None when the outcome is unknown (reconcile later).

    Unknown: no answer in time, or any fault the provider raised after the call may have left
    (logged in full). Raises DomainError PROVIDER_UNSUPPORTED when the provider cannot do the
    operation and PROVIDER_DECLINED when it sent nothing (`CallNotSent`): nothing moved either way.
    """
    request = ProviderCall(
        operation=OPERATION_OF_KIND[transaction.kind],
        reference=transaction.reference,
        amount=transaction.amount,
        currency=transaction.currency,
        order_id=order.public_id,
        customer_email=order.customer_email,
        authorization_number=authorization_number,
        saved_payment=saved_payment,
    )
    fault = {"provider": transaction.provider, "operation": request.operation, "reference": request.reference}
    try:
        outcome = await asyncio.wait_for(provider.call(request, now=now), timeout=timeout_seconds)
    except UnsupportedOperation as error:
        raise DomainError(ErrorCode.PROVIDER_UNSUPPORTED, str(error)) from error
    except CallNotSent as error:
        log.warning("payment provider sent nothing", **fault, error=repr(error))
        raise DomainError(ErrorCode.PROVIDER_DECLINED, NOT_SENT_MESSAGE) from error
    except TimeoutError:
        log.warning("payment provider did not answer in time", **fault, timeout_seconds=timeout_seconds)
        return None
    except Exception:
        log.exception("payment provider failed; the outcome is unknown until reconciled", **fault)
        return None
    if not isinstance(outcome, ProviderOutcome):
        log.error("payment provider answered something that is not an outcome", **fault, answer=repr(outcome))
        return None
    return outcome


async def record_answer(
    session: AsyncSession,
    *,
    transaction_id: int,
    outcome: ProviderOutcome,
    actor: str | None,
    now: datetime.datetime,
) -> Transaction:
    """Record the provider's answer on the PENDING row, with an event; settling twice changes nothing."""
    transaction = await session.get_one(Transaction, transaction_id, with_for_update=True)
    # The order is locked and loaded by whoever settles: no statement.
    order = await session.get_one(Order, transaction.order_id)
    record_answer_on(session, transaction=transaction, order=order, outcome=outcome, actor=actor, now=now)
    await session.flush()
    return transaction


def record_answer_on(
    session: AsyncSession,
    *,
    transaction: Transaction,
    order: Order,
    outcome: ProviderOutcome,
    actor: str | None,
    now: datetime.datetime,
) -> None:
    """`record_answer` on a row and its order that the caller has locked and loaded; written at the next flush."""
    if transaction.status is not TransactionStatus.PENDING:
        return
    transaction.status = TransactionStatus.SUCCEEDED if outcome.approved else TransactionStatus.FAILED
    transaction.transaction_number = outcome.transaction_number
    transaction.card_type = outcome.card_type
    transaction.card_number = outcome.card_number
    transaction.message = outcome.message
    transaction.expires_at = outcome.expires_at
    transaction.settled_at = now
    verb = OPERATION_OF_KIND[transaction.kind]
    amount = money.shown(transaction.amount, currency_code=transaction.currency, minor_unit=order.currency_minor_unit)
    events.record(
        session,
        order_id=transaction.order_id,
        source="payment",
        message=(
            f"{verb} of {amount} "
            + ("succeeded" if outcome.approved else f"was declined: {outcome.message or 'no reason given'}")
        ),
        actor=actor,
        now=now,
        level=EventLevel.INFO if outcome.approved else EventLevel.WARNING,
    )


def authorization_number(transactions: list[Transaction]) -> str | None:
    """The provider's number of the order's first succeeded authorization: what every later movement acts on.

    Incremental authorizations raise that one (the provider numbers them under it), so captures,
    refunds and voids over all of the order's authorizations act on it too.
    """
    return next(
        (
            t.transaction_number
            for t in ledger.in_ledger_order(transactions)
            if t.kind is TransactionKind.AUTHORIZE and t.status is TransactionStatus.SUCCEEDED and t.transaction_number
        ),
        None,
    )


def declined(outcome: ProviderOutcome) -> DomainError:
    return DomainError(ErrorCode.PROVIDER_DECLINED, outcome.message or "The payment provider declined the operation.")
