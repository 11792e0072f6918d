"""Webhook endpoints and their delivery outbox: written with the change, posted by the worker."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import DeliveryStatus, WebhookEvent


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    # The wire names (`order.created` …) the endpoint subscribed to.
    events: Mapped[list[str]] = mapped_column(sa.JSON)
    is_active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(sa.String(255))
    # Kept as it is, unlike token secrets (hashed): the worker needs the key itself to sign each body
    # (HMAC), so a hash would be useless. It is never served after createWebhook/rotateWebhookSecret.
    secret: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime.datetime]


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    # The worker's claim: due PENDING rows in order; and per-order ordering looks up earlier ones.
    __table_args__ = (
        sa.Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_webhook_deliveries_webhook_id_order_id_status", "webhook_id", "order_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[WebhookEvent] = mapped_column(enum_column(WebhookEvent))
    # The order's key (not its public id, which changes at checkout); kept when the order goes.
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_response_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime.datetime | None]
    # Set while a worker posts it, so two workers never send the same delivery at once.
    lease_until: Mapped[datetime.datetime | None]
    delivered_at: Mapped[datetime.datetime | None]
    created_at: Mapped[datetime.datetime]
