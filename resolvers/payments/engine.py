"""Running money movements in three short transactions, so no provider call happens under a lock.

Every movement runs here: checkout's authorization (completeCheckout, acceptQuote), an incremental
authorization (authorize), a recurring order's charge, capture, refund, cancel, the release of what
is authorized and not captured (releaseAuthorization) and a return's refund. Each is a `Movement`:
its purpose (the row kind it reserves and what settling that row means, `purposes`), its own `plan`
step, and who and when.

    claim    its own transaction           claim the idempotency key once per request (`idempotency`)
    phase 1  transaction 1, order locked   find the order, replay the key's entry for it if there is one,
                                           plan (counting PENDING rows), reserve a PENDING row; COMMIT
    phase 2  no transaction                call the provider once, with the row's reference, under a timeout;
                                           what it raises is mapped to a coded outcome (`payment_providers`)
    phase 3  transaction 2, order locked   `settlement.settle`: SUCCEEDED or FAILED and the purpose's
                                           effects; COMMIT

It takes the session factory (`Database.write_sessions`), not a session: it must commit
between the phases, and the request's own session only reads the result afterwards.
On SQLite each write transaction holds the store's write lock (BEGIN IMMEDIATE); on
PostgreSQL phase 1 and 3 hold the order's row lock. Either way two movements of the
same order never plan at the same time, and because PENDING amounts count against
what is available, none can overspend while another waits for its provider.

A transaction that loses to a concurrent one (a deadlock, a lock wait that gave up) rolled back
whole: the claim and phase 1 run once more from a fresh session and then answer CONFLICT, nothing
reserved; phase 3 runs once more too, and then leaves the row PENDING, the provider's answer
unrecorded but not lost: the caller gets ALREADY_DONE and reconciliation asks the provider again.

The plan runs in a savepoint: a refusal keeps nothing the plan did (checkout's plan takes the
stock, accepting a quote first turns it into a checkout). A provider that does not answer in
time, or fails after the call may have left, leaves the row PENDING: the caller gets ALREADY_DONE
and `reconciliation.run` asks the provider later. Nothing is ever guessed. Each order of a bulk
movement is judged alone: a provider failing on one order answers that order with its code, and
the next orders still run.

A keyed request answers each order from its entry (SUCCEEDED: the order; FAILED:
PROVIDER_DECLINED; PENDING: ALREADY_DONE; a refusal: the refusal) without calling the
provider. A movement whose failures do not bind its key (`replays_failures` False: a
checkout the shopper may fix and pay again) forgets a failed entry and runs again.

The crash tests stop the process right after phase 1 commits and right after the provider
answered (`testing_hooks.crash_point`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import database, money
from models.catalog import PaymentMethod
from models.enums import TransactionStatus
from models.orders import Order
from models.payments import Transaction
from resolvers.core import orders, testing_hooks
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode, conflict
from resolvers.payments import idempotency, settlement, transaction_rows
from resolvers.payments.payment_providers import ProviderOutcome, Providers
from resolvers.payments.purposes import Purpose, Settlement

Sessions = async_sessionmaker[AsyncSession]
Result = TypeVar("Result")


@dataclasses.dataclass(frozen=True, slots=True)
class Facts:
    """What a plan may look at besides the session: the locked order, its ledger and its provider."""

    order: Order
    transactions: list[Transaction]
    provider_name: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    """What the plan decided for one order.

    `amount` None: no money moves (a cancel with nothing authorized); the success applies at once.
    `offline_message`: the provider has nothing online; the row is recorded SUCCEEDED without a call.
    `reserved`: ties something else to the PENDING row in the same transaction (a return to its refund).
    `saved_payment`: an authorization charged to another order's authorization (a recurring order's).
    `last`: runs last in phase 1, just before its COMMIT, for what locks rows every movement of the kind
    waits for (checkout's stock): the lock is then held for a round trip or two and the commit. It may
    refuse like the plan; the whole of phase 1, the reservation too, is then rolled back. Single
    movements only (`run`): a bulk one settles many orders in one transaction.
    """

    amount: Decimal | None
    offline_message: str | None = None
    reserved: Callable[[AsyncSession, Transaction], Awaitable[None]] | None = None
    saved_payment: str | None = None
    last: Callable[[AsyncSession], Awaitable[None]] | None = None


PlanStep = Callable[[AsyncSession, Facts], Awaitable[Plan]]
FindOrder = Callable[[AsyncSession, str], Awaitable[Order]]
# Run in its own transaction (the order locked) when the provider did not answer; returns the answer.
Unanswered = Callable[[AsyncSession, Settlement], Awaitable[DomainError]]


def pure(plan: Callable[[Facts], Plan]) -> PlanStep:
    """A plan step that needs nothing but the facts."""

    async def step(session: AsyncSession, facts: Facts) -> Plan:
        return plan(facts)

    step.writes_nothing = True  # type: ignore[attr-defined]  # so it needs no savepoint
    return step


async def find_for_admin(session: AsyncSession, requested_id: str) -> Order:
    """The order by its current or an earlier id, locked; NOT_FOUND otherwise."""
    return await orders.get_for_admin(session, requested_id, for_update=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Movement:
    """Everything the phases need besides the order: the same for every order of a request."""

    purpose: Purpose
    plan: PlanStep
    actor: str | None
    now: datetime.datetime
    timeout_seconds: float
    note: str | None = None
    keyed: idempotency.KeyedRequest | None = None
    # How phase 1 finds and locks the order (a checkout: by the shopper's secret).
    find: FindOrder = find_for_admin
    # False: a refused or declined attempt does not bind the key, so the same key may try again.
    replays_failures: bool = True
    # What to record and answer when the provider did not answer in time; by default ALREADY_DONE.
    unanswered: Unanswered | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Reserved:
    requested_id: str
    transaction: Transaction
    order: Order
    authorization_number: str | None
    saved_payment: str | None


async def run(
    sessions: Sessions, *, providers: Providers, requested_ids: Sequence[str], movement: Movement
) -> list[Outcome]:
    """Run the movement for each requested order in turn; one Outcome per id, every expected failure in it."""
    try:
        claimed = await claim(sessions, movement)
    except DomainError as error:
        return [Outcome(requested_id, error=error) for requested_id in requested_ids]
    return await run_each(
        sessions, providers=providers, requested_ids=requested_ids, movement=movement, claimed=claimed
    )


async def run_each(
    sessions: Sessions,
    *,
    providers: Providers,
    requested_ids: Sequence[str],
    movement: Movement,
    claimed: idempotency.ClaimedKey | None,
) -> list[Outcome]:
    """`run` once the key is claimed: each order in its own three transactions, one after another."""
    return [
        await _run_one(sessions, providers=providers, requested_id=requested_id, movement=movement, claimed=claimed)
        for requested_id in requested_ids
    ]


async def claim(sessions: Sessions, movement: Movement) -> idempotency.ClaimedKey | None:
    """Claim the movement's idempotency key in its own transaction; None without a key. Raises its refusal."""
    if (keyed := movement.keyed) is None:
        return None
    return await _or_conflict(lambda: idempotency.claim(sessions, keyed, now=movement.now))


async def _run_one(
    sessions: Sessions,
    *,
    providers: Providers,
    requested_id: str,
    movement: Movement,
    claimed: idempotency.ClaimedKey | None,
) -> Outcome:
    async def reserve() -> Reserved | Outcome:
        async with sessions() as session, session.begin():
            return await _phase_one(session, requested_id=requested_id, movement=movement, claimed=claimed)

    try:
        reserved = await _or_conflict(reserve)
    except DomainError as error:
        return Outcome(requested_id, error=error)
    if isinstance(reserved, Outcome):
        return reserved
    testing_hooks.crash_point("reserve")
    return await _call_and_settle(sessions, providers=providers, reserved=reserved, movement=movement)


async def _phase_one(
    session: AsyncSession, *, requested_id: str, movement: Movement, claimed: idempotency.ClaimedKey | None
) -> Reserved | Outcome:
    order = await movement.find(session, requested_id)
    entries = await idempotency.entries(session, claimed) if claimed is not None else None
    transactions = await transaction_rows.transactions_of(session, order_id=order.id)
    facts = Facts(order, transactions, await provider_name(session, order))
    return await plan_and_reserve(session, requested_id=requested_id, facts=facts, entries=entries, movement=movement)


async def plan_and_reserve(
    session: AsyncSession,
    *,
    requested_id: str,
    facts: Facts,
    entries: idempotency.Entries | None,
    movement: Movement,
) -> Reserved | Outcome:
    """Phase 1 for one locked order: replay the key's entry, or plan and reserve the PENDING row."""
    order = facts.order
    if entries is not None:
        replayed = await _replay(session, requested_id=requested_id, order=order, entries=entries, movement=movement)
        if replayed is not None:
            return replayed
    try:
        plan = await _planned(session, facts, movement)
    except DomainError as error:
        if entries is not None and movement.replays_failures:
            await idempotency.remember(session, entries, order_id=order.id, refusal=error)
        if sa.inspect(order).expired_attributes:
            await session.refresh(order)  # the savepoint's rollback expired what the plan changed
        return Outcome(requested_id, order, error)
    if plan.amount is None:
        await movement.purpose.succeeded(session, _settlement(order, None, movement))
        return Outcome(requested_id, order)
    # Online plans come only with a provider; an order without one has its money handled outside.
    pending = await transaction_rows.reserve(
        session,
        order=order,
        kind=movement.purpose.kind,
        amount=plan.amount,
        provider_name=facts.provider_name or "manual",
        now=movement.now,
        # What follows needs the row's id only when it ties something to it or settles it now.
        flush=entries is not None or plan.reserved is not None or plan.offline_message is not None,
    )
    if plan.reserved is not None:
        await plan.reserved(session, pending)
    if entries is not None:
        await idempotency.remember(session, entries, order_id=order.id, transaction_id=pending.id)
    if plan.offline_message is not None:
        answer = ProviderOutcome(approved=True, message=plan.offline_message)
        settled = await settle(session, pending, answer, movement)
        return Outcome(requested_id, settled.order if settled is not None else order)
    if plan.last is not None:
        await session.flush()  # the rest of phase 1 first: the rows `last` locks are held from here to COMMIT
        await plan.last(session)
    number = transaction_rows.authorization_number(facts.transactions)
    return Reserved(requested_id, pending, order, number, plan.saved_payment)


async def _planned(session: AsyncSession, facts: Facts, movement: Movement) -> Plan:
    if getattr(movement.plan, "writes_nothing", False):
        return await movement.plan(session, facts)
    async with session.begin_nested():
        return await movement.plan(session, facts)


async def call(
    providers: Providers, *, reserved: Reserved, movement: Movement
) -> tuple[ProviderOutcome | None, DomainError | None]:
    """Phase 2: the provider's answer (None: unknown), and the refusal when the call was refused or not sent."""
    try:
        answer = await transaction_rows.call_provider(
            transaction_rows.provider_of(providers, reserved.transaction.provider),
            transaction=reserved.transaction,
            order=reserved.order,
            authorization_number=reserved.authorization_number,
            saved_payment=reserved.saved_payment,
            timeout_seconds=movement.timeout_seconds,
            now=movement.now,
        )
    except DomainError as unsent:
        # Refused or not sent (`payment_providers`): nothing moved, the reservation is released as FAILED.
        return ProviderOutcome(approved=False, message=unsent.message), unsent
    testing_hooks.crash_point("provider")
    return answer, None


async def _call_and_settle(
    sessions: Sessions, *, providers: Providers, reserved: Reserved, movement: Movement
) -> Outcome:
    answer, refusal = await call(providers, reserved=reserved, movement=movement)
    if answer is None:
        return Outcome(reserved.requested_id, reserved.order, await unanswered(sessions, reserved, movement))

    async def settle_alone() -> Settlement | None:
        async with sessions() as session, session.begin():
            return await settle(session, reserved.transaction, answer, movement)

    try:
        settled = await database.retry_once(settle_alone)
    except database.Conflict:
        return not_recorded(reserved)
    return settled_outcome(reserved, answer, refusal, settled)


def not_recorded(reserved: Reserved) -> Outcome:
    """The answer of an order whose provider answered but whose settle lost twice: the row stays PENDING."""
    # Reconciliation asks the provider for this answer again.
    error = pending_error(reserved.transaction, reserved.order, answered=True)
    return Outcome(reserved.requested_id, reserved.order, error)


def settled_outcome(
    reserved: Reserved, answer: ProviderOutcome, refusal: DomainError | None, settled: Settlement | None
) -> Outcome:
    if refusal is None and not answer.approved:
        refusal = transaction_rows.declined(answer)
    return Outcome(reserved.requested_id, settled.order if settled is not None else reserved.order, refusal)


async def settle(
    session: AsyncSession, transaction: Transaction, answer: ProviderOutcome, movement: Movement
) -> Settlement | None:
    return await settlement.settle(
        session,
        transaction_id=transaction.id,
        outcome=answer,
        purpose=movement.purpose,
        actor=movement.actor,
        now=movement.now,
        note=movement.note,
    )


async def unanswered(sessions: Sessions, reserved: Reserved, movement: Movement) -> DomainError:
    """Record and answer an order whose provider did not answer: the movement's own way, else ALREADY_DONE."""
    record_unanswered = movement.unanswered
    if record_unanswered is None:
        return pending_error(reserved.transaction, reserved.order)

    async def record() -> DomainError:
        async with sessions() as session, session.begin():
            order = await session.get_one(
                Order, reserved.order.id, with_for_update=database.ROW_LOCK, populate_existing=True
            )
            return await record_unanswered(session, _settlement(order, reserved.transaction, movement))

    try:
        return await database.retry_once(record)
    except database.Conflict:
        return pending_error(reserved.transaction, reserved.order)


async def _replay(
    session: AsyncSession, *, requested_id: str, order: Order, entries: idempotency.Entries, movement: Movement
) -> Outcome | None:
    """The answer the key gives for this order again; None when the movement should run (again)."""
    refusal = entries.refusal(order.id)
    if refusal is not None:
        return Outcome(requested_id, order, refusal)
    transaction_id = entries.transaction_id(order.id)
    if transaction_id is None:
        return None
    transaction = await session.get_one(Transaction, transaction_id, populate_existing=True)
    if transaction.status is TransactionStatus.SUCCEEDED:
        return Outcome(requested_id, order)
    if transaction.status is TransactionStatus.PENDING:
        return Outcome(requested_id, order, pending_error(transaction, order))
    if not movement.replays_failures:
        return None
    declined = ProviderOutcome(approved=False, message=transaction.message)
    return Outcome(requested_id, order, transaction_rows.declined(declined))


def _settlement(order: Order, transaction: Transaction | None, movement: Movement) -> Settlement:
    return Settlement(order, transaction, movement.actor, movement.now, movement.note)


async def provider_name(session: AsyncSession, order: Order) -> str | None:
    if order.payment_method_id is None:
        return None
    # The row, not the one column: a checkout's lock read it already (`orders.find`), and the session keeps it.
    return (await session.get_one(PaymentMethod, order.payment_method_id)).provider


async def _or_conflict(run: Callable[[], Awaitable[Result]]) -> Result:
    """`run()` in its own transaction, once more after a lost race; CONFLICT after a second."""
    try:
        return await database.retry_once(run)
    except database.Conflict as lost:
        raise conflict() from lost


def pending_error(transaction: Transaction, order: Order, *, answered: bool = False) -> DomainError:
    amount = money.shown(transaction.amount, currency_code=transaction.currency, minor_unit=order.currency_minor_unit)
    what = f"The {transaction.kind.lower()} of {amount}"
    if answered:
        why = "was answered by the payment provider, but a concurrent change kept the answer from being recorded"
    else:
        why = "is pending at the payment provider"
    return DomainError(ErrorCode.ALREADY_DONE, f"{what} {why}; reconciliation will settle it.")
