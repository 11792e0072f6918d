"""Webhook endpoints and their deliveries (admin only)."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON

from models import enums
from models import webhooks as webhook_models
from resolvers.integrations import webhooks
from schema.context import Context
from schema.enums import DeliveryStatus, WebhookEvent


@strawberry.type(description="An HTTP endpoint that receives signed events (Standard Webhooks).")
class Webhook:
    url: str
    is_active: bool
    description: str | None
    created_at: datetime.datetime

    @strawberry.field
    def id(self, root: strawberry.Parent[webhook_models.Webhook]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def events(self, root: strawberry.Parent[webhook_models.Webhook]) -> list[WebhookEvent]:  # type: ignore[valid-type]
        return [enums.WebhookEvent(name) for name in root.events]

    @strawberry.field
    async def deliveries(
        self,
        root: strawberry.Parent[webhook_models.Webhook],
        info: strawberry.Info[Context],
        first: int | None = 50,
        status: DeliveryStatus | None = None,  # type: ignore[valid-type]
    ) -> list[WebhookDelivery]:
        return await webhooks.deliveries(  # type: ignore[return-value]
            info.context.session, webhook_id=root.id, first=50 if first is None else first, status=status
        )


@strawberry.type
class WebhookDelivery:
    event: WebhookEvent  # type: ignore[valid-type]
    status: DeliveryStatus  # type: ignore[valid-type]
    attempts: int
    last_response_status: int | None
    last_error: str | None
    next_attempt_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    created_at: datetime.datetime

    @strawberry.field(description="Also the webhook-id header: the same on every attempt of one delivery.")
    def id(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def order_id(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> strawberry.ID | None:
        order = root.payload.get("data", {}).get("order") or {}
        return strawberry.ID(order["id"]) if "id" in order else None

    @strawberry.field(description="The JSON body sent.")
    def payload(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> JSON:
        return root.payload  # type: ignore[return-value]
