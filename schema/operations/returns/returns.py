"""Returns (RMA) mutations (admins only): createReturn, receiveReturn, rejectReturn, refundReturn.

Create, receive and reject are one plain transaction each. refundReturn moves money in its own
short transactions (`resolvers.payments.engine`, over `Context.movement_sessions`), as refund
does: the field's own session then only reads the return.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated

import strawberry

from models.returns import Return as ReturnRow
from resolvers.returns import return_refunds, returns
from schema import arguments, guards
from schema.context import Context
from schema.errors import attempt, user_errors
from schema.inputs import ReturnLineInput
from schema.operations.payments.movements import given, movement_arguments
from schema.payloads import ReturnPayload


async def _admin_attempt(context: Context, operation: Callable[[], Awaitable[ReturnRow]]) -> ReturnPayload:
    refused = guards.admin_errors(context.viewer)
    if refused:
        return ReturnPayload(user_errors=refused)
    returned, errors = await attempt(context.session, operation)
    return ReturnPayload(return_=returned, user_errors=errors)  # type: ignore[arg-type]


def _line(line: ReturnLineInput) -> returns.LineRequest:
    return returns.LineRequest(
        order_line_id=str(line.order_line_id),
        quantity=line.quantity,
        reason=line.reason,
        restock=line.restock is not False,
    )


@strawberry.type
class ReturnsMutation:
    @strawberry.mutation(
        description="Requests a return of some product lines of a completed order; never beyond what was ordered."
    )
    async def create_return(
        self,
        info: strawberry.Info[Context],
        order_id: Annotated[
            strawberry.ID, strawberry.argument(description="The completed order's current or earlier id.")
        ],
        lines: Annotated[
            list[ReturnLineInput], strawberry.argument(description="The lines and quantities that come back.")
        ],
        comment: Annotated[str | None, strawberry.argument(description="A comment on the return.")] = strawberry.UNSET,
    ) -> ReturnPayload:
        context = info.context
        return await _admin_attempt(
            context,
            lambda: returns.create(
                context.session,
                order_id=str(order_id),
                lines=[_line(line) for line in lines],
                comment=given(comment),
                now=context.now,
                actor=context.viewer.actor,
            ),
        )

    @strawberry.mutation(description="Marks a requested return received and restocks its lines marked restock.")
    async def receive_return(
        self,
        info: strawberry.Info[Context],
        return_id: arguments.ReturnId,
    ) -> ReturnPayload:
        context = info.context
        return await _admin_attempt(
            context,
            lambda: returns.receive(
                context.session, return_id=str(return_id), now=context.now, actor=context.viewer.actor
            ),
        )

    @strawberry.mutation(
        description="Refunds a received return through the provider: `amount`, or by default what its lines were paid."
    )
    async def refund_return(
        self,
        info: strawberry.Info[Context],
        return_id: arguments.ReturnId,
        amount: Annotated[
            Decimal | None,
            strawberry.argument(
                description="How much (a Decimal string in the order's currency); left out, what its lines were paid."
            ),
        ] = strawberry.UNSET,
        idempotency_key: arguments.IdempotencyKey = strawberry.UNSET,
    ) -> ReturnPayload:
        context = info.context
        refused = guards.admin_errors(context.viewer)
        if refused:
            return ReturnPayload(user_errors=refused)
        refunded = await return_refunds.refund(
            context.movement_sessions(),
            return_id=str(return_id),
            amount=given(amount),
            idempotency_key=given(idempotency_key),
            **movement_arguments(context),
        )
        if refunded.error is not None:
            return ReturnPayload(user_errors=user_errors(refunded.error))
        return ReturnPayload(return_=await context.loaders.return_by_id.load(refunded.return_id))

    @strawberry.mutation(description="Rejects a requested or received return; nothing more can be done to it.")
    async def reject_return(
        self,
        info: strawberry.Info[Context],
        return_id: arguments.ReturnId,
        reason: Annotated[str | None, strawberry.argument(description="Why it is rejected.")] = strawberry.UNSET,
    ) -> ReturnPayload:
        context = info.context
        return await _admin_attempt(
            context,
            lambda: returns.reject(
                context.session,
                return_id=str(return_id),
                reason=given(reason),
                now=context.now,
                actor=context.viewer.actor,
            ),
        )
