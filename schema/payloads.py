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


@strawberry.type(description="The order a mutation changed, or why it could not.")
class OrderPayload(Answer):
    result_field = "order"

    order: Order | None = strawberry.field(
        default=None,
        description="The record as it is after the change (with its new id if it got one); null on failure.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="What a bulk mutation did to one of the orders asked for.")
class OrderResult:
    order_id: strawberry.ID = strawberry.field(description="The id as it was given.")
    order: Order | None = strawberry.field(default=None, description="The order after the change; null when it failed.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why this order was not changed; empty when it was."
    )


@strawberry.type(description="The outcome of a bulk mutation: each order is judged alone, in the order given.")
class BulkOrderPayload:
    results: list[OrderResult] = strawberry.field(description="One result per id given, in the same order.")

    @strawberry.field(description="True when every requested order succeeded.")
    def ok(self) -> bool:
        return all(not result.user_errors for result in self.results)


@strawberry.type(description="The cart a storefront mutation changed, or why it could not.")
class CartPayload(Answer):
    result_field = "cart"
    cart: Order | None = strawberry.field(
        default=None, description="The cart (or checkout, or quote) as it is after the change; null on failure."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="Returned once, when a cart is created: the storefront keeps it to reach the cart again.",
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="The flow a mutation saved, or why it could not.")
class FlowPayload(Answer):
    result_field = "flow"
    flow: Flow | None = strawberry.field(default=None, description="The flow as saved; null on failure.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="The state a mutation saved, or why it could not.")
class StatePayload(Answer):
    result_field = "state"
    state: State | None = strawberry.field(default=None, description="The state as saved; null on failure.")
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="The tracking configuration a mutation saved, or why it could not.")
class TrackAndTracePayload(Answer):
    result_field = "track_and_trace"
    track_and_trace: TrackAndTrace | None = strawberry.field(
        default=None, description="The configuration as saved; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="The return a mutation changed, or why it could not.")
class ReturnPayload(Answer):
    result_field = "return_"
    return_: Return | None = strawberry.field(
        default=None, name="return", description="The return as it is after the change; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="What a delete removed, or why it could not.")
class DeletePayload(Answer):
    result_field = "deleted_id"
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of what was deleted; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )

    @classmethod
    def served(cls, result: Any) -> Any:
        return strawberry.ID(str(result)) if result is not None else None


@strawberry.type(description="The custom field a mutation saved, or why it could not.")
class CustomFieldPayload(Answer):
    result_field = "definition"
    definition: CustomFieldDefinition | None = strawberry.field(
        default=None, description="The definition as saved; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="The schedule a mutation changed, or why it could not.")
class RecurringPayload(Answer):
    result_field = "schedule"
    schedule: RecurringSchedule | None = strawberry.field(
        default=None, description="The schedule as saved; null on failure."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success."
    )


@strawberry.type(description="Completed orders of one group (a UTC day, a UTC month or a state) added up.")
class SalesSummaryRow:
    key: str = strawberry.field(description="The group: 2026-01-31 (DAY), 2026-01 (MONTH) or the state's name (STATE).")
    orders: int = strawberry.field(description="How many completed orders.")
    total: Price = strawberry.field(
        description="Their totals added up in the shop's default currency, each converted at the rate it kept."
    )
