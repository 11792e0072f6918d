"""Running one money movement in three short transactions, so no provider call happens under a lock.

    phase 1  transaction 1, order locked   find the order, replay an idempotency entry if there is one,
                                           validate (counting PENDING rows), reserve a PENDING row; COMMIT
    phase 2  no transaction                call the provider once, with the row's reference, under a timeout
    phase 3  transaction 2, order locked   `settlement.settle`: SUCCEEDED or FAILED, effects, events; COMMIT

It takes the session factory (`Database.write_sessions`), not a session: it must commit
between the phases, and the request's own session only reads the result afterwards.
On SQLite each write transaction holds the store's write lock (BEGIN IMMEDIATE); on
PostgreSQL phase 1 and 3 hold the order's row lock. Either way two movements of the
same order never validate at the same time, and because PENDING amounts count against
what is available, none can overspend while another waits for its provider.

A provider that does not answer in time leaves the row PENDING: the caller gets
ALREADY_DONE ("pending, reconciliation will settle it") and `reconciliation.run` asks
the provider later. Nothing is ever guessed.

Idempotency (`Keyed`): the key is claimed once per request (`claim_key`); phase 1 of each
order records in the key's record what it did to that order (the PENDING row's id, or
the error it answered), under the order's lock and the record's lock. A request with
the same key finds the entry and answers from it and from the row's status now
(SUCCEEDED: the order; FAILED: PROVIDER_DECLINED; PENDING: ALREADY_DONE) without
calling the provider. Because the entry points at the ledger, a movement settled by
reconciliation after a crash replays its real outcome.

A movement on behalf of something besides the order (a return's refund) names it as the
movement's `Subject`: phase 1 loads it under the order's lock before validation (its
errors answer like validation's) and ties it to the PENDING row once reserved, so that
settling the row, at once or by reconciliation, can conclude it too.

The crash tests stop the process right after phase 1 commits and right after the provider
answered (`testing_hooks.crash_point`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.catalog import PaymentMethod
from models.enums import TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import IdempotencyRecord, Transaction
from resolvers.core import orders, testing_hooks
from resolvers.core.errors import DomainError, ErrorCode, not_found
from resolvers.payments import idempotency, settlement, transaction_rows
from resolvers.payments.payment_providers import ProviderOutcome, Providers

Sessions = async_sessionmaker[AsyncSession]


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """What validation decided for one order.

    `amount` None: no money moves (e.g. a cancel with nothing authorized); the effects apply at once.
    `offline_message`: the provider has nothing online; the row is recorded SUCCEEDED without a call.
    """

    amount: Decimal | None
    offline_message: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    """What a validator may look at: the locked order, its ledger and its provider."""

    order: Order
    transactions: list[Transaction]
    provider_name: str | None
    # What `Movement.subject` loaded, when the movement has one.
    subject: Any = None


class Subject(Protocol):
    """What a movement acts on behalf of besides the order (see the module docstring)."""

    async def load(self, session: AsyncSession, order: Order) -> Any:
        """Read it under the order's lock for validation; a DomainError refuses the movement."""

    async def reserved(self, session: AsyncSession, loaded: Any, transaction: Transaction) -> None:
        """Tie it to the PENDING row just reserved for it."""


Validate = Callable[[Facts], Plan]


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """The answer for one requested order: the order's internal id when found, and an error if any."""

    public_id: str
    order_id: int | None
    error: DomainError | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Keyed:
    """An idempotency key claimed for this request (see `claim_key`)."""

    record_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Movement:
    """One order's movement: everything the three phases need besides the order."""

    kind: TransactionKind
    validate: Validate
    actor: str | None
    now: datetime.datetime
    timeout_seconds: float
    note: str | None = None
    keyed: Keyed | None = None
    subject: Subject | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Reserved:
    transaction: Transaction
    order: Order
    authorization_number: str | None


async def claim_key(
    sessions: Sessions, *, scope: str, key: str, request: dict[str, Any], now: datetime.datetime
) -> Keyed:
    """Claim an idempotency key for a request in its own transaction.

    Raises IDEMPOTENCY_CONFLICT when the key was used with a different request, INVALID for a bad key.
    """
    for attempt in range(2):
        try:
            async with sessions() as session, session.begin():
                claim = await idempotency.claim(session, scope=scope, key=key, request=request, now=now)
                if claim.replay is None:
                    await idempotency.finish(session, record_id=claim.record_id, result={"orders": {}})
                return Keyed(claim.record_id)
        except sa.exc.IntegrityError:
            # A concurrent first use of the same key inserted it first (PostgreSQL); the retry finds it.
            if attempt:
                raise
    raise AssertionError("unreachable")


async def run(sessions: Sessions, *, providers: Providers, public_id: str, movement: Movement) -> Outcome:
    """Run one order's movement through the three phases; every expected failure is in `Outcome.error`."""
    try:
        async with sessions() as session, session.begin():
            reserved = await _phase_one(session, public_id=public_id, movement=movement)
    except DomainError as error:
        return Outcome(public_id, None, error)
    if isinstance(reserved, Outcome):
        return reserved
    testing_hooks.crash_point("reserve")
    return await _call_and_settle(sessions, providers=providers, reserved=reserved, movement=movement)


async def _phase_one(session: AsyncSession, *, public_id: str, movement: Movement) -> _Reserved | Outcome:
    order = await orders.find(session, public_id, for_update=True)
    if order is None:
        raise not_found("Order", public_id)
    record = await _locked_record(session, movement.keyed)
    entry = _entries(record).get(str(order.id))
    if entry is not None:
        return await _replay(session, order=order, entry=entry)
    transactions = await transaction_rows.transactions_of(session, order_id=order.id)
    try:
        loaded = await movement.subject.load(session, order) if movement.subject is not None else None
        facts = Facts(order, transactions, await _provider_name(session, order), loaded)
        plan = movement.validate(facts)
    except DomainError as error:
        await _remember(
            session, record, order, {"error": {"code": error.code, "message": error.message, "field": error.field}}
        )
        return Outcome(order.public_id, order.id, error)
    if plan.amount is None:
        await settlement.apply_success(
            session, order=order, transaction=None, actor=movement.actor, now=movement.now, note=movement.note
        )
        return Outcome(order.public_id, order.id)
    # Online plans come only with a provider; an order without one has its money handled outside.
    provider_name = facts.provider_name or "manual"
    pending = await transaction_rows.reserve(
        session, order=order, kind=movement.kind, amount=plan.amount, provider_name=provider_name, now=movement.now
    )
    if movement.subject is not None:
        await movement.subject.reserved(session, facts.subject, pending)
    await _remember(session, record, order, {"transaction_id": pending.id})
    if plan.offline_message is not None:
        outcome = ProviderOutcome(approved=True, message=plan.offline_message)
        await settlement.settle(
            session,
            transaction_id=pending.id,
            outcome=outcome,
            actor=movement.actor,
            now=movement.now,
            note=movement.note,
        )
        return Outcome(order.public_id, order.id)
    return _Reserved(pending, order, transaction_rows.authorization_number(transactions))


async def _call_and_settle(
    sessions: Sessions, *, providers: Providers, reserved: _Reserved, movement: Movement
) -> Outcome:
    order = reserved.order
    try:
        outcome = await transaction_rows.call_provider(
            providers.get(reserved.transaction.provider),
            transaction=reserved.transaction,
            order=order,
            authorization_number=reserved.authorization_number,
            timeout_seconds=movement.timeout_seconds,
            now=movement.now,
        )
    except DomainError as unsupported:
        # The provider refused before doing anything: the reservation is released as FAILED.
        await _settle(sessions, reserved, ProviderOutcome(approved=False, message=unsupported.message), movement)
        return Outcome(order.public_id, order.id, unsupported)
    testing_hooks.crash_point("provider")
    if outcome is None:
        return Outcome(order.public_id, order.id, _pending_error(reserved.transaction))
    await _settle(sessions, reserved, outcome, movement)
    return Outcome(order.public_id, order.id, None if outcome.approved else transaction_rows.declined(outcome))


async def _settle(sessions: Sessions, reserved: _Reserved, outcome: ProviderOutcome, movement: Movement) -> None:
    async with sessions() as session, session.begin():
        await settlement.settle(
            session,
            transaction_id=reserved.transaction.id,
            outcome=outcome,
            actor=movement.actor,
            now=movement.now,
            note=movement.note,
        )


async def _replay(session: AsyncSession, *, order: Order, entry: dict[str, Any]) -> Outcome:
    if "error" in entry:
        error = entry["error"]
        return Outcome(
            order.public_id, order.id, DomainError(ErrorCode(error["code"]), error["message"], error["field"])
        )
    transaction = await session.get_one(Transaction, entry["transaction_id"], populate_existing=True)
    if transaction.status is TransactionStatus.SUCCEEDED:
        return Outcome(order.public_id, order.id)
    if transaction.status is TransactionStatus.FAILED:
        return Outcome(
            order.public_id,
            order.id,
            transaction_rows.declined(ProviderOutcome(approved=False, message=transaction.message)),
        )
    return Outcome(order.public_id, order.id, _pending_error(transaction))


async def _locked_record(session: AsyncSession, keyed: Keyed | None) -> IdempotencyRecord | None:
    if keyed is None:
        return None
    return await session.scalar(
        sa.select(IdempotencyRecord)
        .where(IdempotencyRecord.id == keyed.record_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _remember(
    session: AsyncSession, record: IdempotencyRecord | None, order: Order, entry: dict[str, Any]
) -> None:
    if record is None:
        return
    # A new dict, so the JSON column is written (in-place changes are not tracked).
    result = {"orders": {**_entries(record), str(order.id): entry}}
    await idempotency.finish(session, record_id=record.id, result=result)


def _entries(record: IdempotencyRecord | None) -> dict[str, Any]:
    """What a keyed request did so far, per order id (`claim_key` starts it empty)."""
    if record is None or record.result is None:
        return {}
    return dict(record.result["orders"])


async def _provider_name(session: AsyncSession, order: Order) -> str | None:
    if order.payment_method_id is None:
        return None
    return await session.scalar(sa.select(PaymentMethod.provider).where(PaymentMethod.id == order.payment_method_id))


def _pending_error(transaction: Transaction) -> DomainError:
    return DomainError(
        ErrorCode.ALREADY_DONE,
        f"The {transaction.kind.lower()} of {transaction.amount} {transaction.currency} is pending at the payment "
        "provider; reconciliation will settle it.",
    )
