"""Webhook endpoints (admin): list and read them, register, change, delete, rotate the secret, redeliver."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.integrations import webhooks
from schema import errors, guards
from schema.context import Context
from schema.enums import WebhookEvent
from schema.errors import UserError
from schema.guards import require_admin
from schema.payloads import Answer, DeletePayload
from schema.types.webhooks import Webhook


@strawberry.input
class WebhookInput:
    url: str = strawberry.field(description="http or https.")
    events: list[WebhookEvent]  # type: ignore[valid-type]
    description: str | None = None
    is_active: bool | None = True


@strawberry.type
class WebhookPayload(Answer):
    result_field = "webhook"

    webhook: Webhook | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (whsec_…), returned only by createWebhook and rotateWebhookSecret.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookQuery:
    @strawberry.field
    async def webhooks(self, info: strawberry.Info[Context]) -> list[Webhook]:
        require_admin(info.context.viewer)
        return await webhooks.listed(info.context.session)  # type: ignore[return-value]

    @strawberry.field
    async def webhook(self, info: strawberry.Info[Context], id: strawberry.ID) -> Webhook | None:
        require_admin(info.context.viewer)
        return await webhooks.find(info.context.session, webhook_id=str(id))  # type: ignore[return-value]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation
    async def create_webhook(self, info: strawberry.Info[Context], input: WebhookInput) -> WebhookPayload:
        context = info.context
        return await _with_secret(
            context,
            lambda session: webhooks.create(
                session, url=input.url, events=input.events, description=input.description,
                is_active=input.is_active is not False, now=context.now,
            ),
        )  # fmt: skip

    @strawberry.mutation
    async def update_webhook(
        self, info: strawberry.Info[Context], id: strawberry.ID, input: WebhookInput
    ) -> WebhookPayload:
        return await WebhookPayload.attempt(
            info.context,
            lambda session: webhooks.update(
                session, webhook_id=str(id), url=input.url, events=input.events, description=input.description,
                is_active=input.is_active is not False,
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation
    async def delete_webhook(self, info: strawberry.Info[Context], id: strawberry.ID) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context, lambda session: webhooks.delete(session, webhook_id=str(id)), admin_only=True
        )

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: strawberry.Info[Context], id: strawberry.ID) -> WebhookPayload:
        return await _with_secret(info.context, lambda session: webhooks.rotate_secret(session, webhook_id=str(id)))

    @strawberry.mutation(description="Sends one delivery again now, whatever its status.")
    async def redeliver_webhook(self, info: strawberry.Info[Context], delivery_id: strawberry.ID) -> WebhookPayload:
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
