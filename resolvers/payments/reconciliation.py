"""Settling PENDING transactions whose outcome never reached the store, by asking the provider.

A process that dies between reserve and settle (or a provider call that timed out)
leaves a PENDING row. `run` settles every such row older than `older_than` with what
the provider says happened to its reference:

    the provider knows the reference   settled as the provider recorded it (SUCCEEDED or FAILED) by
                                       `settlement.settle`, with the effects of the row's purpose
    the provider answers None          it never saw the call: FAILED, "never reached the provider";
                                       the reservation simply stops counting
    the lookup times out, or the       left PENDING for the next run (`unknown`): nothing is guessed
    provider is unreachable
    anything else goes wrong           the lookup raised, the settle failed (a row whose order is gone,
                                       a store fault): logged in full, counted in `errors`, left PENDING,
                                       and the run goes on to the next row

Reconciliation has only the row: `settlement.settle` finds its purpose from it (`purposes`), so a
PENDING AUTHORIZE of a checkout that crashed or timed out completes the order or gives its stock
back, and a return's refund concludes the return, exactly as if settled at once.

`older_than` must exceed the provider timeout (the settings keep it at minutes), so a call still in
flight is never taken for one that never reached the provider.

The worker calls `run` on a timer; `ordergraph reconcile` calls it once. It also purges
idempotency keys older than `keep_keys_for` (kept at least 24 hours).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import TransactionStatus
from models.payments import Transaction
from resolvers.payments import idempotency, settlement
from resolvers.payments.payment_providers import ProviderOutcome, Providers, UnsupportedOperation

NEVER_REACHED = "Never reached the provider: settled by reconciliation."
MINIMUM_KEY_LIFETIME = datetime.timedelta(hours=24)
ACTOR = "reconciliation"

log = structlog.get_logger("ordergraph.reconciliation")


class _RowFault(Exception):
    """Asking about or settling one row failed in a way that needs the operator (logged where it happened)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    succeeded: int = 0
    failed: int = 0
    # Still PENDING: the provider could not be asked this time.
    unknown: int = 0
    # Still PENDING: something went wrong with the row (logged); the operator should look.
    errors: int = 0
    purged_keys: int = 0


async def run(
    sessions: async_sessionmaker[AsyncSession],
    providers: Providers,
    *,
    older_than: datetime.timedelta,
    now: datetime.datetime,
    keep_keys_for: datetime.timedelta | None = None,
    lookup_timeout_seconds: float = 10.0,
) -> Report:
    """Settle the PENDING rows created before `now - older_than`, each alone; purge expired idempotency keys."""
    counts = {"succeeded": 0, "failed": 0, "unknown": 0, "errors": 0}
    for transaction_id, provider_name, reference in await _pending(sessions, before=now - older_than):
        try:
            outcome = await _lookup(providers, provider_name, reference, timeout_seconds=lookup_timeout_seconds)
            if outcome is None:
                counts["unknown"] += 1
                continue
            if await _settle(sessions, transaction_id, outcome, now=now):
                counts["succeeded" if outcome.approved else "failed"] += 1
        except _RowFault:
            counts["errors"] += 1
    purged = await _purge(sessions, now=now, keep_keys_for=keep_keys_for) if keep_keys_for is not None else 0
    return Report(**counts, purged_keys=purged)


async def _pending(
    sessions: async_sessionmaker[AsyncSession], *, before: datetime.datetime
) -> list[tuple[int, str, str]]:
    async with sessions() as session, session.begin():
        rows = await session.execute(
            sa.select(Transaction.id, Transaction.provider, Transaction.reference)
            .where(Transaction.status == TransactionStatus.PENDING, Transaction.created_at <= before)
            .order_by(Transaction.created_at, Transaction.id)
        )
        return [(row.id, row.provider, row.reference) for row in rows]


async def _lookup(
    providers: Providers, provider_name: str, reference: str, *, timeout_seconds: float
) -> ProviderOutcome | None:
    """The provider's answer as an outcome to settle with; None when it could not be asked.

    Raises _RowFault when the lookup raised anything but a timeout or a network error, or answered
    something that is not an outcome.
    """
    try:
        answer = await asyncio.wait_for(providers.get(provider_name).lookup(reference), timeout=timeout_seconds)
    except (TimeoutError, OSError, UnsupportedOperation) as error:
        log.warning("provider lookup failed", provider=provider_name, reference=reference, error=repr(error))
        return None
    except Exception as error:
        log.exception("provider lookup raised; the row stays PENDING", provider=provider_name, reference=reference)
        raise _RowFault from error
    if answer is None:
        return ProviderOutcome(approved=False, message=NEVER_REACHED)
    if not isinstance(answer, ProviderOutcome):
        log.error("provider lookup answered something that is not an outcome", reference=reference, answer=repr(answer))
        raise _RowFault
    return answer


async def _settle(
    sessions: async_sessionmaker[AsyncSession], transaction_id: int, outcome: ProviderOutcome, *, now: datetime.datetime
) -> bool:
    """Settle one row in its own transaction; False when it was settled before. Raises _RowFault when that failed."""
    try:
        async with sessions() as session, session.begin():
            settled = await settlement.settle(
                session, transaction_id=transaction_id, outcome=outcome, purpose=None, actor=ACTOR, now=now
            )
    except Exception as error:
        log.exception("settling a PENDING row failed; it stays PENDING", transaction_id=transaction_id)
        raise _RowFault from error
    return settled is not None


async def _purge(
    sessions: async_sessionmaker[AsyncSession], *, now: datetime.datetime, keep_keys_for: datetime.timedelta
) -> int:
    async with sessions() as session, session.begin():
        return await idempotency.purge(session, older_than=now - max(keep_keys_for, MINIMUM_KEY_LIFETIME))
