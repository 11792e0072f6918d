"""Storefront mutations: carts and checkout. Each decodes its input and calls one operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from models.orders import Order
from resolvers.core.errors import DomainError
from resolvers.storefront import carts, checkout
from schema import arguments, errors, inputs
from schema.context import Context
from schema.inputs import CartDetailsInput, CartLineInput
from schema.payloads import CartPayload, OrderPayload

AnyPayload = TypeVar("AnyPayload", CartPayload, OrderPayload)


@strawberry.type
class StorefrontMutation:
    @strawberry.mutation(
        description="Creates a cart for any caller (anonymous shoppers included); its secret is answered this once."
    )
    async def create_cart(
        self,
        info: strawberry.Info[Context],
        details: Annotated[
            CartDetailsInput | None,
            strawberry.argument(description="Details to start with (addresses, methods, currency…)."),
        ] = None,
    ) -> CartPayload:
        context = info.context
        headers = context.request.headers if context.request is not None else {}
        created, problems = await errors.attempt(
            context.session,
            lambda: carts.create(
                context.session, viewer=context.viewer, details=_details(details) if details else None,
                ip=context.ip, referrer=headers.get("referer"), accept_language=headers.get("accept-language"),
                now=context.now, actor=context.viewer.actor,
            ),
        )  # fmt: skip
        cart, secret = created if created is not None else (None, None)
        return CartPayload(cart=cart, secret=secret, user_errors=problems)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Adds product lines to a cart (a product already in it with the same unit gets the quantity "
        "added to its line); an unfinished checkout becomes a cart again with a new CART id."
    )
    async def add_to_cart(
        self,
        info: strawberry.Info[Context],
        cart_id: arguments.CartId,
        secret: arguments.CartSecret = None,
        *,
        lines: Annotated[list[CartLineInput], strawberry.argument(description="The products and quantities to add.")],
    ) -> CartPayload:
        changes = [inputs.cart_line(line) for line in lines]
        return await _on_cart(CartPayload, info, carts.add_lines, cart_id=cart_id, secret=secret, lines=changes)

    @strawberry.mutation(description="Sets a cart line's quantity; 0 removes the line.")
    async def update_cart_line(
        self,
        info: strawberry.Info[Context],
        cart_id: arguments.CartId,
        secret: arguments.CartSecret = None,
        *,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="The line (OrderLine.id).")],
        quantity: Annotated[
            Decimal,
            strawberry.argument(
                description="The new quantity: 0 to remove it, else more than 0 with at most 4 decimals."
            ),
        ],
    ) -> CartPayload:
        return await _on_cart(
            CartPayload,
            info,
            carts.update_line,
            cart_id=cart_id,
            secret=secret,
            line_id=str(line_id),
            quantity=quantity,
        )

    @strawberry.mutation(description="Removes a line (and its line discounts) from a cart.")
    async def remove_cart_line(
        self,
        info: strawberry.Info[Context],
        cart_id: arguments.CartId,
        secret: arguments.CartSecret = None,
        *,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="The line (OrderLine.id).")],
    ) -> CartPayload:
        return await _on_cart(
            CartPayload, info, carts.remove_line, cart_id=cart_id, secret=secret, line_id=str(line_id)
        )

    @strawberry.mutation(
        description="Sets a cart's addresses, methods, voucher, currency, comment, reference or language; the cart is "
        "repriced. On an open quote, everything but currency and voucher."
    )
    async def set_cart_details(
        self,
        info: strawberry.Info[Context],
        cart_id: Annotated[
            strawberry.ID, strawberry.argument(description="The cart's (or open quote's) current or earlier id.")
        ],
        secret: arguments.CartSecret = None,
        *,
        details: Annotated[
            CartDetailsInput, strawberry.argument(description="The details to change; parts left out stay as they are.")
        ],
    ) -> CartPayload:
        wanted = _details(details)
        return await _on_cart(CartPayload, info, carts.set_details, cart_id=cart_id, secret=secret, details=wanted)

    @strawberry.mutation(
        description=(
            "Starts checkout: the cart becomes an order with a new ORDER id and is frozen; "
            "a later change downgrades it to a cart."
        )
    )
    async def start_checkout(
        self,
        info: strawberry.Info[Context],
        cart_id: arguments.CartId,
        secret: arguments.CartSecret = None,
    ) -> OrderPayload:
        return await _on_cart(OrderPayload, info, checkout.start, cart_id=cart_id, secret=secret)

    @strawberry.mutation(
        description="Completes checkout: authorizes payment, reserves stock and puts the order in its flow's "
        "default state. Safe to retry: the same idempotencyKey returns the same order and authorizes once."
    )
    async def complete_checkout(
        self,
        info: strawberry.Info[Context],
        order_id: Annotated[strawberry.ID, strawberry.argument(description="The ORDER id startCheckout answered.")],
        secret: arguments.CartSecret = None,
        idempotency_key: arguments.IdempotencyKey = None,
    ) -> OrderPayload:
        # Not through `attempt`: the operation commits its own steps (resolvers/checkout.py says why).
        context = info.context
        assert context.providers is not None, "the app sets the payment providers"
        try:
            order = await checkout.complete(
                context.movement_sessions(), order_id=str(order_id), secret=secret, viewer=context.viewer,
                idempotency_key=idempotency_key, providers=context.providers,
                timeout_seconds=context.settings.provider_timeout_seconds, now=context.now,
                actor=context.viewer.actor,
            )  # fmt: skip
        except DomainError as error:
            return OrderPayload(user_errors=errors.user_errors(error))
        return OrderPayload(order=order)  # type: ignore[arg-type]


async def _on_cart(
    payload: type[AnyPayload],
    info: strawberry.Info[Context],
    operation: Callable[..., Awaitable[Order]],
    *,
    cart_id: strawberry.ID,
    secret: str | None,
    **arguments: Any,
) -> AnyPayload:
    """Run a storefront operation on a cart, passing the cart, its secret and who asks as every one takes them."""
    context = info.context
    return await payload.attempt(
        context,
        lambda session: operation(
            session, cart_id=str(cart_id), secret=secret, viewer=context.viewer, now=context.now,
            actor=context.viewer.actor, **arguments,
        ),
    )  # fmt: skip


def _details(details: CartDetailsInput) -> carts.DetailsInput:
    return carts.DetailsInput(
        display_name=details.display_name,
        customer_comment=details.customer_comment,
        customer=inputs.address_values(details.customer),
        delivery=inputs.address_values(details.delivery),
        payment_method_id=inputs.id_text(details.payment_method_id),
        shipping_method_id=inputs.id_text(details.shipping_method_id),
        voucher_code=details.voucher_code,
        currency_code=details.currency_code,
        custom_fields=inputs.field_values(details.custom_fields),
        reference=details.reference,
        language_id=details.language_id,
    )
