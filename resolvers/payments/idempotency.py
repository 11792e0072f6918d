"""Idempotency keys: the same key and request give the first result again; a different request is a conflict.

Keys are scoped per mutation and kept at least `idempotency_keep_hours`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.payments import IdempotencyRecord
from resolvers.core.errors import DomainError, ErrorCode, invalid

MAX_KEY_LENGTH = 255


@dataclasses.dataclass(frozen=True, slots=True)
class Claim:
    record_id: int
    # The stored result of the first request with this key, when it finished; None for a new claim.
    replay: dict[str, Any] | None


def request_hash(request: dict[str, Any]) -> str:
    """A stable digest of the request's meaningful values."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def claim(
    session: AsyncSession, *, scope: str, key: str, request: dict[str, Any], now: datetime.datetime
) -> Claim:
    """Claim `key` for this request (the caller's transaction must hold the write lock or row lock).

    Raises IDEMPOTENCY_CONFLICT for a key used with a different request, and ALREADY_DONE while the
    first request with the key is still running.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters.", ["idempotencyKey"])
    digest = request_hash(request)
    record = await session.scalar(
        sa.select(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .with_for_update()
    )
    if record is None:
        record = IdempotencyRecord(scope=scope, key=key, request_hash=digest, result=None, created_at=now)
        session.add(record)
        await session.flush()
        return Claim(record_id=record.id, replay=None)
    if record.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_CONFLICT, "This idempotency key was used for a different request.", ["idempotencyKey"]
        )
    if record.result is None:
        raise DomainError(
            ErrorCode.ALREADY_DONE, "A request with this idempotency key is still running; retry shortly."
        )
    return Claim(record_id=record.id, replay=record.result)


async def finish(session: AsyncSession, *, record_id: int, result: dict[str, Any]) -> None:
    """Store the result the key will replay."""
    await session.execute(sa.update(IdempotencyRecord).where(IdempotencyRecord.id == record_id).values(result=result))


async def release(session: AsyncSession, *, record_id: int) -> None:
    """Forget a claim whose request failed before doing anything, so the key may be used again."""
    await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


async def purge(session: AsyncSession, *, older_than: datetime.datetime) -> int:
    result = await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
