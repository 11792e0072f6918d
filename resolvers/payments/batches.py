"""A money movement of many orders in three transactions in all, the provider calls concurrent between them.

`engine` runs one order's movement in three short transactions of its own. A bulk request (capture
or cancel of many orders by an admin) runs the same phases once for all of its orders:

    phase 1  one transaction   lock every requested order in one statement, in id order (two bulk
                               requests sharing orders never deadlock), load their rows and
                               providers in one statement each, plan and reserve each order; COMMIT
    phase 2  no transaction    the provider calls, at most CONCURRENT_CALLS at a time (or the provider's
                               own `concurrent_calls`), none under a lock
    phase 3  one transaction   lock the answered orders again in id order, then their rows, in one
                               statement each, and settle each order; COMMIT

Each order is judged alone and gets the Outcome `engine` gives it; one order's refusal or decline
never stops the others. A request naming one order twice runs through `engine` order by order, since
the second answer depends on the first's settle. A transaction that loses to a concurrent one runs
once more; after a second loss phase 1 answers CONFLICT for every order (nothing reserved) and phase 3
leaves the rows PENDING with ALREADY_DONE for reconciliation, as one order's phase 3 does. A provider
that does not answer in time is recorded per order as `engine` records it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import database
from models.catalog import PaymentMethod
from models.orders import Order
from models.payments import Transaction
from resolvers.core import bulk, testing_hooks
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, conflict, not_found
from resolvers.payments import engine, idempotency, settlement
from resolvers.payments.engine import Facts, Movement, Reserved, Sessions
from resolvers.payments.payment_providers import ProviderOutcome, Providers
from resolvers.payments.purposes import Settlement

# Provider calls in flight at once for one request: enough to hide a gateway's latency, few enough
# that one bulk request does not open hundreds of connections to it.
CONCURRENT_CALLS = 16

_Answer = tuple[ProviderOutcome | None, DomainError | None]


async def run(
    sessions: Sessions, *, providers: Providers, requested_ids: Sequence[str], movement: Movement
) -> list[Outcome]:
    """Run the movement for every requested order; one Outcome per id, in request order."""
    if len(requested_ids) < 2 or movement.find is not engine.find_for_admin:
        return await engine.run(sessions, providers=providers, requested_ids=requested_ids, movement=movement)
    try:
        claimed = await engine.claim(sessions, movement)
    except DomainError as error:
        return [Outcome(requested_id, error=error) for requested_id in requested_ids]

    async def reserve_all() -> list[Reserved | Outcome] | None:
        async with sessions() as session, session.begin():
            return await _phase_one(session, requested_ids=requested_ids, movement=movement, claimed=claimed)

    try:
        planned = await database.retry_once(reserve_all)
    except database.Conflict:
        return [Outcome(requested_id, error=conflict()) for requested_id in requested_ids]
    if planned is None:
        return await engine.run_each(
            sessions, providers=providers, requested_ids=requested_ids, movement=movement, claimed=claimed
        )
    reserved = [item for item in planned if isinstance(item, Reserved)]
    if not reserved:
        return [item for item in planned if isinstance(item, Outcome)]
    testing_hooks.crash_point("reserve")
    answers = await _call_all(providers, reserved, movement)
    settled = await _settle_all(sessions, reserved, answers, movement)
    return [settled[id(item)] if isinstance(item, Reserved) else item for item in planned]


async def _phase_one(
    session: AsyncSession,
    *,
    requested_ids: Sequence[str],
    movement: Movement,
    claimed: idempotency.ClaimedKey | None,
) -> list[Reserved | Outcome] | None:
    found = await bulk.find_many(session, requested_ids, for_update=True)
    locked = {outcome.order.id: outcome.order for outcome in found if outcome.order is not None}
    if len(locked) < sum(outcome.order is not None for outcome in found):
        # An order named twice (by one id or by an earlier one): the second waits for the first's
        # settle and answers as it finds the order then, so these run one after another.
        return None
    entries = await idempotency.entries(session, claimed) if claimed is not None else None
    transactions = await _transactions_of(session, list(locked))
    provider_names = await _provider_names(session, locked.values())
    planned: list[Reserved | Outcome] = []
    for outcome in found:
        order = outcome.order
        if order is None:
            planned.append(Outcome(outcome.requested_id, error=not_found("Order", outcome.requested_id)))
            continue
        facts = Facts(order, transactions[order.id], provider_names.get(order.payment_method_id))
        planned.append(
            await engine.plan_and_reserve(
                session, requested_id=outcome.requested_id, facts=facts, entries=entries, movement=movement
            )
        )
    await session.flush()  # every reservation in one INSERT
    return planned


async def _call_all(providers: Providers, reserved: list[Reserved], movement: Movement) -> list[_Answer]:
    turns: dict[str, asyncio.Semaphore] = {}

    async def call(one: Reserved) -> _Answer:
        name = one.transaction.provider
        if name not in turns:
            turns[name] = asyncio.Semaphore(_concurrent_calls(providers, name))
        async with turns[name]:
            return await engine.call(providers, reserved=one, movement=movement)

    return list(await asyncio.gather(*(call(one) for one in reserved)))


def _concurrent_calls(providers: Providers, name: str) -> int:
    """How many calls the provider takes at once: its own `concurrent_calls`, else CONCURRENT_CALLS."""
    try:
        provider = providers.get(name)
    except Exception:  # the call itself answers PROVIDER_UNSUPPORTED (`transaction_rows.provider_of`)
        return 1
    return int(getattr(provider, "concurrent_calls", CONCURRENT_CALLS))


async def _settle_all(
    sessions: Sessions, reserved: list[Reserved], answers: list[_Answer], movement: Movement
) -> dict[int, Outcome]:
    """Phase 3: every answered order settled in one transaction; the unanswered ones as `engine` records them."""
    outcomes: dict[int, Outcome] = {}
    answered = [(one, answer) for one, answer in zip(reserved, answers, strict=True) if answer[0] is not None]
    for one, (answer, _) in zip(reserved, answers, strict=True):
        if answer is None:
            error = await engine.unanswered(sessions, one, movement)
            outcomes[id(one)] = Outcome(one.requested_id, one.order, error)

    async def settle_answered() -> list[Settlement | None]:
        async with sessions() as session, session.begin():
            return await _settle_locked(session, [(one, answer) for one, (answer, _) in answered], movement)

    try:
        settled = await database.retry_once(settle_answered)
    except database.Conflict:
        outcomes.update({id(one): engine.not_recorded(one) for one, _ in answered})
        return outcomes
    for (one, (answer, refusal)), result in zip(answered, settled, strict=True):
        assert answer is not None
        outcomes[id(one)] = engine.settled_outcome(one, answer, refusal, result)
    return outcomes


async def _settle_locked(
    session: AsyncSession, answered: list[tuple[Reserved, ProviderOutcome | None]], movement: Movement
) -> list[Settlement | None]:
    order_ids = sorted({one.order.id for one, _ in answered})
    locked = database.lock_rows(sa.select(Order).where(Order.id.in_(order_ids)).order_by(Order.id))
    orders = {order.id: order for order in (await session.scalars(locked.execution_options(populate_existing=True)))}
    rows = database.lock_rows(
        sa.select(Transaction).where(Transaction.id.in_([one.transaction.id for one, _ in answered]))
    ).order_by(Transaction.id)
    transactions = {row.id: row for row in await session.scalars(rows.execution_options(populate_existing=True))}
    results = []
    for one, answer in answered:
        assert answer is not None
        results.append(
            await settlement.settle_locked(
                session,
                settled=Settlement(
                    orders[one.order.id], transactions[one.transaction.id], movement.actor, movement.now, movement.note
                ),
                outcome=answer,
                purpose=movement.purpose,
            )
        )
    return results


async def _transactions_of(session: AsyncSession, order_ids: list[int]) -> dict[int, list[Transaction]]:
    by_order: dict[int, list[Transaction]] = defaultdict(list)
    if order_ids:
        statement = (
            sa.select(Transaction)
            .where(Transaction.order_id.in_(order_ids))
            .order_by(Transaction.created_at, Transaction.id)
        )
        for transaction in await session.scalars(statement):
            by_order[transaction.order_id].append(transaction)
    return by_order


async def _provider_names(session: AsyncSession, orders: Iterable[Order]) -> dict[int | None, str]:
    method_ids = {order.payment_method_id for order in orders if order.payment_method_id is not None}
    if not method_ids:
        return {}
    statement = sa.select(PaymentMethod.id, PaymentMethod.provider).where(PaymentMethod.id.in_(method_ids))
    return {method_id: provider for method_id, provider in (await session.execute(statement)).all()}
