"""Webhook endpoints and their deliveries (admin only)."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from models import enums
from models import webhooks as webhook_models
from resolvers.integrations import webhooks
from schema.context import Context
from schema.enums import DeliveryStatus, WebhookEvent


@strawberry.type(description="An HTTP endpoint that receives signed events (Standard Webhooks).")
class Webhook:
    url: str = strawberry.field(description="Where deliveries are POSTed (http or https).")
    is_active: bool = strawberry.field(description="Whether new events are delivered to it.")
    description: str | None = strawberry.field(description="The admin's note about it.")
    created_at: datetime.datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(description="The webhook's id.")
    def id(self, root: strawberry.Parent[webhook_models.Webhook]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="The events it receives.")
    def events(self, root: strawberry.Parent[webhook_models.Webhook]) -> list[WebhookEvent]:  # type: ignore[valid-type]
        return [enums.WebhookEvent(name) for name in root.events]

    @strawberry.field(description="Its deliveries, newest first.")
    async def deliveries(
        self,
        root: strawberry.Parent[webhook_models.Webhook],
        info: strawberry.Info[Context],
        first: Annotated[int | None, strawberry.argument(description="How many to answer (newest first).")] = 50,
        status: Annotated[
            DeliveryStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only deliveries with this status."),
        ] = None,
    ) -> list[WebhookDelivery]:
        return await webhooks.deliveries(  # type: ignore[return-value]
            info.context.session, webhook_id=root.id, first=50 if first is None else first, status=status
        )


@strawberry.type(description="One event sent (or to send) to one webhook, with its attempts.")
class WebhookDelivery:
    event: WebhookEvent = strawberry.field(description="The event it carries.")  # type: ignore[valid-type]
    status: DeliveryStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    attempts: int = strawberry.field(description="How many times it was sent.")
    last_response_status: int | None = strawberry.field(
        description="The HTTP status of the last attempt; null when no answer came."
    )
    last_error: str | None = strawberry.field(description="Why the last attempt failed; null when none failed.")
    next_attempt_at: datetime.datetime | None = strawberry.field(
        description="When the worker tries again; null when delivered or failed for good."
    )
    delivered_at: datetime.datetime | None = strawberry.field(
        description="When the endpoint accepted it; null until then."
    )
    created_at: datetime.datetime = strawberry.field(description="When it was queued (with the change that caused it).")

    @strawberry.field(description="Also the webhook-id header: the same on every attempt of one delivery.")
    def id(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="The order it is about (its public id when the event happened).")
    def order_id(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> strawberry.ID | None:
        order = root.payload.get("data", {}).get("order") or {}
        return strawberry.ID(order["id"]) if "id" in order else None

    @strawberry.field(description="The JSON body sent.")
    def payload(self, root: strawberry.Parent[webhook_models.WebhookDelivery]) -> JSON:
        return root.payload  # type: ignore[return-value]
