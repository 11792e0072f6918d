"""Mutation payloads: every one carries `userErrors`, and most an operation's result beside them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Self

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from schema import errors, guards
from schema.context import Context
from schema.errors import UserError
from schema.types.catalog import Price, TrackAndTrace
from schema.types.custom_fields import CustomFieldDefinition
from schema.types.flows import Flow, State
from schema.types.orders import Order
from schema.types.recurring import RecurringSchedule
from schema.types.returns import Return


class Answer:
    """What a payload type is answered from: an operation's result under `result_field`, or the user errors.

    A plain base, not a Strawberry type: it adds no field, so each payload lists its fields as the contract does.
    """

    result_field: ClassVar[str]

    @classmethod
    async def attempt(
        cls, context: Context, operation: Callable[[AsyncSession], Awaitable[Any]], *, admin_only: bool = False
    ) -> Self:
        """Run the operation on the request's session in a savepoint (FORBIDDEN for non-admins when `admin_only`)."""
        payload: Callable[..., Self] = cls  # each payload's own fields, which this base does not declare
        if admin_only and (refusal := guards.admin_errors(context.viewer)):
            return payload(user_errors=refusal)
        result, problems = await errors.attempt(context.session, lambda: operation(context.session))
        return payload(**{cls.result_field: cls.served(result)}, user_errors=problems)

    @classmethod
    def served(cls, result: Any) -> Any:
        """The result as the payload's field serves it (a model row as it is)."""
        return result


@strawberry.type
class OrderPayload(Answer):
    result_field = "order"

    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderResult:
    order_id: strawberry.ID
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BulkOrderPayload:
    results: list[OrderResult]

    @strawberry.field(description="True when every requested order succeeded.")
    def ok(self) -> bool:
        return all(not result.user_errors for result in self.results)


@strawberry.type
class CartPayload(Answer):
    result_field = "cart"
    cart: Order | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="Returned once, when a cart is created: the storefront keeps it to reach the cart again.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FlowPayload(Answer):
    result_field = "flow"
    flow: Flow | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StatePayload(Answer):
    result_field = "state"
    state: State | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrackAndTracePayload(Answer):
    result_field = "track_and_trace"
    track_and_trace: TrackAndTrace | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReturnPayload(Answer):
    result_field = "return_"
    return_: Return | None = strawberry.field(default=None, name="return")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload(Answer):
    result_field = "deleted_id"
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def served(cls, result: Any) -> Any:
        return strawberry.ID(str(result)) if result is not None else None


@strawberry.type
class CustomFieldPayload(Answer):
    result_field = "definition"
    definition: CustomFieldDefinition | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecurringPayload(Answer):
    result_field = "schedule"
    schedule: RecurringSchedule | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SalesSummaryRow:
    key: str
    orders: int
    total: Price
