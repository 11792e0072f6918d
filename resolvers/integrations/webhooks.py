"""Webhook endpoints (admin): register, change, delete, rotate the signing secret, queue a delivery again.

An endpoint is an http(s) URL (loopback and private hosts allowed: a shop's ERP often runs next
door), the events it wants, and a Standard Webhooks secret (`whsec_` + base64 of 32 random bytes),
answered only when it is made.
"""

from __future__ import annotations

import base64
import datetime
import secrets
import urllib.parse
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import DeliveryStatus, WebhookEvent
from models.webhooks import Webhook, WebhookDelivery
from resolvers.core import validation
from resolvers.core.errors import invalid, not_found
from resolvers.fulfilment.flows import parse_id

MAX_URL_LENGTH = 2000
_SECRET_BYTES = 32


async def create(
    session: AsyncSession,
    *,
    url: str,
    events: Sequence[WebhookEvent],
    description: str | None,
    is_active: bool,
    now: datetime.datetime,
) -> tuple[Webhook, str]:
    """Register an endpoint; answers it with its new secret. Raises INVALID (URL, no events, description)."""
    webhook = Webhook(secret=new_secret(), created_at=now)
    _fill(webhook, url=url, events=events, description=description, is_active=is_active)
    session.add(webhook)
    await session.flush()
    return webhook, webhook.secret


async def update(
    session: AsyncSession,
    *,
    webhook_id: str,
    url: str,
    events: Sequence[WebhookEvent],
    description: str | None,
    is_active: bool,
) -> Webhook:
    """Change an endpoint; its queued deliveries stay. Raises NOT_FOUND and INVALID."""
    webhook = await get(session, webhook_id=webhook_id)
    _fill(webhook, url=url, events=events, description=description, is_active=is_active)
    await session.flush()
    return webhook


async def delete(session: AsyncSession, *, webhook_id: str) -> int:
    """Delete an endpoint and its deliveries (queued ones are never sent). Raises NOT_FOUND."""
    webhook = await get(session, webhook_id=webhook_id)
    await session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    await session.delete(webhook)
    await session.flush()
    return webhook.id


async def rotate_secret(session: AsyncSession, *, webhook_id: str) -> tuple[Webhook, str]:
    """Give an endpoint a new secret; later attempts are signed with it. Raises NOT_FOUND."""
    webhook = await get(session, webhook_id=webhook_id)
    webhook.secret = new_secret()
    await session.flush()
    return webhook, webhook.secret


async def redeliver(session: AsyncSession, *, delivery_id: str, now: datetime.datetime) -> Webhook:
    """Queue a delivery again, due now, with fresh attempts (the worker sends it). Raises NOT_FOUND."""
    key = parse_id(delivery_id)
    delivery = await session.get(WebhookDelivery, key, with_for_update=True) if key is not None else None
    if delivery is None:
        raise not_found("Webhook delivery", delivery_id, ["deliveryId"])
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.delivered_at = None
    await session.flush()
    webhook = await session.get(Webhook, delivery.webhook_id)
    assert webhook is not None  # the foreign key
    return webhook


async def get(session: AsyncSession, *, webhook_id: str, field: str = "id") -> Webhook:
    """An endpoint, or NOT_FOUND."""
    webhook = await find(session, webhook_id=webhook_id)
    if webhook is None:
        raise not_found("Webhook", webhook_id, [field])
    return webhook


async def find(session: AsyncSession, *, webhook_id: str) -> Webhook | None:
    key = parse_id(webhook_id)
    return await session.get(Webhook, key) if key is not None else None


async def listed(session: AsyncSession) -> Sequence[Webhook]:
    return (await session.scalars(sa.select(Webhook).order_by(Webhook.id))).all()


async def deliveries(
    session: AsyncSession, *, webhook_id: int, first: int, status: DeliveryStatus | None
) -> Sequence[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    query = sa.select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return (await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(max(first, 0)))).all()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def check_url(url: str, *, field: list[str]) -> str:
    """The URL stripped, or INVALID: http or https with a host, no credentials, no spaces."""
    text = url.strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise invalid(f"A webhook URL is 1 to {MAX_URL_LENGTH} characters.", field)
    if any(character.isspace() or not character.isprintable() for character in text):
        raise invalid("A webhook URL may not contain spaces or control characters.", field)
    try:
        split = urllib.parse.urlsplit(text)
        split.port  # noqa: B018 (parses the port: a bad one raises)
    except ValueError as error:
        raise invalid(f"Not a valid URL: {error}.", field) from error
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        raise invalid("A webhook URL is an http:// or https:// URL with a host.", field)
    if split.username is not None or split.password is not None:
        raise invalid("A webhook URL may not carry credentials; the signature authenticates the sender.", field)
    return text


def _fill(
    webhook: Webhook, *, url: str, events: Sequence[WebhookEvent], description: str | None, is_active: bool
) -> None:
    if not events:
        raise invalid("Choose at least one event.", ["input", "events"])
    webhook.url = check_url(url, field=["input", "url"])
    webhook.events = [event.value for event in dict.fromkeys(events)]
    webhook.description = validation.text_fits(Webhook.description, description, field=["input", "description"])
    webhook.is_active = is_active
