"""Posting the webhook outbox: claimed under a lease, signed (Standard Webhooks), retried with backoff.

    PENDING ── claim: lease_until, attempts + 1 ──► posting ── 2xx ──► DELIVERED
       ▲                                               │
       └── other answer or network error, ◄────────────┤
           attempts < max: due after                   └── attempts = max ──► FAILED (redeliverWebhook
           retry_after * 2^(attempts - 1)                                    queues it again)

What it promises, as `fulfilment.mail_delivery` does for mail, whose claim and lease it follows:

- Never sent by two workers at once: a claim is a short transaction taking due rows nobody holds
  (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock serializes claims) and stamping
  `lease_until`, which is also the fencing token an outcome is recorded under.
- In order per order and endpoint: a delivery is not claimed while an earlier one of the same order
  to the same endpoint is still PENDING (retrying included).
- At least once: a worker that dies after the receiver answered and before the outcome is committed
  leaves the delivery to be posted again once its lease ends, with the same `webhook-id` (the
  delivery id), so receivers deduplicate on it.
- The receiver gets `timeout_seconds` for the whole exchange, redirects are not followed (a 3xx is a
  failed attempt), and at most `RESPONSE_LIMIT` bytes of its answer are read, for `lastError`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
import standardwebhooks
import structlog
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import DeliveryStatus
from models.settings import Settings
from models.webhooks import Webhook, WebhookDelivery
from resolvers.core import outbox
from resolvers.fulfilment import mail_delivery

RESPONSE_LIMIT = 4096
_MAX_BACKOFF = datetime.timedelta(days=1)
_ERROR_LENGTH = 500

log = structlog.get_logger("ordergraph.webhooks")


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    timeout_seconds: float = 5.0
    max_attempts: int = 8
    retry_after: datetime.timedelta = datetime.timedelta(seconds=30)
    lease: datetime.timedelta = datetime.timedelta(minutes=2)
    batch_size: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        return cls(
            timeout_seconds=settings.webhook_timeout_seconds,
            max_attempts=settings.webhook_max_attempts,
            retry_after=datetime.timedelta(seconds=settings.webhook_retry_after_seconds),
            lease=datetime.timedelta(seconds=settings.webhook_lease_seconds),
            batch_size=settings.webhook_batch_size,
        )


# The mail outbox's tally: `sent` counts deliveries the receiver accepted (2xx).
Report = mail_delivery.Report


@dataclasses.dataclass(frozen=True, slots=True)
class _Claimed:
    id: int
    url: str
    secret: str
    body: str
    attempts: int
    lease_until: datetime.datetime


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    options: Options,
    clock: Callable[[], datetime.datetime],
    stop: asyncio.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Post every PENDING delivery that is due, a batch at a time, until none is left (or `stop` is set)."""
    report = Report()
    timeout = httpx.Timeout(options.timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport) as client:
        while stop is None or not stop.is_set():
            report.failed += await _fail_abandoned(sessions, options=options, now=clock())
            claimed = await _claim_deliveries(sessions, options=options, now=clock())
            if not claimed:
                break
            for position, delivery in enumerate(claimed):
                if delivery.lease_until - clock() < datetime.timedelta(seconds=options.timeout_seconds):
                    report.released += await _release(sessions, claimed[position:])
                    break
                status, error = await _post(client, delivery, timeout_seconds=options.timeout_seconds, now=clock())
                await _record(
                    sessions, delivery, status=status, error=error, options=options, now=clock(), report=report
                )
    return report


# ---------------------------------------------------------------- claiming


async def _claim_deliveries(
    sessions: async_sessionmaker[AsyncSession], *, options: Options, now: datetime.datetime
) -> list[_Claimed]:
    async with sessions() as session, session.begin():
        rows = await outbox.due_batch(
            session,
            WebhookDelivery,
            where=[_claimable(now), WebhookDelivery.attempts < options.max_attempts, ~_earlier_pending()],
            order_by=[WebhookDelivery.next_attempt_at, WebhookDelivery.id],
            limit=options.batch_size,
        )
        if not rows:
            return []
        lease_until = now + max(options.lease, datetime.timedelta(seconds=options.timeout_seconds * 2))
        await session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([row.id for row in rows]), _claimable(now))
            .values(lease_until=lease_until, attempts=WebhookDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        hooks = {
            hook.id: hook
            for hook in await session.scalars(sa.select(Webhook).where(Webhook.id.in_({r.webhook_id for r in rows})))
        }
        return [
            _Claimed(
                id=row.id,
                url=hooks[row.webhook_id].url,
                secret=hooks[row.webhook_id].secret,
                body=json.dumps(row.payload, separators=(",", ":"), ensure_ascii=False),
                attempts=row.attempts + 1,
                lease_until=lease_until,
            )
            for row in rows
        ]


def _claimable(now: datetime.datetime) -> sa.ColumnElement[bool]:
    """Due, held by nobody, and for an active endpoint (a paused one's deliveries wait for it)."""
    return sa.and_(
        WebhookDelivery.status == DeliveryStatus.PENDING,
        WebhookDelivery.webhook_id.in_(sa.select(Webhook.id).where(Webhook.is_active.is_(True))),
        WebhookDelivery.next_attempt_at <= now,
        sa.or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now),
    )


def _earlier_pending() -> sa.Exists:
    """An earlier PENDING delivery of the same order to the same endpoint: this one waits for it."""
    earlier = orm.aliased(WebhookDelivery)
    return sa.exists().where(
        earlier.webhook_id == WebhookDelivery.webhook_id,
        earlier.order_id == WebhookDelivery.order_id,
        earlier.id < WebhookDelivery.id,
        earlier.status == DeliveryStatus.PENDING,
    )


async def _fail_abandoned(
    sessions: async_sessionmaker[AsyncSession], *, options: Options, now: datetime.datetime
) -> int:
    """FAILED for deliveries whose last attempt ended with its worker (the lease ran out, attempts used up)."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.update(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.attempts >= options.max_attempts,
                sa.or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now),
            )
            .values(
                status=DeliveryStatus.FAILED,
                lease_until=None,
                last_error="The worker stopped during the last allowed attempt: the receiver may or may not have it.",
            )
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- posting


async def _post(
    client: httpx.AsyncClient, delivery: _Claimed, *, timeout_seconds: float, now: datetime.datetime
) -> tuple[int | None, str | None]:
    """The receiver's status (None on a network error or timeout) and, unless it was 2xx, why it failed."""
    headers = {
        "content-type": "application/json",
        "webhook-id": str(delivery.id),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(delivery.secret).sign(str(delivery.id), now, delivery.body),
    }
    try:
        # httpx's timeout bounds each read; this bounds the whole exchange, so a trickling answer ends too.
        async with (
            asyncio.timeout(timeout_seconds),
            client.stream("POST", delivery.url, content=delivery.body.encode(), headers=headers) as response,
        ):
            answer = await _read_limited(response)
    except (TimeoutError, httpx.TimeoutException):
        return None, f"Timeout: no whole answer within {timeout_seconds:g} seconds."
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:_ERROR_LENGTH]
    if response.is_success:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {answer}"[:_ERROR_LENGTH]


async def _read_limited(response: httpx.Response) -> str:
    received = bytearray()
    async for chunk in response.aiter_raw():
        received.extend(chunk[: RESPONSE_LIMIT - len(received)])
        if len(received) >= RESPONSE_LIMIT:
            break
    return received.decode(errors="replace")


# ---------------------------------------------------------------- outcomes


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    delivery: _Claimed,
    *,
    status: int | None,
    error: str | None,
    options: Options,
    now: datetime.datetime,
    report: Report,
) -> None:
    values: dict[str, Any] = {"last_response_status": status, "last_error": error}
    if error is None:
        values.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif delivery.attempts < options.max_attempts:
        backoff = min(options.retry_after * 2 ** (delivery.attempts - 1), _MAX_BACKOFF)
        values.update(next_attempt_at=now + backoff)
    else:
        values.update(status=DeliveryStatus.FAILED)
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.lease_until == delivery.lease_until,
            )
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        log.error("webhook lease lost before its outcome was recorded", id=delivery.id)
        return
    outcome = values.get("status", DeliveryStatus.PENDING)
    if outcome is DeliveryStatus.DELIVERED:
        report.sent += 1
    elif outcome is DeliveryStatus.FAILED:
        report.failed += 1
        log.error("webhook failed", id=delivery.id, attempts=delivery.attempts, error=error)
    else:
        report.retrying += 1
        log.warning("webhook not delivered, will retry", id=delivery.id, attempts=delivery.attempts, error=error)


async def _release(sessions: async_sessionmaker[AsyncSession], deliveries: Sequence[_Claimed]) -> int:
    """Hand claimed deliveries back unsent, their attempt not counted."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_([delivery.id for delivery in deliveries]),
                WebhookDelivery.lease_until == deliveries[0].lease_until,
            )
            .values(lease_until=None, attempts=WebhookDelivery.attempts - 1)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
