"""Money and end-of-life mutations: authorize, capture, refund, release, cancel, delete (admins only).

Authorize, capture, refund, release and cancel run in their own short transactions (`resolvers.payments.engine`,
over `Context.movement_sessions`) because they commit before and after the provider call; the
field's own session then only reads the results. Delete is one plain transaction.
The bulk ones refuse a caller who is not an admin and an empty id list as a whole (`schema.bulk`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from resolvers.core.bulk import Outcome
from resolvers.fulfilment import deletion
from resolvers.payments import authorization, cancellation, capture, refunds, release
from schema import arguments
from schema.bulk import refused_as_a_whole
from schema.context import Context
from schema.errors import attempt, user_errors
from schema.guards import admin_errors
from schema.payloads import BulkOrderPayload, OrderPayload, OrderResult

Value = TypeVar("Value")


def given(value: Value | None) -> Value | None:
    """An argument left out (UNSET: the contract gives these arguments no default) as None."""
    return None if value is strawberry.UNSET else value


def movement_arguments(context: Context) -> dict[str, Any]:
    """Who, when, and through which providers: the same for every money movement of a request."""
    assert context.providers is not None, "the app builds the providers"
    return {
        "providers": context.providers,
        "actor": context.viewer.actor,
        "now": context.now,
        "timeout_seconds": context.settings.provider_timeout_seconds,
    }


async def results(info: strawberry.Info[Context], outcomes: Sequence[Outcome]) -> list[OrderResult]:
    """One OrderResult per outcome, the order read (after the movements committed) by the request's session."""
    wanted = [o.order.id for o in outcomes if o.error is None and o.order is not None]
    loaded = await info.context.loaders.order_by_id.load_many(wanted)
    by_id = {order.id: order for order in loaded if order is not None}
    return [
        OrderResult(
            # A movement answers a found order under its current id.
            order_id=strawberry.ID(outcome.order.public_id if outcome.order is not None else outcome.requested_id),
            # As with `attempt`: an order answered with errors is not shown (it is unchanged, or pending).
            order=by_id.get(outcome.order.id) if outcome.error is None and outcome.order is not None else None,
            user_errors=user_errors(outcome.error) if outcome.error is not None else [],
        )
        for outcome in outcomes
    ]


async def _one_order(
    info: strawberry.Info[Context], operation: Callable[..., Awaitable[Outcome]], **arguments: Any
) -> OrderPayload:
    """An admin's movement of one order: its arguments (left out: None), with who, when and the providers added."""
    context = info.context
    if errors := admin_errors(context.viewer):
        return OrderPayload(user_errors=errors)
    values = {name: given(value) for name, value in arguments.items()}
    outcome = await operation(context.movement_sessions(), **values, **movement_arguments(context))
    [result] = await results(info, [outcome])
    return OrderPayload(order=result.order, user_errors=result.user_errors)


AUTHORIZE_DESCRIPTION = (
    "Authorizes more money on a completed order through its provider: by default what paymentDelta says is missing."
)


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(
        description="Captures what each order still needs of its authorizations, or `amount` of one order "
        "(a split capture)."
    )
    async def capture(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
        amount: Annotated[
            Decimal | None,
            strawberry.argument(
                description="With one order: how much to capture (a Decimal string in the order's currency); left "
                "out, what it still needs."
            ),
        ] = strawberry.UNSET,
        idempotency_key: arguments.IdempotencyKey = strawberry.UNSET,
    ) -> BulkOrderPayload:
        context = info.context
        if refused := refused_as_a_whole(context, order_ids):
            return refused
        outcomes = await capture.capture(
            context.movement_sessions(),
            order_ids=[str(i) for i in order_ids],
            amount=given(amount),
            idempotency_key=given(idempotency_key),
            **movement_arguments(context),
        )
        return BulkOrderPayload(results=await results(info, outcomes))

    @strawberry.mutation(
        description="Refunds `amount` (default: everything captured and not yet refunded) through the provider."
    )
    async def refund(
        self,
        info: strawberry.Info[Context],
        order_id: arguments.OrderId,
        amount: Annotated[
            Decimal | None,
            strawberry.argument(
                description="How much (a Decimal string in the order's currency); left out, all captured and not "
                "refunded."
            ),
        ] = strawberry.UNSET,
        idempotency_key: arguments.IdempotencyKey = strawberry.UNSET,
        reason: Annotated[
            str | None, strawberry.argument(description="Why, kept in the order's event of the refund.")
        ] = strawberry.UNSET,
    ) -> OrderPayload:
        return await _one_order(
            info, refunds.refund, order_id=str(order_id), amount=amount, reason=reason, idempotency_key=idempotency_key
        )

    @strawberry.mutation(description=AUTHORIZE_DESCRIPTION)
    async def authorize(
        self,
        info: strawberry.Info[Context],
        order_id: arguments.OrderId,
        amount: Annotated[
            Decimal | None,
            strawberry.argument(
                description="How much to authorize (a Decimal string in the order's currency); left out, the positive "
                "paymentDelta."
            ),
        ] = strawberry.UNSET,
        idempotency_key: arguments.IdempotencyKey = strawberry.UNSET,
    ) -> OrderPayload:
        return await _one_order(
            info, authorization.authorize, order_id=str(order_id), amount=amount, idempotency_key=idempotency_key
        )

    @strawberry.mutation(
        description="Voids what is authorized and not captured "
        "(the rest after a split capture, or what an edit made too much)."
    )
    async def release_authorization(
        self,
        info: strawberry.Info[Context],
        order_id: arguments.OrderId,
        idempotency_key: arguments.IdempotencyKey = strawberry.UNSET,
    ) -> OrderPayload:
        return await _one_order(info, release.release, order_id=str(order_id), idempotency_key=idempotency_key)

    @strawberry.mutation(
        description="Cancels orders with nothing captured: voids the authorization and returns the stock."
    )
    async def cancel(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
        reason: Annotated[
            str | None, strawberry.argument(description="Why, kept in the order's event of the cancellation.")
        ] = strawberry.UNSET,
    ) -> BulkOrderPayload:
        context = info.context
        if refused := refused_as_a_whole(context, order_ids):
            return refused
        outcomes = await cancellation.cancel(
            context.movement_sessions(),
            order_ids=[str(i) for i in order_ids],
            reason=given(reason),
            **movement_arguments(context),
        )
        return BulkOrderPayload(results=await results(info, outcomes))

    @strawberry.mutation(description="Soft-deletes carts, unfinished checkouts, quotes and cancelled orders.")
    async def delete(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
    ) -> BulkOrderPayload:
        context = info.context
        if refused := refused_as_a_whole(context, order_ids):
            return refused
        results = []
        for order_id in order_ids:
            order, errors = await attempt(
                context.session,
                lambda order_id=order_id: deletion.delete(  # type: ignore[misc]
                    context.session, public_id=str(order_id), actor=context.viewer.actor, now=context.now
                ),
            )
            results.append(OrderResult(order_id=order_id, order=order, user_errors=errors))  # type: ignore[arg-type]
        return BulkOrderPayload(results=results)
