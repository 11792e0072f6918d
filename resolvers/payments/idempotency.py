"""Idempotency keys: the same key and request give the first result again; a different request is a conflict.

One path for every keyed money movement (completeCheckout, capture, refund, refundReturn):

    claim()      once per request, in its own transaction: a new key is stored with its request's digest
                 and no entries; a known key with another digest is IDEMPOTENCY_CONFLICT. Two first
                 uses at once (PostgreSQL): the loser's insert hits the unique key, and its retry
                 finds the winner's record, so it proceeds as the same request or is a conflict
    entries()    in each order's first phase, under the order's lock and the key record's lock:
                 what the request did to each order so far
    remember()   in the same transaction: the PENDING row reserved for an order, or the refusal it got

The engine replays an order's entry instead of moving money again; because an entry points at
the ledger, a movement settled later by reconciliation replays its real outcome. Keys are
scoped per mutation and kept at least `idempotency_keep_hours` (`reconciliation` purges them).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.payments import IdempotencyRecord
from resolvers.core.errors import DomainError, ErrorCode, invalid

MAX_KEY_LENGTH = 255
# A lost race finds the winner's record on the next attempt; a third loss needs a purge in between.
CLAIM_ATTEMPTS = 3


# The meaningful values of a request that are read from the store (completeCheckout: the order's internal
# id), read in the claim's own transaction; what it raises is the request's answer, before the key is judged.
RequestOf = Callable[[AsyncSession], Awaitable[dict[str, Any]]]


@dataclasses.dataclass(frozen=True, slots=True)
class KeyedRequest:
    """An idempotency key with the meaningful values of the request it came with."""

    scope: str
    key: str
    request: dict[str, Any] | RequestOf


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedKey:
    record_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Entries:
    """What a keyed request did so far, per order id, as read under the key record's lock."""

    record_id: int
    by_order: dict[str, dict[str, Any]]

    def refusal(self, order_id: int) -> DomainError | None:
        entry = self.by_order.get(str(order_id), {}).get("error")
        return None if entry is None else DomainError(ErrorCode(entry["code"]), entry["message"], entry["field"])

    def transaction_id(self, order_id: int) -> int | None:
        entry = self.by_order.get(str(order_id), {})
        return int(entry["transaction_id"]) if "transaction_id" in entry else None


def keyed(scope: str, key: str | None, request: dict[str, Any]) -> KeyedRequest | None:
    """The request under its key, or None for a request sent without one."""
    return None if key is None else KeyedRequest(scope, key, request)


def request_hash(request: dict[str, Any]) -> str:
    """A stable digest of the request's meaningful values."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def claim(
    sessions: async_sessionmaker[AsyncSession], keyed: KeyedRequest, *, now: datetime.datetime
) -> ClaimedKey:
    """Claim the key for this request in its own transaction.

    Raises IDEMPOTENCY_CONFLICT when the key was used with a different request, INVALID for a bad key,
    and ALREADY_DONE when concurrent first uses kept inserting it (a request with it is in flight).
    """
    if isinstance(keyed.request, dict):
        _refuse_bad_key(keyed.key)
    for _ in range(CLAIM_ATTEMPTS):
        try:
            async with sessions() as session, session.begin():
                return await _claim(session, keyed, now=now)
        except sa.exc.IntegrityError:
            # A concurrent first use of the same key inserted it first (PostgreSQL); the retry finds it.
            continue
    raise DomainError(
        ErrorCode.ALREADY_DONE, "A request with this idempotency key is in flight; retry shortly.", ["idempotencyKey"]
    )


async def entries(session: AsyncSession, claimed: ClaimedKey) -> Entries | None:
    """Lock the key's record and read its entries; None when it was purged meanwhile."""
    record = await session.scalar(
        sa.select(IdempotencyRecord)
        .where(IdempotencyRecord.id == claimed.record_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if record is None:
        return None
    return Entries(record.id, dict((record.result or {}).get("orders", {})))


async def remember(
    session: AsyncSession,
    entries: Entries,
    *,
    order_id: int,
    transaction_id: int | None = None,
    refusal: DomainError | None = None,
) -> None:
    """Record what the request did to the order: the row it reserved, or the refusal it answered."""
    entry: dict[str, Any]
    if refusal is not None:
        entry = {"error": {"code": refusal.code, "message": refusal.message, "field": refusal.field}}
    else:
        assert transaction_id is not None, "an entry is a reserved row or a refusal"
        entry = {"transaction_id": transaction_id}
    entries.by_order[str(order_id)] = entry
    # A new dict, so the JSON column is written (in-place changes are not tracked).
    await session.execute(
        sa.update(IdempotencyRecord)
        .where(IdempotencyRecord.id == entries.record_id)
        .values(result={"orders": dict(entries.by_order)})
    )


async def purge(session: AsyncSession, *, older_than: datetime.datetime) -> int:
    result = await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _refuse_bad_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters.", ["idempotencyKey"])


async def _claim(session: AsyncSession, keyed: KeyedRequest, *, now: datetime.datetime) -> ClaimedKey:
    if isinstance(keyed.request, dict):
        request = keyed.request
    else:
        request = await keyed.request(session)
        _refuse_bad_key(keyed.key)
    digest = request_hash(request)
    record = await session.scalar(
        sa.select(IdempotencyRecord)
        .where(IdempotencyRecord.scope == keyed.scope, IdempotencyRecord.key == keyed.key)
        .with_for_update()
    )
    if record is None:
        record = IdempotencyRecord(
            scope=keyed.scope, key=keyed.key, request_hash=digest, result={"orders": {}}, created_at=now
        )
        session.add(record)
        await session.flush()
    elif record.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT, "This idempotency key was used for a different request.", ["idempotencyKey"]
        )
    return ClaimedKey(record.id)
