"""Webhook endpoints (admin): list and read them, register, change, delete, rotate the secret, redeliver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.integrations import webhooks
from schema import arguments, errors, guards
from schema.context import Context
from schema.enums import WebhookEvent
from schema.errors import UserError
from schema.guards import require_admin
from schema.payloads import Answer, DeletePayload
from schema.types.webhooks import Webhook


@strawberry.input(description="A webhook endpoint's settings.")
class WebhookInput:
    url: str = strawberry.field(
        description="Where deliveries are POSTed: an http or https URL (loopback and private addresses allowed)."
    )
    events: list[WebhookEvent] = strawberry.field(description="The events it receives (at least one).")  # type: ignore[valid-type]
    description: str | None = strawberry.field(default=None, description="A note for admins, e.g. what listens there.")
    is_active: bool | None = strawberry.field(
        default=True, description="Whether events are delivered to it; false pauses it (nothing is queued meanwhile)."
    )


@strawberry.type(description="The webhook a mutation saved, or why it could not.")
class WebhookPayload(Answer):
    result_field = "webhook"

    webhook: Webhook | None = strawberry.field(default=None, description="The endpoint as saved; null on failure.")
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (whsec_…), returned only by createWebhook and rotateWebhookSecret.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Every registered webhook endpoint (admins only: FORBIDDEN otherwise).")
    async def webhooks(self, info: strawberry.Info[Context]) -> list[Webhook]:
        require_admin(info.context.viewer)
        return await webhooks.listed(info.context.session)  # type: ignore[return-value]

    @strawberry.field(description="One webhook endpoint (admins only); null for an unknown id.")
    async def webhook(
        self,
        info: strawberry.Info[Context],
        id: arguments.WebhookId,
    ) -> Webhook | None:
        require_admin(info.context.viewer)
        return await webhooks.find(info.context.session, webhook_id=str(id))  # type: ignore[return-value]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Registers an endpoint (admins only); the signing secret is answered this once.")
    async def create_webhook(
        self,
        info: strawberry.Info[Context],
        input: Annotated[WebhookInput, strawberry.argument(description="The endpoint and the events it wants.")],
    ) -> WebhookPayload:
        context = info.context
        return await _with_secret(
            context,
            lambda session: webhooks.create(
                session, url=input.url, events=input.events, description=input.description,
                is_active=input.is_active is not False, now=context.now,
            ),
        )  # fmt: skip

    @strawberry.mutation(
        description="Changes an endpoint's URL, events, description or whether it is active (admins only)."
    )
    async def update_webhook(
        self,
        info: strawberry.Info[Context],
        id: arguments.WebhookId,
        input: Annotated[WebhookInput, strawberry.argument(description="Its new settings (all of them).")],
    ) -> WebhookPayload:
        return await WebhookPayload.attempt(
            info.context,
            lambda session: webhooks.update(
                session, webhook_id=str(id), url=input.url, events=input.events, description=input.description,
                is_active=input.is_active is not False,
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(description="Removes an endpoint and its deliveries (admins only).")
    async def delete_webhook(
        self,
        info: strawberry.Info[Context],
        id: arguments.WebhookId,
    ) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context, lambda session: webhooks.delete(session, webhook_id=str(id)), admin_only=True
        )

    @strawberry.mutation(
        description="Gives an endpoint a new signing secret, answered this once (admins only); every later "
        "attempt, queued deliveries included, is signed with it."
    )
    async def rotate_webhook_secret(
        self,
        info: strawberry.Info[Context],
        id: arguments.WebhookId,
    ) -> WebhookPayload:
        return await _with_secret(info.context, lambda session: webhooks.rotate_secret(session, webhook_id=str(id)))

    @strawberry.mutation(description="Sends one delivery again now, whatever its status.")
    async def redeliver_webhook(
        self,
        info: strawberry.Info[Context],
        delivery_id: Annotated[
            strawberry.ID, strawberry.argument(description="The delivery's id (its webhook-id header).")
        ],
    ) -> WebhookPayload:
        context = info.context
        return await WebhookPayload.attempt(
            context,
            lambda session: webhooks.redeliver(session, delivery_id=str(delivery_id), now=context.now),
            admin_only=True,
        )


async def _with_secret(context: Context, operation: Callable[[AsyncSession], Awaitable[Any]]) -> WebhookPayload:
    """The payload of an operation answering (webhook, secret): the one time the secret is served."""
    if refusal := guards.admin_errors(context.viewer):
        return WebhookPayload(user_errors=refusal)
    result, problems = await errors.attempt(context.session, lambda: operation(context.session))
    webhook, secret = result if result is not None else (None, None)
    return WebhookPayload(webhook=webhook, secret=secret, user_errors=problems)
