"""Quotes from the storefront and the customer center: submit a cart, accept or reject the quote."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.core.errors import DomainError
from resolvers.storefront import quotes
from schema import arguments, errors
from schema.context import Context
from schema.payloads import OrderPayload


@strawberry.type
class QuotesMutation:
    @strawberry.mutation(description="Turns a cart into a quote (a new QUOTE id; the cart id keeps resolving).")
    async def submit_quote(
        self,
        info: strawberry.Info[Context],
        cart_id: arguments.CartId,
        secret: arguments.CartSecret = None,
        comment: Annotated[
            str | None, strawberry.argument(description="The customer's comment on the request.")
        ] = None,
    ) -> OrderPayload:
        context = info.context
        quote, problems = await errors.attempt(
            context.session,
            lambda: quotes.submit(
                context.session, cart_id=str(cart_id), secret=secret, comment=comment, viewer=context.viewer,
                now=context.now, actor=context.viewer.actor,
            ),
        )  # fmt: skip
        return OrderPayload(order=quote, user_errors=problems)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Accepts a quote whose state allows ordering: it becomes a complete ORDER (new id), "
        "its stock taken and its payment authorized as at checkout."
    )
    async def accept_quote(
        self,
        info: strawberry.Info[Context],
        quote_id: arguments.QuoteId,
        secret: arguments.QuoteSecret = None,
    ) -> OrderPayload:
        # Not through `attempt`: like completeCheckout, the operation commits its own steps.
        context = info.context
        assert context.providers is not None, "the app sets the payment providers"
        try:
            order = await quotes.accept(
                context.movement_sessions(), quote_id=str(quote_id), secret=secret, viewer=context.viewer,
                providers=context.providers, timeout_seconds=context.settings.provider_timeout_seconds,
                now=context.now, actor=context.viewer.actor,
            )  # fmt: skip
        except DomainError as error:
            return OrderPayload(user_errors=errors.user_errors(error))
        return OrderPayload(order=order)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Rejects an open quote with the customer's reason; nothing more can be done to it."
    )
    async def reject_quote(
        self,
        info: strawberry.Info[Context],
        quote_id: arguments.QuoteId,
        secret: arguments.QuoteSecret = None,
        reason: Annotated[str | None, strawberry.argument(description="Why the customer rejects it.")] = None,
    ) -> OrderPayload:
        context = info.context
        quote, problems = await errors.attempt(
            context.session,
            lambda: quotes.reject(
                context.session, quote_id=str(quote_id), secret=secret, reason=reason, viewer=context.viewer,
                now=context.now, actor=context.viewer.actor,
            ),
        )  # fmt: skip
        return OrderPayload(order=quote, user_errors=problems)  # type: ignore[arg-type]
